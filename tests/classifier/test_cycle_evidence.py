"""The prequential record through real training cycles: new listens are tested against the
rankings made before them, the first model's split seeds the record, and the queue
follows the judge's switch."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from classifier.cycle.evidence import first_listens
from classifier.cycle.rescore import rescore
from classifier.cycle.train import train_cycle
from classifier.embed import feature_key
from classifier.taste.kernel import History
from store import Evidence
from tests.classifier.tastedata import (
    DAY,
    FAST,
    KEY,
    NOW,
    config,
    listened_library,
    open_store,
)


def test_first_listens_are_those_whose_first_listen_falls_in_the_span() -> None:
    history = History(
        np.array([1, 1, 2, 3, 4]),
        np.array([5.0, 15.0, 12.0, 20.0, 14.0]),
        np.array([True, True, True, True, False]),
    )
    ids, times = first_listens(history, 10.0, 18.0)
    assert ids.tolist() == [2]
    assert times.tolist() == [12.0]


def test_new_listens_are_ranked_as_of_the_previous_cycle(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    lib = listened_library(store, [("A", 20, 60, 1)], {"A": 12, "B": 12})
    first = train_cycle(store, FAST, tmp_path / "models", now=NOW)
    assert first.promoted
    seeded = store.evidence()
    assert seeded
    assert all(e.seeded for e in seeded)
    for i in range(4):  # the listener finds more of A, and one B, the next day
        name = f"new-A{i}"
        lib.add(name, "A")
        lib.listen(name, NOW + DAY * (0.2 + i / 10))
    lib.add("new-B", "B")
    lib.listen("new-B", NOW + DAY * 0.7)
    train_cycle(store, FAST, tmp_path / "models", now=NOW + DAY)
    tested = [e for e in store.evidence() if not e.seeded]
    assert len(tested) == 5
    assert {e.ranked_at for e in tested} == {NOW}  # as the rankings stood before them
    assert {e.model_version for e in tested} == {first.version}
    by_track = {e.track_id: e for e in tested}
    b = by_track[lib.ids["new-B"]]
    a = [by_track[lib.ids[f"new-A{i}"]] for i in range(4)]
    assert all(x.model_standing > b.model_standing for x in a)
    assert all(x.similarity_standing > b.similarity_standing for x in a)
    train_cycle(store, FAST, tmp_path / "models", now=NOW + 2 * DAY)
    assert len(store.evidence()) == len(seeded) + 5  # each listen is tested once


def test_the_queue_follows_the_judges_switch_and_only_it(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 20, 60, 1)], {"A": 12, "B": 12})
    train_cycle(store, FAST, tmp_path / "models", now=NOW)
    champion = store.champion()
    assert champion is not None
    rescore(store, FAST, tmp_path / "models", now=NOW)
    assert store.queue(limit=1)[0].model_version == champion.version
    # a long record in which similarity ranked each new listen clearly higher
    rows = [
        Evidence(t, NOW, NOW, 24, champion.version, 0.6, 0.8) for t in store.candidate_ids()[:24]
    ]
    assert store.add_evidence(rows) == 24
    train_cycle(store, FAST, tmp_path / "models", now=NOW + DAY)
    state = store.ranker()
    assert state.ranker == "similarity"
    assert state.reason.startswith("similarity ranked new listens better: model 0.")
    rescore(store, FAST, tmp_path / "models", now=NOW + DAY)
    assert store.queue(limit=1)[0].model_version is None


def test_new_features_start_a_model_and_its_record_afresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 20, 60, 1)], {"A": 12, "B": 12})
    old = train_cycle(store, FAST, tmp_path / "models", now=NOW)
    assert store.evidence()
    other = config(backbone="MTT_musicnn")
    for track in store.tracks():  # the same tracks analysed again with the other network
        feats, tags = store.get_embedding(track.id, KEY)
        store.put_embedding(track.id, feature_key(other.backbone), feats, tags)
    caplog.set_level(logging.INFO)
    new = train_cycle(store, other, tmp_path / "models", now=NOW + DAY)
    assert new.promoted
    assert f"v{old.version} was trained on MSD_musicnn features" in caplog.text
    state = store.ranker()
    assert state.reason.startswith("the features changed from MSD_musicnn to MTT_musicnn")
    record = store.evidence(after=state.after_evidence)  # the new model's split seeds it
    assert record
    assert {e.model_version for e in record} == {new.version}
    assert all(e.seeded for e in record)
