"""The daemon's train job: when it trains again without a new label."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from daemon.config import Config, StorageConfig
from daemon.service.jobs import Jobs
from store import Store
from tests.classifier.tastedata import FAST, Library, ref


def test_train_runs_again_once_the_listened_tracks_have_features(tmp_path: Path) -> None:
    # A fresh install: the first train runs on listens whose audio is not embedded yet.
    config = Config(storage=StorageConfig(dir=str(tmp_path / "state")), model=FAST)
    with Store.open(config.db_path) as store:
        lib = Library(store)
        names = [f"h{i}" for i in range(8)]
        for i, name in enumerate(names):
            store.upsert_track(ref(name))
            lib.listen(name, time.time() - i * 3600)
        candidates = [f"c{i}" for i in range(12)]
        for i, name in enumerate(candidates):
            lib.add(name, "ABCD"[i % 4])
        lib.offer(candidates)
        jobs = Jobs(config, store, threading.Event())
        assert jobs.train().get("trained") == 0
        for i, name in enumerate(names):  # the fetch job embeds them: no new listen
            lib.add(name, "AB"[i % 2])
        assert jobs.train().get("trained") == 1
        assert jobs.train().get("trained") is None  # nothing changed since


def test_train_runs_again_once_the_library_grew_a_tenth(tmp_path: Path) -> None:
    # Candidates of a new style arrive after training, with no new listen: the model's
    # similarity space and adapted back end are fit to the library, so it trains again.
    config = Config(storage=StorageConfig(dir=str(tmp_path / "state")), model=FAST)
    with Store.open(config.db_path) as store:
        lib = Library(store)
        lib.heard_and_offered(8, 32, styles="ABC")
        jobs = Jobs(config, store, threading.Event())
        assert jobs.train().get("trained") == 1  # 40 tracks with features
        lib.add("d0", "D")
        lib.add("d1", "D")
        lib.offer(["d0", "d1"])
        rescored = jobs.train()  # 42: within a tenth, the new tracks scored by the model
        assert rescored.get("trained") is None
        assert rescored.get("scored")
        for name in ("d2", "d3", "d4"):
            lib.add(name, "D")
        lib.offer(["d2", "d3", "d4"])
        assert jobs.train().get("trained") == 1  # 45: more than a tenth over 40
        assert jobs.train().get("trained") is None
