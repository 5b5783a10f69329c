"""Which labels a training cycle fits on and which it holds out to judge the result."""

from __future__ import annotations

import numpy as np

from classifier.taste.labelset import LabelSet

__all__ = ["incremental", "time_split"]


def time_split(labels: LabelSet, fraction: float, seed: int = 0) -> tuple[LabelSet, LabelSet]:
    """(train, validation): the newest ``fraction`` of positives (by first listen) and of
    explicit negatives (by newest event), and a random ``fraction`` of unlabelled ones."""
    held = np.zeros(len(labels), dtype=bool)
    for kinds in ((0,), (1, 2)):
        idx = np.flatnonzero(np.isin(labels.kinds, kinds))
        n = round(fraction * len(idx))
        when = labels.first_at[idx] if kinds == (0,) else labels.last_at[idx]
        held[idx[np.argsort(when, kind="mergesort")[len(idx) - n :]]] = n > 0
    unlabelled = np.flatnonzero(labels.kinds == 3)
    rng = np.random.default_rng(seed)
    held[rng.permutation(unlabelled)[: round(fraction * len(unlabelled))]] = True
    return labels.subset(~held), labels.subset(held)


def incremental(
    labels: LabelSet, since: float | None, replay: int, seed: int
) -> tuple[LabelSet, int]:
    """Labels newer than ``since`` (and all unlabelled ones) plus up to ``replay`` older ones.

    Returns the selection and how many of it are new.
    """
    if since is None:
        return labels, len(labels)
    new = (labels.last_at > since) | (labels.kinds == 3)
    old = np.flatnonzero(~new)
    rng = np.random.default_rng(seed)
    keep = new.copy()
    keep[rng.permutation(old)[:replay]] = True
    return labels.subset(keep), int(new.sum())
