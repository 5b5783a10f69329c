"""The prequential judge on replayed listen streams: a tie never switches what ranks, a
clearly better ranker takes over within a stated number of listens, and a switch starts
the record afresh."""

from __future__ import annotations

import math

import numpy as np

from classifier.taste.judge import Standing, interval, standing
from classifier.taste.prequential import Record, confidence_interval, decide

CYCLE = 5  # listens between two looks of the judge (a training cycle)


def _stream(n: int, noise: tuple[float, float], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standings of ``n`` listens under two rankers that see the listener's true taste
    through noise of the given sizes, each listen ranked among 200 fresh candidates."""
    rng = np.random.default_rng(seed)
    a, b = np.empty(n), np.empty(n)
    for i in range(n):
        taste = rng.normal(size=200)
        heard = rng.normal(1.0)  # a listen: a track the listener likes more than most
        for out, width in ((a, noise[0]), (b, noise[1])):
            field = taste + rng.normal(0, width, 200)
            out[i] = standing(np.array([heard + rng.normal(0, width)]), field, 20).percentiles[0]
    return a, b


def _replay(a: np.ndarray, b: np.ndarray, start: str = "model") -> list[tuple[int, str]]:
    """(listen, new ranker) of every switch when the judge looks after each cycle."""
    ranker, era, switches = start, 0, []
    for n in range(CYCLE, len(a) + 1, CYCLE):
        switch = decide(ranker, Record(a[era:n], b[era:n]))  # type: ignore[arg-type]
        if switch.switched:
            ranker, era = switch.ranker, n
            switches.append((n, ranker))
    return switches


def _fixed_interval_switches(a: np.ndarray, b: np.ndarray) -> int:
    """Looks at which a fixed 90% bootstrap interval over all listens so far excludes zero."""
    looks = range(CYCLE, len(a) + 1, CYCLE)
    return sum(
        interval(Standing(a[:n], a[:n] > 1), Standing(b[:n], b[:n] > 1), seed=n)[0] > 0
        or interval(Standing(a[:n], a[:n] > 1), Standing(b[:n], b[:n] > 1), seed=n)[1] < 0
        for n in looks
    )


def test_a_tie_never_switches_from_either_side() -> None:
    looked_alike = 0
    for seed in range(3):
        a, b = _stream(800, (1.0, 1.0), seed)
        assert _replay(a, b, "model") == []
        assert _replay(a, b, "similarity") == []
        looked_alike += _fixed_interval_switches(a[:300], b[:300])
    # what the judge replaced: a fixed interval, looked at after every cycle, called a tie
    # a difference at some cycle of these very streams
    assert looked_alike > 0


def test_a_clearly_better_ranker_takes_over_within_150_listens() -> None:
    for seed in range(4):
        better, worse = _stream(300, (0.5, 1.5), 100 + seed)
        switches = _replay(worse, better, "model")  # the model is the worse one here
        assert switches
        assert switches[0][1] == "similarity"
        assert switches[0][0] <= 150
        assert _replay(better, worse, "similarity")[0][0] <= 150


def test_a_switch_starts_the_record_afresh_so_its_evidence_cannot_undo_it() -> None:
    a, b = _stream(200, (0.5, 1.5), 7)
    switches = _replay(b, a, "model")
    assert [ranker for _, ranker in switches] == ["similarity"]


def test_the_interval_covers_the_mean_and_narrows_with_listens() -> None:
    rng = np.random.default_rng(0)
    diffs = np.clip(rng.normal(0.05, 0.3, 2000), -1, 1)
    widths = []
    for n in (20, 200, 2000):
        low, high = confidence_interval(diffs[:n])
        assert low <= 0.05 <= high
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2]
    assert all(math.isnan(x) for x in confidence_interval(np.zeros(0)))
    assert confidence_interval(np.full(3, 0.2)) == (-1.0, 1.0)  # three listens tell nothing


def test_the_summary_names_both_standings_the_listens_and_the_interval() -> None:
    record = Record(np.array([0.9, 0.8, 0.85]), np.array([0.7, 0.75, 0.8]))
    text = record.summary()
    assert text.startswith("model 0.85 vs similarity 0.75 on 3 listens (difference +0.100")
    assert "95% interval -1.000..+1.000" in text
    assert Record(np.zeros(0), np.zeros(0)).summary() == "no new listens tested yet"
    assert decide("model", record).reason == text
