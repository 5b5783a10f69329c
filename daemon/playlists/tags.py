"""Why a track is in the queue: its most probable musicnn tags (playlists and dashboard)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

import numpy as np

from classifier import tag_names
from store import Store, TastebudError

__all__ = ["N_TAGS", "TOP_TAGS", "load_tag_names", "top_tags"]

logger = logging.getLogger(__name__)

TOP_TAGS = 3
N_TAGS = 50


@functools.cache
def load_tag_names(backbone: str) -> tuple[str, ...]:
    """The musicnn tag names of ``backbone``; ``tag0``..``tag49`` when musicnn is missing."""
    try:
        return tuple(tag_names(backbone))
    except (ImportError, TastebudError) as exc:
        logger.warning("tag names unavailable, showing tag numbers: %s", exc)
        return tuple(f"tag{i}" for i in range(N_TAGS))


def top_tags(
    store: Store,
    model_key: str,
    track_ids: Sequence[int],
    names: Sequence[str],
    k: int = TOP_TAGS,
) -> dict[int, tuple[str, ...]]:
    """The ``k`` most probable musicnn tags of each embedded track."""
    means = store.mean_tags(model_key, track_ids)
    return {tid: _tag_labels(np.argsort(-m)[:k], names) for tid, m in means.items()}


def _tag_labels(indices: Sequence[int] | np.ndarray, names: Sequence[str]) -> tuple[str, ...]:
    return tuple(names[i] if i < len(names) else f"tag{i}" for i in map(int, indices))
