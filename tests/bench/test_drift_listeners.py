"""The drift benchmark's simulated listeners: who hears what, and what is relevant when."""

from __future__ import annotations

import numpy as np
import pytest

from bench.drift import rankers
from bench.drift.ceiling import fit_logistic
from bench.drift.listeners import DAY, KINDS, LISTENS_PER_DAY, NOW, Listener, simulate
from bench.drift.run import K, metrics

# Four styles of unequal size, as a corpus's packages are.
LABELS = np.repeat(np.arange(4), [26, 18, 41, 10])


def _listener(kind: str, seed: int = 0) -> Listener:
    return simulate(KINDS[kind], LABELS, seed)


def _styles(listener: Listener, listens: list[int]) -> set[int]:
    return {int(LABELS[listener.listens[i].track]) for i in listens}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_listens_and_candidates_are_consistent(kind: str, seed: int) -> None:
    lis = _listener(kind, seed)
    assert len(lis.listens) == LISTENS_PER_DAY * lis.days
    assert lis.day_end(lis.days - 1) == NOW
    assert np.all(np.diff(lis.times) >= 0)
    assert lis.times[0] > NOW - lis.days * DAY
    for day in (0, lis.days // 2, lis.days - 1):
        cands = lis.candidates(day)
        listened = {x.track for x in lis.listens_until(lis.day_end(day))}
        assert set(cands.tolist()) == set(range(len(LABELS))) - listened
        relevant = lis.relevant(day, cands)
        assert 0 < relevant.sum() < len(cands)  # both classes: ranking them means something
    heard = set(np.concatenate(list(lis.heard.values())).tolist())
    assert {x.track for x in lis.listens} <= heard  # listens only come from the heard half


def test_switch_likes_the_old_pair_then_the_new_pair() -> None:
    lis = _listener("switch")
    old, new = set(lis.roles[:2].tolist()), set(lis.roles[2:].tolist())
    assert set(lis.relevant_styles(0).tolist()) == old
    assert set(lis.relevant_styles(179).tolist()) == old
    assert set(lis.relevant_styles(lis.days - 1).tolist()) == new
    before = [i for i, x in enumerate(lis.listens) if x.at <= lis.day_end(179)]
    assert _styles(lis, before) == old
    assert _styles(lis, list(range(len(before), len(lis.listens)))) == new


def test_multi_likes_three_styles_all_year() -> None:
    lis = _listener("multi")
    liked = set(lis.roles[:3].tolist())
    assert all(set(lis.relevant_styles(d).tolist()) == liked for d in (0, 200, lis.days - 1))
    assert _styles(lis, list(range(len(lis.listens)))) == liked
    cands = lis.candidates(lis.days - 1)
    assert set(np.flatnonzero(LABELS == lis.roles[3]).tolist()) <= set(cands.tolist())


def test_gradual_moves_from_the_old_pair_to_the_new() -> None:
    lis = _listener("gradual")
    old, new = set(lis.roles[:2].tolist()), set(lis.roles[2:].tolist())
    assert set(lis.relevant_styles(0).tolist()) == old
    assert set(lis.relevant_styles(lis.days - 1).tolist()) == new
    early = [i for i, x in enumerate(lis.listens) if x.at <= lis.day_end(90)]
    assert _styles(lis, early) == old
    last_month = [i for i, x in enumerate(lis.listens) if x.at > lis.day_end(lis.days - 31)]
    share_new = np.mean([LABELS[lis.listens[i].track] in new for i in last_month])
    assert share_new > 0.8


def test_noisy_is_switch_with_a_third_of_listens_at_random() -> None:
    lis = _listener("noisy")
    share = np.mean([x.random for x in lis.listens])
    assert 0.25 < share < 0.35
    new = set(lis.roles[2:].tolist())
    assert set(lis.relevant_styles(lis.days - 1).tolist()) == new
    chosen = [i for i, x in enumerate(lis.listens) if not x.random and x.at > lis.day_end(179)]
    assert _styles(lis, chosen) == new
    assert len(lis.candidates(lis.days - 1)) >= 0.4 * len(LABELS)


def test_the_ceiling_solves_its_logistic_regression() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 200))
    y = (x[:, 0] + 0.3 * rng.normal(size=40) > 0).astype(float)
    w, b = fit_logistic(x, y)
    p = 1 / (1 + np.exp(-(x @ w + b)))
    assert np.abs(x.T @ (p - y) + w).max() < 1e-5  # the gradient of the penalised loss
    assert abs((p - y).sum()) < 1e-5


def test_the_attainable_row_is_the_cap_of_precision_at_20() -> None:
    lis = _listener("switch")
    h = rankers.history(lis, lis.days - 1)
    p20, auc = metrics(rankers.attainable(None, h), h.relevant)  # type: ignore[arg-type]
    assert auc == 1.0
    assert p20 == min(int(h.relevant.sum()), K) / K
    small = simulate(KINDS["switch"], np.repeat(np.arange(4), [16, 14, 10, 18]), 4)
    h = rankers.history(small, small.days - 1)
    cap = metrics(rankers.attainable(None, h), h.relevant)[0]  # type: ignore[arg-type]
    assert cap < 1  # fewer than 20 relevant candidates are left
