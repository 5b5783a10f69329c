"""The heard regression: heard tracks against candidates, cross-fitted by track id."""

from __future__ import annotations

import numpy as np

from classifier.taste.heard import FOLDS, SAMPLE, fit_heard, heard_scores


def _styles(rng: np.random.Generator, per_style: int, styles: int = 4, dim: int = 16) -> np.ndarray:
    """Unit vectors in ``styles`` clusters, ``per_style`` each, style by style."""
    centres = rng.normal(size=(styles, dim))
    points = np.repeat(centres, per_style, axis=0) + 0.5 * rng.normal(
        size=(styles * per_style, dim)
    )
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_it_ranks_the_styles_heard_above_the_one_never_heard() -> None:
    rng = np.random.default_rng(0)
    units = _styles(rng, 30)
    ids = np.arange(len(units))
    style = ids // 30
    heard = (style < 3) & (ids % 2 == 0)  # half of three styles heard, none of the fourth
    fit = fit_heard(
        (ids[heard], units[heard], np.full(heard.sum(), 3.0)), (ids[~heard], units[~heard]), 0
    )
    scores = heard_scores(units[~heard], ids[~heard], fit)
    liked = style[~heard] < 3
    assert scores[liked].min() > scores[~liked].max()


def test_a_track_is_scored_by_a_fit_that_never_saw_it() -> None:
    rng = np.random.default_rng(1)
    units = _styles(rng, 20)
    ids = np.arange(len(units))
    heard = ids < 40
    pos = (ids[heard], units[heard], np.ones(heard.sum()))
    with_it = fit_heard(pos, (ids[~heard], units[~heard]), 0)
    without = fit_heard(pos, (ids[~heard][1:], units[~heard][1:]), 0)
    track = ids[~heard][:1]
    first = heard_scores(units[track], track, with_it)
    assert np.allclose(first, heard_scores(units[track], track, without))
    assert not np.allclose(
        heard_scores(units[:1], ids[:1] + 1, with_it), heard_scores(units[:1], ids[:1], with_it)
    )
    assert set(np.unique(with_it.ids % FOLDS)) == set(range(FOLDS))


def test_too_few_tracks_or_no_plays_leave_it_out() -> None:
    rng = np.random.default_rng(2)
    units = _styles(rng, 10)
    ids = np.arange(len(units))
    silent = fit_heard((ids[:20], units[:20], np.zeros(20)), (ids[20:], units[20:]), 0)
    few = fit_heard((ids[:20], units[:20], np.ones(20)), (ids[20:25], units[20:25]), 0)
    for fit in (silent, few):
        assert len(fit.ids) == 0
        assert not heard_scores(units, ids, fit).any()


def test_it_keeps_the_most_played_and_a_sample_of_the_candidates() -> None:
    rng = np.random.default_rng(3)
    n = SAMPLE + 40
    units = _styles(rng, n, styles=2)
    ids = np.arange(len(units))
    plays = rng.uniform(1, 50, n)
    fit = fit_heard((ids[:n], units[:n], plays), (ids[n:], units[n:]), 0)
    heard = fit.ids[fit.ids < n]
    assert len(heard) == SAMPLE
    assert len(fit.ids) == 2 * SAMPLE
    assert plays[heard].min() >= np.sort(plays)[-SAMPLE]
