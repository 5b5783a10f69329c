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
