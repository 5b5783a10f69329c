"""What orders the queue and how far to trust it: the readout ``tastebud status`` and the
dashboard's model panel share.

- **Ranked by**: the scores the last rescoring wrote say what orders the queue (a model
  version, or none: similarity, or feed order when nothing was listened to or liked);
  the champion's ``similarity_ranks`` (1.0: the similarity ranking judged better on the
  held-out listens) says why similarity ranks under a champion.
- **Validation**: the champion's ``hit_at_k`` and ``percentile`` on ``n_heldout``
  held-out listens, beside the similarity ranking's on the same listens. A model from
  before these measures shows its ROC-AUC, marked as the older measure. A measure that
  is missing (or was stored as null) reads ``not measured``.
- **Trend**: ``percentile`` of every model that was ever promoted and has the new
  measures, oldest first; NaN (a gap) where it was not measured.
- **Untrained**: without a champion, why the last training cycle trained nothing (the
  train job keeps it in the :data:`UNTRAINED_CURSOR` cursor), or what it waits for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from store import ModelRecord, Store

__all__ = [
    "MEASURES",
    "UNTRAINED_CURSOR",
    "RankedBy",
    "Readout",
    "percentile_trend",
    "ranking",
    "readout",
    "validation_line",
]

RankedBy = Literal["model", "similarity", "feed order"]

MEASURES = (
    "k",
    "n_heldout",
    "hit_at_k",
    "percentile",
    "similarity_hit_at_k",
    "similarity_percentile",
    "champion_hit_at_k",
    "champion_percentile",
    "similarity_ranks",
)
"""The champion's validation numbers, as ``status --json`` reports them (null: not measured)."""

NOT_MEASURED = "not measured"
UNTRAINED_CURSOR = "model:untrained"  # why the last training cycle trained nothing


@dataclass(frozen=True)
class Readout:
    """What orders the queue and how the champion was judged, as lines and as numbers."""

    ranked_by: RankedBy
    ranking: str  # "ranked by: model v7"
    validation: str  # "hit@20 0.45 on 12 held-out listens (similarity 0.40), percentile 0.91"
    # or "ROC-AUC 0.81 (older measure)", or "no model yet"
    numbers: dict[str, float | None]  # MEASURES and roc_auc; None: not measured
    untrained: str = ""  # without a champion: why, "untrained: ..."


def readout(store: Store, champion: ModelRecord | None, k: int, min_labels: int = 5) -> Readout:
    """The readout of ``store`` under ``champion``; ``k`` is the configured cut-off, for a
    model that did not record its own; ``min_labels`` is ``[model] min_labels``."""
    heard = store.counts()["embedded_labelled"] > 0
    ranked_by, line = ranking(champion, store.last_scored(), _has_positives(store), heard=heard)
    metrics = champion.metrics if champion else {}
    numbers = {name: _measure(metrics, name) for name in (*MEASURES, "roc_auc")}
    validation = validation_line(metrics, k) if champion else "no model yet"
    untrained = "" if champion else _untrained(store, min_labels)
    return Readout(ranked_by, line, validation, numbers, untrained)


def _untrained(store: Store, min_labels: int) -> str:
    """Why there is no model: the last training cycle's reason, else what it waits for."""
    if reason := store.get_cursor(UNTRAINED_CURSOR):
        return reason
    return f"untrained: it trains once {min_labels} listened or liked tracks have features"


def _has_positives(store: Store) -> bool:
    return bool(store.recent_listens(1)) or any(e.kind == "like" for e in store.feedback())


def ranking(
    champion: ModelRecord | None,
    last_scored: tuple[int | None, float] | None,
    has_positives: bool,
    *,
    heard: bool = True,
) -> tuple[RankedBy, str]:
    """(what orders the queue, the line that says so), from the model version of the
    newest scores (:meth:`~store.Store.last_scored`: None ranks by similarity or feed order);
    ``heard``: some listened or liked track has features (similarity needs them)."""
    if last_scored is None:
        return "feed order", "ranked by: feed order (nothing scored yet)"
    version = last_scored[0]
    if version is not None:
        return "model", f"ranked by: model v{version}{_until_next_rescore(champion, version)}"
    if champion is None:
        if not has_positives:
            return "feed order", "ranked by: feed order (nothing listened to or liked yet)"
        if not heard:
            return "feed order", (
                "ranked by: feed order (no listened or liked track has features yet: they "
                "wait to be fetched)"
            )
        return "similarity", "ranked by: similarity to your listens (no model yet)"
    return "similarity", f"ranked by: similarity ({_why_similarity(champion)})"


def _until_next_rescore(champion: ModelRecord | None, version: int) -> str:
    """What will rank instead once the queue is rescored, when not the model that does now."""
    if champion is None or (champion.version == version and not _similarity_better(champion)):
        return ""
    next_up = f"v{champion.version}" if champion.version != version else "similarity"
    return f" ({next_up} ranks from the next rescore)"


def _why_similarity(champion: ModelRecord) -> str:
    if _measure(champion.metrics, "similarity_ranks") is None:
        return f"v{champion.version} ranked its validation split worse"
    if _similarity_better(champion):
        return f"v{champion.version} ranked held-out listens worse"
    return f"v{champion.version} ranks from the next rescore"


def _similarity_better(champion: ModelRecord) -> bool:
    """Whether the champion's validation judged the similarity ranking better."""
    return (_measure(champion.metrics, "similarity_ranks") or 0.0) >= 0.5


def validation_line(metrics: Mapping[str, float], k: int) -> str:
    """``hit@20 0.45 on 12 held-out listens (similarity 0.40), percentile 0.91``, or the
    older ``ROC-AUC 0.81 (older measure)``."""
    if not _is_new(metrics) and "roc_auc" in metrics:
        return f"ROC-AUC {_fmt(_measure(metrics, 'roc_auc'))} (older measure)"
    cut = _measure(metrics, "k")
    n = _measure(metrics, "n_heldout")
    hit = f"hit@{k if cut is None else int(cut)} {_fmt(_measure(metrics, 'hit_at_k'))}"
    sample = f" on {n:.0f} held-out listens" if n is not None else " (held-out sample not measured)"
    similarity = f" (similarity {_fmt(_measure(metrics, 'similarity_hit_at_k'))})"
    return f"{hit}{sample}{similarity}, percentile {_fmt(_measure(metrics, 'percentile'))}"


def percentile_trend(models: Sequence[ModelRecord]) -> tuple[float, ...]:
    """``percentile`` of each model ever promoted that has the new measures, oldest first;
    NaN where it was not measured."""
    promoted = [m for m in models if m.promoted_at is not None]
    values = [_measure(m.metrics, "percentile") for m in promoted if _is_new(m.metrics)]
    return tuple(math.nan if v is None else v for v in values)


def _is_new(metrics: Mapping[str, float]) -> bool:
    """Whether a model was judged by the held-out-listen measures (not only ROC-AUC)."""
    return any(name in metrics for name in MEASURES)


def _measure(metrics: Mapping[str, object], name: str) -> float | None:
    """A finite number, else None (missing, null, NaN, or not a number)."""
    value = metrics.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _fmt(value: float | None) -> str:
    return NOT_MEASURED if value is None else f"{value:.2f}"
