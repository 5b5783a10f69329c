"""The judge on plain arrays: standings, the paired bootstrap, and the promotion rules,
including the small-sample start."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifier.taste.judge import Standing, interval, judge, standing


def _at(*percentiles: float) -> Standing:
    p = np.array(percentiles, dtype=np.float64)
    return Standing(p, p > 0.95)


def test_a_standing_is_the_share_of_candidates_beaten_ties_counting_half() -> None:
    field = np.array([0.1, 0.2, 0.3, 0.4])
    got = standing(np.array([0.35, 0.05, 0.9, 0.2]), field, k=1)
    assert got.percentiles.tolist() == [0.75, 0.0, 1.0, 0.375]
    assert got.hits.tolist() == [False, False, True, False]
    assert got.percentile == pytest.approx(0.53125)
    assert math.isnan(standing(np.zeros(0), field, k=1).percentile)


def test_the_bootstrap_interval_is_paired_and_needs_two_tracks() -> None:
    a, b = _at(0.9, 0.8, 0.95, 0.85), _at(0.8, 0.7, 0.85, 0.75)
    low, high = interval(a, b)
    assert low == pytest.approx(0.1)  # always 0.1 better
    assert high == pytest.approx(0.1)
    assert all(math.isnan(x) for x in interval(_at(0.9), _at(0.1)))
    low, high = interval(_at(0.2, 0.3, 0.25, 0.3), 0.5)
    assert high < 0


def test_a_clearly_better_champion_stays() -> None:
    challenger = _at(0.55, 0.6, 0.5, 0.6, 0.58, 0.52)
    champion = _at(0.9, 0.95, 0.85, 0.92, 0.9, 0.88)
    verdict = judge(challenger, challenger, champion)
    assert not verdict.promote
    assert "champion ranks held-out listens better" in verdict.reason
    assert verdict.vs_champion[1] < 0


def test_an_uncertain_comparison_promotes_the_model_trained_on_the_newest_labels() -> None:
    challenger, champion = _at(0.9, 0.4, 0.8), _at(0.7, 0.8, 0.75)
    verdict = judge(challenger, challenger, champion)
    assert verdict.promote
    assert verdict.vs_champion[0] < 0 < verdict.vs_champion[1]
    start = judge(_at(0.1), _at(0.9), None)  # one held-out listen: nothing can be told
    assert start.promote
    empty = judge(_at(), _at(), None)
    assert empty.promote
    assert "no held-out listens" in empty.reason


def test_worse_than_chance_is_never_promoted_even_without_a_champion() -> None:
    verdict = judge(_at(0.1, 0.2, 0.15, 0.3, 0.2), _at(0.5, 0.5, 0.5, 0.5, 0.5), None)
    assert not verdict.promote
    assert "worse than chance" in verdict.reason


def test_one_split_measures_similarity_but_does_not_decide_what_ranks() -> None:
    # what ranks the queue is decided on the listens that come later (test_prequential)
    model = _at(0.7, 0.75, 0.72, 0.71, 0.74, 0.7)
    clearly = judge(model, _at(0.9, 0.92, 0.95, 0.91, 0.93, 0.9), None)
    assert clearly.promote
    assert clearly.vs_similarity[1] < 0
    assert "similarity 0.918" in clearly.reason
    assert not hasattr(clearly, "similarity_ranks")
