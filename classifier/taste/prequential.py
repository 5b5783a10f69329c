"""The prequential judge: what ranks the queue, switched only on accumulated evidence.

Every listen that arrives after a ranking was made tests it out of sample: the
listen's standing among the candidates (the share of them it beats) under the
model line and under plain similarity, as both ranked before it. The judge sums
the paired differences (model minus similarity) and keeps a confidence sequence
for their mean: an interval valid at every listen at once, so looking at it after
every training cycle does not, in time, make a tie look like a difference (a fixed
90% interval checked after each cycle would exclude zero on some cycle by chance).

The sequence is the normal mixture of Howard et al. (2021) over the self-normalised
sum (de la Peña): with the differences spread symmetrically about their mean ``m``,
``|S - n m| < sqrt((V + rho) log((V + rho) / (rho alpha^2)))`` at every ``n`` with
probability ``1 - alpha``, where ``S`` sums the differences and ``V`` sums their
squared deviations from ``m``. Its interval is the set of ``m`` it does not reject.

What ranks switches only when the interval excludes zero on the other side:
similarity takes over when the model's record is below it; the model comes back
only when its record is above. Each switch starts the record afresh (hysteresis:
the evidence that caused a switch cannot also undo it), and between the two the
queue keeps what ranks. A model starts ranking: its ranking head starts from the
similarity itself (:mod:`classifier.taste.mix`), so before any evidence it is the
same guess, plus what the listens taught it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

__all__ = ["ALPHA", "RHO", "Record", "Switch", "confidence_interval", "decide"]

ALPHA = 0.05
"""The chance, over the whole life of a record, that its interval ever misses the truth."""
RHO = 1.5
"""The mixture's scale: the interval is tightest near ``V = 10`` (about 100 listens
whose standings differ by a typical 0.3)."""
_GRID = np.linspace(-1.0, 1.0, 4001)  # every mean a difference of standings can have

Ranker = Literal["model", "similarity"]


class Tested(Protocol):
    """One new listen's standings (the store's evidence rows have them)."""

    @property
    def model_standing(self) -> float: ...

    @property
    def similarity_standing(self) -> float: ...


def confidence_interval(
    diffs: np.ndarray, alpha: float = ALPHA, rho: float = RHO
) -> tuple[float, float]:
    """The confidence sequence's interval for the mean of ``diffs`` (each in [-1, 1]) after
    these listens; (NaN, NaN) without any."""
    d = np.asarray(diffs, np.float64)
    n = len(d)
    if n == 0:
        return math.nan, math.nan
    mean = float(d.mean())
    spread = float(((d - mean) ** 2).sum())
    offset = n * (mean - _GRID)
    v = spread + offset**2 / n + rho
    kept = offset**2 < v * np.log(v / (rho * alpha**2))
    centre = int(np.abs(_GRID - mean).argmin())
    low = high = centre
    while low > 0 and kept[low - 1]:
        low -= 1
    while high < len(_GRID) - 1 and kept[high + 1]:
        high += 1
    return float(_GRID[low]), float(_GRID[high])


@dataclass(frozen=True)
class Record:
    """The standings of the new listens since what ranks last changed."""

    model: np.ndarray
    similarity: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[Tested]) -> Record:
        """The record of the tested listens ``rows``."""
        return cls(
            np.array([r.model_standing for r in rows]),
            np.array([r.similarity_standing for r in rows]),
        )

    def __len__(self) -> int:
        return len(self.model)

    @property
    def difference(self) -> float:
        """Mean standing under the model less under similarity; NaN without listens."""
        return float((self.model - self.similarity).mean()) if len(self) else math.nan

    def interval(self) -> tuple[float, float]:
        """The confidence sequence's interval for :attr:`difference`."""
        return confidence_interval(self.model - self.similarity)

    def summary(self) -> str:
        """``model 0.81 vs similarity 0.78 on 140 listens (difference +0.03, interval
        +0.01..+0.05)``."""
        if not len(self):
            return "no new listens tested yet"
        low, high = self.interval()
        return (
            f"model {self.model.mean():.2f} vs similarity {self.similarity.mean():.2f} "
            f"on {len(self)} listens (difference {self.difference:+.3f}, "
            f"{1 - ALPHA:.0%} interval {low:+.3f}..{high:+.3f})"
        )


@dataclass(frozen=True)
class Switch:
    """What ranks after the judge looked, and why."""

    ranker: Ranker
    switched: bool
    reason: str


def decide(ranking: Ranker, record: Record) -> Switch:
    """Switch what ranks only when ``record``'s interval excludes zero against it."""
    low, high = record.interval()
    if ranking == "model" and high < 0:
        return Switch(
            "similarity", True, f"similarity ranked new listens better: {record.summary()}"
        )
    if ranking == "similarity" and low > 0:
        return Switch("model", True, f"the model ranked new listens better: {record.summary()}")
    return Switch(ranking, False, record.summary())
