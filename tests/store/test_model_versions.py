"""Model versions, the champion, and track scores."""

from __future__ import annotations

import json
import time

import pytest

from store import Store, TrackRef


def test_models_and_champion(store: Store) -> None:
    assert store.champion() is None
    v1 = store.add_model(
        parent=None,
        hparams={"half_life_days": 21},
        n_train=10,
        n_val=2,
        metrics={"roc_auc": 0.8},
        checkpoint="/x/1.pt",
    )
    v2 = store.add_model(
        parent=v1, hparams={}, n_train=12, n_val=3, metrics={}, checkpoint="/x/2.pt"
    )
    store.promote(v1)
    assert store.champion().version == v1
    store.promote(v2)
    assert store.champion().version == v2
    assert [m.promoted for m in store.models()] == [False, True]


def test_scores_replace_the_previous_ones(store: Store) -> None:
    a, b = (store.upsert_track(TrackRef("f", "A", t)) for t in ("x", "y"))
    assert store.put_scores(1, [(a, 0.25), (b, 0.5)]) == 2
    assert store.put_scores(2, [(a, 0.75)]) == 1
    assert store.put_scores(2, []) == 0
    assert store.scores() == {a: 0.75, b: 0.5}


def test_unmeasured_metrics_are_stored_as_json_null_and_read_back_as_none(store: Store) -> None:
    metrics = {"k": 20, "hit_at_k": float("nan"), "percentile": float("inf"), "n_heldout": 12}
    version = store.add_model(
        parent=None, hparams={}, n_train=1, n_val=1, metrics=metrics, checkpoint="v1.pt"
    )
    (raw,) = store.conn.execute("SELECT metrics FROM models WHERE version = ?", (version,))
    assert json.loads(raw[0]) == {"hit_at_k": None, "k": 20, "n_heldout": 12, "percentile": None}
    assert "NaN" not in raw[0]
    assert "Infinity" not in raw[0]
    (model,) = store.models()
    assert model.metrics == {"k": 20, "n_heldout": 12}
    assert model.metrics.get("hit_at_k") is None
    assert model.metrics.get("percentile") is None


def test_nan_an_older_version_stored_reads_back_as_not_measured(store: Store) -> None:
    store.add_model(parent=None, hparams={}, n_train=1, n_val=1, metrics={}, checkpoint="v1.pt")
    store.conn.execute("""UPDATE models SET metrics = '{"roc_auc": NaN, "n_labels": 9}'""")
    assert store.models()[0].metrics == {"n_labels": 9}


def test_last_scored_says_what_the_newest_scores_ranked_by(store: Store) -> None:
    a = store.upsert_track(TrackRef("f", "A", "x"))
    assert store.last_scored() is None
    store.put_scores(None, [(a, 0.5)])
    assert store.last_scored() == (None, pytest.approx(time.time(), abs=60))
    store.put_scores(3, [(a, 0.5)])
    assert store.last_scored()[0] == 3  # type: ignore[index]


def test_cleared_scores_are_gone_and_the_rest_stay(store: Store) -> None:
    a, b = (store.upsert_track(TrackRef("f", "A", t)) for t in ("x", "y"))
    store.put_scores(1, [(a, 0.25), (b, 0.5)])
    assert store.clear_scores([b, 999]) == 1
    assert store.scores() == {a: 0.25}
