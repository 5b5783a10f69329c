"""The judge: where held-out listens land among the candidates, and what may rank the queue.

Validation mirrors the product. The newest listened tracks are held out; each is
ranked among the unlabelled candidates by the ranking under test, and the judge
reads its percentile (the share of candidates it beats; 0.5 is chance) and
whether it made the top ``k`` (hit@k). Unlabelled candidates are never counted
as wrong answers: they are the field a listened track should rise above.

Two rankings are compared on the same held-out tracks with a paired bootstrap
of the difference of their mean percentiles. A challenger replaces the champion
unless the champion is better with 90% confidence, and never when it ranks
held-out listens worse than chance (0.5) with that confidence. With a handful of
held-out listens the interval is wide, so the model trained on the newest labels
wins unless it is clearly worse. The similarity ranking's standing on the same
listens is measured too; whether it ranks the queue instead of the model is not
decided on one split but on the listens that arrive later
(:mod:`classifier.taste.prequential`), which a first model's split seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["LEVEL", "Standing", "Verdict", "interval", "judge", "standing"]

LEVEL = 0.9
"""Confidence of the paired bootstrap interval."""
_DRAWS = 2000


@dataclass(frozen=True)
class Standing:
    """Where each held-out track landed among the candidates under one ranking."""

    percentiles: np.ndarray  # share of candidates each held-out track beats (ties count half)
    hits: np.ndarray  # bool: ranked within the top k of the candidates

    def __len__(self) -> int:
        return len(self.percentiles)

    @property
    def percentile(self) -> float:
        """Mean percentile; NaN without held-out tracks."""
        return float(self.percentiles.mean()) if len(self) else math.nan

    @property
    def hit_rate(self) -> float:
        """Share of held-out tracks in the top k; NaN without held-out tracks."""
        return float(self.hits.mean()) if len(self) else math.nan


def standing(heldout: np.ndarray, candidates: np.ndarray, k: int) -> Standing:
    """The standing of ``heldout`` scores among ``candidates`` scores (higher is better)."""
    ordered = np.sort(np.asarray(candidates, np.float64))
    below = np.searchsorted(ordered, heldout, side="left")
    not_above = np.searchsorted(ordered, heldout, side="right")
    ties = not_above - below
    n = max(len(ordered), 1)
    above = len(ordered) - not_above
    return Standing((below + 0.5 * ties) / n, (above + 0.5 * ties) < k)


def interval(a: Standing, b: Standing | float, seed: int = 0) -> tuple[float, float]:
    """:data:`LEVEL` bootstrap interval of ``a``'s mean percentile minus ``b``'s (paired over
    the same held-out tracks) or minus the number ``b``; (NaN, NaN) with fewer than two."""
    diff = a.percentiles - (b.percentiles if isinstance(b, Standing) else b)
    if len(diff) < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(_DRAWS, len(diff)))].mean(1)
    tail = (1.0 - LEVEL) / 2
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class Verdict:
    """What the judge decided and why."""

    promote: bool
    reason: str
    vs_champion: tuple[float, float]
    vs_similarity: tuple[float, float]


def _interval_text(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return "unmeasured" if math.isnan(low) else f"{low:+.3f}..{high:+.3f}"


def judge(challenger: Standing, similarity: Standing, champion: Standing | None) -> Verdict:
    """Promote the challenger? (see the module)."""
    n = len(challenger)
    vs_sim = interval(challenger, similarity)
    vs_champ = interval(challenger, champion) if champion is not None else (math.nan, math.nan)
    on = f"on {n} held-out listens"
    vs_chance = interval(challenger, 0.5)
    if vs_chance[1] < 0:
        reason = (
            f"percentile {challenger.percentile:.3f} {on} is worse than chance "
            f"(difference from 0.5 {_interval_text(vs_chance)})"
        )
        return Verdict(False, reason, vs_champ, vs_sim)
    if champion is not None and vs_champ[1] < 0:
        reason = (
            f"champion ranks held-out listens better: percentile {champion.percentile:.3f} "
            f"vs {challenger.percentile:.3f} {on} (difference {_interval_text(vs_champ)})"
        )
        return Verdict(False, reason, vs_champ, vs_sim)
    if n == 0:
        reason = "no held-out listens to judge by: the model trained on the newest labels wins"
    elif champion is None:
        reason = f"percentile {challenger.percentile:.3f} {on}; no champion to beat"
    else:
        reason = (
            f"percentile {challenger.percentile:.3f} vs champion {champion.percentile:.3f} {on} "
            f"(difference {_interval_text(vs_champ)})"
        )
    if n:
        reason += f"; similarity {similarity.percentile:.3f} (difference {_interval_text(vs_sim)})"
    return Verdict(True, reason, vs_champ, vs_sim)
