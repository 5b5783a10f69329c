"""One training cycle: learning, recency, determinism, the judge at work, checkpoints,
cold start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from classifier import ModelError
from classifier.cycle.rescore import rescore
from classifier.cycle.train import train_cycle
from classifier.taste.adapter import GROWTH, same_view
from classifier.taste.checkpoints import CHECKPOINT_SUFFIX, latest_checkpoint_ok, load_checkpoint
from classifier.taste.metrics import roc_auc
from store import Store
from tests.classifier.tastedata import DAY, FAST, NOW, Library, config, listened_library, open_store


def _auc(store: Store, lib: Library, relevant: str, ids: list[int]) -> float:
    scores = store.scores()
    return roc_auc(
        np.array([scores[t] for t in ids]), np.array([lib.cluster[t] == relevant for t in ids])
    )


def test_a_cycle_trains_promotes_and_ranks_the_liked_cluster_first(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    lib = listened_library(store, [("A", 20, 60, 1)], {"A": 12, "B": 12})
    result = train_cycle(store, FAST, tmp_path / "models", now=NOW)
    assert result.promoted
    assert result.version == store.champion().version
    record = store.champion()
    assert record is not None
    assert latest_checkpoint_ok(tmp_path / "models" / record.checkpoint)
    for key in ("hit_at_k", "percentile", "similarity_percentile", "k", "n_heldout"):
        assert key in record.metrics
    assert record.metrics["n_heldout"] == 3  # the newest 15% of 20 listened tracks
    assert record.metrics["percentile"] > 0.6  # above every B; among the A candidates
    # the first model's held-out split seeds its record: three listens are no evidence
    # against it, so the model ranks
    seeded = store.evidence()
    assert [e.seeded for e in seeded] == [True] * 3
    assert {e.model_version for e in seeded} == {record.version}
    assert store.ranker().ranker == "model"
    assert record.metrics["n_positive"] == 20
    assert record.hparams["half_life_days"] == FAST.half_life_days
    candidates = store.candidate_ids()
    assert rescore(store, FAST, tmp_path / "models") == len(candidates) == 24
    assert _auc(store, lib, "A", candidates) > 0.9
    assert store.queue(limit=5)[0].model_version == record.version


def test_the_queue_follows_taste_drift_whatever_the_body_half_life(tmp_path: Path) -> None:
    # Months of A, then the last weeks of C; dislikes of B. The head's short time scales
    # carry the drift even when the body weighs every listen alike.
    history = [("A", 30, 200, 60), ("C", 12, 40, 1)]
    for half_life in (float("inf"), 14.0):
        store = open_store(tmp_path, f"h{half_life}.db")
        lib = listened_library(store, history, {"A": 10, "C": 10})
        for i in range(10):
            track = lib.add(f"bad{i}", "B")
            store.add_feedback("dislike", "test", track=track, created_at=NOW - i * DAY)
        cfg = config(half_life_days=half_life, unlabelled_sample=0)
        train_cycle(store, cfg, tmp_path / f"m{half_life}", now=NOW)
        rescore(store, cfg, tmp_path / f"m{half_life}", now=NOW)
        assert _auc(store, lib, "C", store.candidate_ids()) > 0.9


def test_a_cycle_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    states = []
    for run in ("a", "b", "c"):
        store = open_store(tmp_path, f"{run}.db")
        listened_library(store, [("A", 10, 30, 1)], {"A": 6, "B": 6})
        cfg = config(seed=5 if run == "c" else 0, steps=15)
        result = train_cycle(store, cfg, tmp_path / run, now=NOW)
        states.append(load_checkpoint(tmp_path / run / store.models()[-1].checkpoint).state_dict())
        assert result.trained
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert not all(torch.equal(states[0][k], states[2][k]) for k in states[0])


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing"])
def test_a_damaged_checkpoint_is_never_loaded(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 40, 30, 1)], {"A": 6, "B": 6})
    train_cycle(store, config(steps=5), tmp_path / "m", now=NOW)
    path = tmp_path / "m" / store.champion().checkpoint  # type: ignore[union-attr]
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\0garbage" * 100)
    else:
        path.unlink()
    assert not latest_checkpoint_ok(path)
    with pytest.raises(ModelError, match=r"taste checkpoint .*(corrupt|No such file)"):
        load_checkpoint(path)
    assert rescore(store, FAST, tmp_path / "m", now=NOW) == 12  # by similarity meanwhile
    assert "ranking by similarity until the next training cycle" in caplog.text
    assert {e.model_version for e in store.queue(limit=20)} == {None}
    result = train_cycle(store, config(steps=5), tmp_path / "m", now=NOW)
    assert result.promoted
    assert "no champion to beat" in result.reason
    assert latest_checkpoint_ok(tmp_path / "m" / store.champion().checkpoint)  # type: ignore[union-attr]


def _heavy_rotation(store: Store) -> Library:
    """30 tracks of A played five times each in the last week, 30 more of A offered, 20 of
    B disliked (the space similarity is measured in then has a direction between tastes)."""
    lib = listened_library(store, [("A", 30, 7, 0.6)], {"A": 30})
    for i in range(30):
        for j in range(4):
            lib.listen(f"h0-A{i}", NOW - (0.6 + (i + 30 * j) * 0.05) * DAY)
    for i in range(20):
        track = lib.add(f"bad{i}", "B")
        store.add_feedback("dislike", "test", track=track, created_at=NOW - 3 * DAY - i * 3600)
    return lib


def _newcomers(lib: Library, n: int, day: float) -> None:
    """Listens, newest of all, to tracks each unlike anything heard or offered and unlike
    each other: far from the middle of the library, each in a direction of its own."""
    middle = (lib.centres["A"] * 60 + lib.centres["B"] * 20) / 80
    for i in range(n):
        lib.centres[f"new{i}"] = middle + lib.rng.normal(0.0, 3.0, len(middle))
        lib.add(f"new{i}", f"new{i}")
        lib.listen(f"new{i}", NOW - (day - i * 0.01) * DAY)


def test_a_challenger_worse_than_chance_on_held_out_listens_is_never_promoted(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    lib = _heavy_rotation(store)
    _newcomers(lib, 8, 0.5)  # the held-out newest listens rank below every candidate
    plain = config(mix_steps=0)  # the head stays plain similarity: no luck can save it
    result = train_cycle(store, plain, tmp_path / "m", now=NOW)
    assert result.trained
    assert not result.promoted
    assert "worse than chance" in result.reason
    assert result.metrics["percentile"] < 0.2
    assert store.champion() is None
    rescore(store, plain, tmp_path / "m", now=NOW)
    assert {e.model_version for e in store.queue(limit=20)} == {None}


def test_the_champion_stays_while_challengers_fail_and_its_checkpoint_is_kept(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    lib = _heavy_rotation(store)
    plain = config(keep_checkpoints=2, mix_steps=0)
    first = train_cycle(store, plain, tmp_path / "m", now=NOW - 2 * DAY)
    assert first.promoted
    champion = tmp_path / "m" / store.champion().checkpoint  # type: ignore[union-attr]
    _newcomers(lib, 8, 0.5)
    for i in range(3):
        later = train_cycle(store, plain, tmp_path / "m", now=NOW + i)
        assert later.trained
        assert not later.promoted
        assert "worse than chance" in later.reason
    assert store.champion().version == first.version  # type: ignore[union-attr]
    kept = sorted((tmp_path / "m").glob(f"*{CHECKPOINT_SUFFIX}"))
    assert champion in kept
    assert len(kept) == 3
    assert not list((tmp_path / "m").glob("*.tmp"))


def test_cold_start_trains_nothing_and_ranks_by_feed_order(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    lib = Library(store)
    names = [f"n{i}" for i in range(6)]
    for name in reversed(names):
        lib.add(name, "A")
    lib.offer(names)
    result = train_cycle(store, FAST, tmp_path / "m", now=NOW)
    assert not result.trained
    assert not result.promoted
    assert result.reason.startswith("untrained")
    assert store.champion() is None
    assert store.models() == []
    assert rescore(store, FAST, tmp_path / "m") == 6
    queue = store.queue(limit=10)
    assert [e.track.id for e in queue] == [lib.ids[n] for n in names]
    assert all(e.model_version is None for e in queue)


def test_a_history_years_old_trains_as_a_recent_one(tmp_path: Path) -> None:
    # every listen three years back: each weight is 0.5 ** 156 at the 7-day half-life,
    # below what float32 holds, yet the relative weights are those of a recent history
    store = open_store(tmp_path)
    lib = listened_library(store, [("A", 20, 1160, 1100)], {"A": 12, "B": 12})
    result = train_cycle(store, config(half_life_days=7.0), tmp_path / "models", now=NOW)
    assert result.promoted
    rescore(store, FAST, tmp_path / "models", now=NOW)
    assert _auc(store, lib, "A", store.candidate_ids()) > 0.9


def test_the_champions_adapter_carries_over_until_the_library_grows_a_quarter(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    lib = listened_library(store, [("A", 20, 60, 1)], {"A": 20, "B": 20})  # 60 tracks
    models = tmp_path / "models"
    first = train_cycle(store, FAST, models, now=NOW)
    champion = load_checkpoint(models / store.models()[-1].checkpoint)
    assert first.promoted
    assert champion.adapter() is not None
    assert float(champion.get_buffer("adapter_tracks")) == 60
    train_cycle(store, FAST, models, now=NOW + DAY)
    again = load_checkpoint(models / store.models()[-1].checkpoint)
    assert same_view(again, champion)  # kept: the library has not grown
    for i in range(int(60 * (GROWTH - 1))):
        lib.add(f"new{i}", "B")
    lib.offer([f"new{i}" for i in range(15)])
    train_cycle(store, FAST, models, now=NOW + 2 * DAY)
    grown = load_checkpoint(models / store.models()[-1].checkpoint)
    assert grown.adapter() is not None
    assert not same_view(grown, champion)
    assert float(grown.get_buffer("adapter_tracks")) == 75
    assert rescore(store, FAST, models, now=NOW + 2 * DAY) == 55
