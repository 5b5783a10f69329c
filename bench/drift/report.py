"""The drift tables and verdicts, in Markdown, from :class:`bench.drift.run.Results`."""

from __future__ import annotations

import math

import numpy as np

from bench.drift.run import (
    ATTAINABLE,
    CEILING,
    NOT_SIMILARITY,
    SHIPPED,
    Results,
    kinds_mean,
    row_mean,
)

LEVEL = 0.9
"""Confidence of the verdict's intervals."""
_DRAWS = 4000
EXACT = 9
"""Decimal places the intervals' bounds are kept to."""


def _pair(p: float, a: float) -> str:
    return "n/a" if math.isnan(p) else f"{p:.2f} / {a:.2f}"


def _cells(res: Results, row: str, along: bool) -> list[str]:
    kinds = [_pair(*row_mean(res, row, k, along)) for k in res.settings.kinds]
    return [*kinds, f"**{_pair(*kinds_mean(res, row, along))}**"]


def table(res: Results) -> str:
    """Rows x kinds, P@20 / ROC-AUC on the last day, then the mean along the way."""
    kinds = res.settings.kinds
    head = [*kinds, "mean", *(f"{k}, along" for k in kinds), "mean along"]
    lines = [
        "| ranking (P@20 / ROC-AUC) | " + " | ".join(head) + " |",
        "|---" * (len(head) + 1) + "|",
    ]
    for row in res.cells:
        name = f"**{row}**" if row.startswith(SHIPPED) else row
        cells = _cells(res, row, False) + _cells(res, row, True)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _similarity_rows(res: Results) -> list[str]:
    return [r for r in res.cells if r not in NOT_SIMILARITY and not r.startswith(SHIPPED)]


def _best(res: Results, along: bool, measure: int) -> str:
    """The similarity row with the best four-kind mean of ``measure``."""
    return max(_similarity_rows(res), key=lambda r: _finite(kinds_mean(res, r, along)[measure]))


def _finite(x: float) -> float:
    return -math.inf if math.isnan(x) else x


def _seeds(res: Results, row: str, along: bool, measure: int) -> np.ndarray:
    """(kinds, seeds) of ``row``'s ``measure``."""
    cells = [res.cells[row][k].figures(along) for k in res.settings.kinds]
    return np.array([[v[measure] for v in seeds] for seeds in cells])


def difference(
    res: Results, row: str, other: str, along: bool, measure: int, seed: int = 0
) -> tuple[float, float, float]:
    """``row``'s four-kind mean of ``measure`` less ``other``'s, and its :data:`LEVEL`
    interval: a paired bootstrap over the listeners (seeds drawn again within each kind,
    each draw compared on the same listeners). The bounds are rounded to :data:`EXACT`
    places: a bound that is zero but for the float sums' rounding (P@20 moves in steps
    of 0.05) reads zero, and zero is not above zero."""
    diff = _seeds(res, row, along, measure) - _seeds(res, other, along, measure)
    kinds, seeds = diff.shape
    picks = np.random.default_rng(seed).integers(0, seeds, size=(_DRAWS, kinds, seeds))
    draws = np.take_along_axis(np.broadcast_to(diff, picks.shape), picks, axis=2)
    means = np.nanmean(np.nanmean(draws, axis=2), axis=1)
    tail = (1.0 - LEVEL) / 2
    low, high = np.round(np.nanquantile(means, [tail, 1.0 - tail]), EXACT)
    return float(np.nanmean(np.nanmean(diff, axis=1))), float(low), float(high)


def _compare(low: float, high: float) -> str:
    return "beats" if low > 0 else "loses to" if high < 0 else "ties"


