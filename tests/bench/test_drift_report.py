"""The drift benchmark's verdict: a beat must hold across the listeners, not on the mean alone."""

from __future__ import annotations

import numpy as np

from bench.drift.report import corpus_block, difference, headroom, verdict
from bench.drift.run import ATTAINABLE, CEILING, SHIPPED, Cell, Results, Settings

KINDS = ["switch", "multi", "gradual", "noisy"]


def _results(rows: dict[str, np.ndarray]) -> Results:
    """Rows of (kinds, seeds) P@20 figures; ROC-AUC is P@20 less 0.1; along = last day."""
    res = Results("a", "", 0, Settings(kinds=KINDS, seeds=[0, 1, 2]))
    for row, figures in rows.items():
        for kind, seeds in zip(KINDS, figures, strict=True):
            pairs = [(float(p), float(p) - 0.1) for p in seeds]
            res.cells.setdefault(row, {})[kind] = Cell(list(pairs), list(pairs))
    return res


def _noisy(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.5, 0.9, size=(len(KINDS), 3))


def test_a_steady_lead_on_every_listener_beats() -> None:
    base = _noisy(np.random.default_rng(0))
    res = _results({"kernel similarity": base, SHIPPED: base + 0.02})
    mean, low, high = difference(res, SHIPPED, "kernel similarity", False, 0)
    assert np.allclose([mean, low, high], 0.02)
    text = verdict(res)
    assert "last day: BEATS" in text
    assert "along the way: BEATS" in text


def test_a_higher_mean_carried_by_one_listener_only_ties() -> None:
    base = _noisy(np.random.default_rng(1))
    ours = base - 0.01
    ours[1, 2] += 0.3  # one listener far better, the eleven others a little worse
    res = _results({"kernel similarity": base, SHIPPED: ours})
    mean, low, high = difference(res, SHIPPED, "kernel similarity", False, 0)
    assert mean > 0
    assert low < 0 < high
    text = verdict(res)
    assert text.count(" ties ") == 4  # P@20 and ROC-AUC, last day and along the way
    assert "BEATS" not in text


def test_the_verdict_compares_with_the_best_similarity_row_only() -> None:
    rng = np.random.default_rng(2)
    base = _noisy(rng)
    res = _results(
        {
            "random": base + 0.5,
            ATTAINABLE: base + 0.6,
            "kernel similarity": base,
            "recency kNN": base + 0.05,
            SHIPPED: base,
        }
    )
    text = verdict(res)  # random and the attainable are no similarity; kNN is the one to beat
    assert text.count("(recency kNN;") == 4
    assert text.count(" loses to ") == 4


def test_the_block_gives_the_ceilings_verdict_beside_the_shipped_one() -> None:
    base = _noisy(np.random.default_rng(3))
    res = _results({"kernel similarity": base, SHIPPED: base, CEILING: base + 0.05})
    text = corpus_block(res)
    assert f"Corpus A, {SHIPPED} vs the best similarity row: last day: does not beat" in text
    assert f"Corpus A, {CEILING} vs the best similarity row: last day: BEATS" in text
    assert f"Corpus A, {SHIPPED} vs the supervised ceiling: last day: P@20 loses to it" in text


def test_the_shipped_row_is_measured_against_the_ceiling_too() -> None:
    base = _noisy(np.random.default_rng(4))
    res = _results({"kernel similarity": base, SHIPPED: base + 0.05, CEILING: base})
    text = corpus_block(res)
    assert f"{SHIPPED} vs the supervised ceiling: last day: P@20 beats it (+0.050" in text
    assert "along the way: P@20 beats it (+0.050, +0.050..+0.050), ROC-AUC beats it" in text


# corpus A's last-day P@20 per listener (kinds x seeds 0-4), 2026-12-05
A_SHIPPED = [
    [0.55, 0.7, 0.8, 0.7, 0.95],
    [1.0, 1.0, 0.65, 0.65, 0.7],
    [0.55, 0.7, 0.85, 0.65, 0.9],
    [0.55, 0.65, 0.8, 0.65, 0.9],
]
A_KNN = [
    [0.55, 0.7, 0.65, 0.75, 0.9],
    [0.95, 1.0, 0.8, 0.85, 0.7],
    [0.55, 0.65, 0.7, 0.7, 0.85],
    [0.45, 0.5, 0.6, 0.6, 0.9],
]


def test_a_bound_at_zero_but_for_rounding_ties() -> None:
    # P@20 moves in steps of 0.05: the interval's low end is exactly zero, which the
    # float sums made +3.5e-18, a "beat"
    res = Results("a", "", 0, Settings(kinds=KINDS, seeds=[0, 1, 2, 3, 4]))
    for row, figures in {"recency kNN": A_KNN, SHIPPED: A_SHIPPED}.items():
        for kind, seeds in zip(KINDS, figures, strict=True):
            pairs = [(p, 0.8) for p in seeds]
            res.cells.setdefault(row, {})[kind] = Cell(list(pairs), list(pairs))
    mean, low, _ = difference(res, SHIPPED, "recency kNN", False, 0)
    assert mean > 0.02
    assert low == 0.0
    assert "last day: does not beat (P@20 0.745 ties 0.717" in verdict(res)


def test_the_headroom_is_the_share_of_the_attainable_gap_taken() -> None:
    base = np.full((len(KINDS), 3), 0.6)
    res = _results({"kernel similarity": base, SHIPPED: base + 0.1, ATTAINABLE: base + 0.4})
    text = headroom(res)
    assert text.count("P@20 0.400, 25% of it taken") == 2  # the last day and along the way
    assert headroom(_results({"kernel similarity": base, SHIPPED: base})) == ""
