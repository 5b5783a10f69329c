"""The Store facade: opening, pragmas, WAL snapshots, backups, errors from the environment."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from store import SCHEMA_VERSION, ListenIn, Store, StoreError, TrackRef


def test_open_sets_pragmas_and_version(store: Store) -> None:
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store.schema_version() == SCHEMA_VERSION


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match="cannot open database"):
        Store.open(tmp_path / "dir.db")


def _writer(path: str, n: int) -> None:
    with Store.open(path) as store:
        for i in range(n):
            store.add_listens(
                [
                    ListenIn(TrackRef("lb", "W", f"t{i}"), i),
                    ListenIn(TrackRef("lb", "W", f"u{i}"), i),
                ],
                "lb",
            )


def test_reader_sees_consistent_snapshots_while_writer_writes(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    Store.open(path).close()
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_writer, args=(str(path), 200))
    proc.start()
    seen = set()
    with Store.open(path) as reader:
        while proc.is_alive() or not seen:
            with reader.read() as conn:
                listens = conn.execute("SELECT count(*) FROM listens").fetchone()[0]
                tracks = conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
            assert listens % 2 == 0  # each transaction writes two listens at once
            assert listens == tracks
            seen.add(listens)
    proc.join(30)
    assert proc.exitcode == 0
    with Store.open(path) as reader:
        assert reader.integrity_check() == "ok"
        assert len(reader.listens()) == 400


def test_backup_is_a_consistent_copy(store: Store, tmp_path: Path) -> None:
    store.upsert_track(TrackRef("f", "A", "B"))
    target = tmp_path / "backup.db"
    store.backup(target)
    with Store.open(target) as copy:
        assert [t.title for t in copy.tracks()] == ["B"]


def test_a_full_disk_is_one_line_and_keeps_what_was_stored(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    with Store.open(path) as store:
        kept = store.upsert_track(TrackRef(source="t", artist="Kept", title="Before"))
        track = store.upsert_track(TrackRef(source="t", artist="A", title="After"))
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
        features = np.ones((10, 1506), np.float16)  # 30 kB: several pages
        with pytest.raises(StoreError) as info:
            store.put_embedding(track, "k", features, np.zeros((10, 50), np.float32))
        message = str(info.value)
        assert "\n" not in message
        assert str(path) in message
        assert "full" in message
        assert f"free space on the filesystem holding {tmp_path}" in message
    with Store.open(path) as store:
        assert store.get_track(kept) is not None
        assert store.integrity_check() == "ok"