def verdict(res: Results, row: str = SHIPPED) -> str:
    """Whether ``row`` beats the best similarity row on the four-kind mean, on the last day
    and along the way: "beats" only where the whole :data:`LEVEL` interval of the
    difference (:func:`difference`) is above zero, "ties" where it straddles zero."""
    if row not in res.cells or not _similarity_rows(res):
        return ""
    parts = []
    for along, when in ((False, "last day"), (True, "along the way")):
        ours = kinds_mean(res, row, along)
        words, wins = [], []
        for m, measure in enumerate(("P@20", "ROC-AUC")):
            best = _best(res, along, m)
            mean, low, high = difference(res, row, best, along, m)
            wins.append(low > 0)
            theirs = kinds_mean(res, best, along)[m]
            words.append(
                f"{measure} {ours[m]:.3f} {_compare(low, high)} {theirs:.3f}"
                f" ({best.split(' (')[0]}; difference {mean:+.3f}, {LEVEL:.0%} interval "
                f"{low:+.3f}..{high:+.3f})"
            )
        parts.append(f"{when}: {'BEATS' if all(wins) else 'does not beat'} ({'; '.join(words)})")
    head = f"Corpus {res.corpus.upper()}, {row} vs the best similarity row"
    return f"{head}: {'. '.join(parts)}."


def against_ceiling(res: Results) -> str:
    """Whether the shipped row beats the supervised ceiling of today's frozen features, on
    the last day and along the way, measure by measure (the same intervals as
    :func:`verdict`)."""
    if SHIPPED not in res.cells or CEILING not in res.cells:
        return ""
    parts = []
    for along, when in ((False, "last day"), (True, "along the way")):
        words = []
        for m, measure in enumerate(("P@20", "ROC-AUC")):
            mean, low, high = difference(res, SHIPPED, CEILING, along, m)
            words.append(
                f"{measure} {_compare(low, high)} it ({mean:+.3f}, {low:+.3f}..{high:+.3f})"
            )
        parts.append(f"{when}: {', '.join(words)}")
    return f"Corpus {res.corpus.upper()}, {SHIPPED} vs the supervised ceiling: {'; '.join(parts)}."


def headroom(res: Results) -> str:
    """How far above the best similarity row any ranking could go (the attainable row less
    it) and how much of that room the shipped row took, measure by measure."""
    if SHIPPED not in res.cells or ATTAINABLE not in res.cells or not _similarity_rows(res):
        return ""
    parts = []
    for along, when in ((False, "last day"), (True, "along the way")):
        words = []
        for m, measure in enumerate(("P@20", "ROC-AUC")):
            best = kinds_mean(res, _best(res, along, m), along)[m]
            room = kinds_mean(res, ATTAINABLE, along)[m] - best
            took = (kinds_mean(res, SHIPPED, along)[m] - best) / room if room > 0 else math.nan
            words.append(f"{measure} {room:.3f}, {took:.0%} of it taken")
        parts.append(f"{when}: {', '.join(words)}")
    head = (
        f"Corpus {res.corpus.upper()}, room above the best similarity row (the attainable less it)"
    )
    return f"{head}: {'; '.join(parts)}."


def costs(res: Results) -> str:
    """Per-cycle training and rescoring time, and how often plain similarity ranked the queue."""
    lines = []
    for row, c in res.costs.items():
        if not c.days:
            continue
        train = f"{np.mean(c.train_s):.2f} s mean, {np.max(c.train_s):.2f} s max"
        lines.append(
            f"- {row}: training cycle {train} ({len(c.train_s)} cycles); rescore "
            f"{np.mean(c.rescore_s):.3f} s mean; plain similarity ranked the queue on "
            f"{c.similarity_days} of {c.days} days (the model on the rest)."
        )
    return "\n".join(lines)


def corpus_block(res: Results) -> str:
    """One corpus's table, verdict and costs."""
    text = f"### Corpus {res.corpus.upper()}: {res.n_tracks} tracks ({res.counts})\n\n{table(res)}"
    extras = (verdict(res), verdict(res, CEILING), against_ceiling(res), headroom(res), costs(res))
    for extra in extras:
        text += f"\n\n{extra}" if extra else ""
    return text
