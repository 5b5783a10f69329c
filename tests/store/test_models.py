"""Model versions, the champion, and track scores."""

from __future__ import annotations

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
