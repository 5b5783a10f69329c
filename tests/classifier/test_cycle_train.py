"""One training cycle: learning, recency, determinism, promotion, checkpoints, cold start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from tastedata import DAY, FAST, NOW, Library, config, listened_library, open_store

from classifier.cycle.rescore import rescore
from classifier.cycle.train import decide, train_cycle
from classifier.taste.checkpoints import CHECKPOINT_SUFFIX, latest_checkpoint_ok, load_checkpoint
from classifier.taste.metrics import roc_auc
from store import ModelError, Store


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
    for key in ("roc_auc", "precision_at_k", "k", "n_labels", "n_positive", "n_negative"):
        assert key in record.metrics
    assert record.metrics["n_positive"] == 20
    assert record.hparams["half_life_days"] == FAST.half_life_days
    candidates = store.candidate_ids()
    assert rescore(store, FAST, tmp_path / "models") == len(candidates) == 24
    assert _auc(store, lib, "A", candidates) > 0.9
    assert store.queue(limit=5)[0].model_version == record.version


def test_recency_weighting_follows_taste_drift(tmp_path: Path) -> None:
    # Negatives are explicit dislikes (cluster B), not the candidates themselves.
    history = [("A", 30, 200, 60), ("C", 12, 40, 1)]
    aucs = {}
    for half_life in (float("inf"), 14.0):
        store = open_store(tmp_path, f"h{half_life}.db")
        lib = listened_library(store, history, {"A": 10, "C": 10})
        for i in range(10):
            track = lib.add(f"bad{i}", "B")
            store.add_feedback("dislike", "test", track=track, created_at=NOW - i * DAY)
        cfg = config(half_life_days=half_life, unlabelled_sample=0)
        train_cycle(store, cfg, tmp_path / f"m{half_life}", now=NOW)
        rescore(store, cfg, tmp_path / f"m{half_life}")
        aucs[half_life] = _auc(store, lib, "C", store.candidate_ids())
    assert aucs[14.0] > 0.7
    assert aucs[14.0] > aucs[float("inf")] + 0.2


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
def test_a_damaged_checkpoint_is_never_loaded(tmp_path: Path, damage: str) -> None:
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
    with pytest.raises(ModelError, match="taste checkpoint"):
        rescore(store, FAST, tmp_path / "m")
    result = train_cycle(store, config(steps=5), tmp_path / "m", now=NOW)
    assert result.promoted
    assert result.reason == "no usable champion"
    assert latest_checkpoint_ok(tmp_path / "m" / store.champion().checkpoint)  # type: ignore[union-attr]


def test_promotion_is_refused_when_the_challenger_is_worse_beyond_tolerance(
    tmp_path: Path,
) -> None:
    held = {"n_val_positive": 6.0}
    assert decide({"roc_auc": 0.70, **held}, {"roc_auc": 0.80}, 0.05) == (
        False,
        "ROC-AUC 0.700 worse than champion 0.800 by more than 0.05",
    )
    assert decide({"roc_auc": 0.77, **held}, {"roc_auc": 0.80}, 0.05)[0]
    few = decide({"roc_auc": 0.10, "n_val_positive": 2.0}, {"roc_auc": 0.90}, 0.05)
    assert few[0]
    assert "too few to compare" in few[1]
    store = open_store(tmp_path)
    listened_library(store, [("A", 40, 60, 1)], {"A": 12, "B": 12})
    first = train_cycle(store, FAST, tmp_path / "m", now=NOW)
    strict = config(promote_tolerance=-0.5)  # must beat the champion by 0.5 ROC-AUC
    second = train_cycle(store, strict, tmp_path / "m", now=NOW + 60)
    assert first.promoted
    assert not second.promoted
    assert second.version is not None
    assert second.version != first.version
    assert "worse than champion" in second.reason
    assert store.champion().version == first.version  # type: ignore[union-attr]
    assert second.metrics["champion_roc_auc"] == pytest.approx(first.metrics["roc_auc"])


def test_only_the_newest_checkpoints_are_kept_and_the_champions(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 40, 30, 1)], {"A": 6, "B": 6})
    train_cycle(store, config(steps=5), tmp_path / "m", now=NOW)
    champion = tmp_path / "m" / store.champion().checkpoint  # type: ignore[union-attr]
    refuse = config(steps=5, keep_checkpoints=2, promote_tolerance=-2.0)
    for i in range(3):
        train_cycle(store, refuse, tmp_path / "m", now=NOW + i)
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
