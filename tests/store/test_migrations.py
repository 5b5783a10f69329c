"""Schema migrations: every earlier version upgrades, a newer one is refused, races apply once."""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from store import SCHEMA_VERSION, SchemaTooNewError, Store, StoreError
from store.connection import connect
from store.schema import VERSIONS

NAMES = [name for name, _ in VERSIONS]


def _legacy_database(path: Path, version: int) -> None:
    """A database as tastebud made it before steps were recorded by name: user_version only."""
    conn = sqlite3.connect(path)
    for _, statements in VERSIONS[:version]:
        for statement in statements:
            conn.execute(statement)
    conn.execute(
        "INSERT INTO tracks (artist, title, source, match_key, first_seen, updated_at) "
        "VALUES ('A', 'T', 'x', 'a|t', 1, 1)"
    )
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


def _recorded(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id").fetchall()
    conn.close()
    return [r[0] for r in rows]


def _schema(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
    ).fetchall()
    conn.close()
    return rows


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION + 1))
def test_every_earlier_version_upgrades_keeping_data(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.db"
    _legacy_database(path, version)
    with Store.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert [t.artist for t in store.tracks()] == ["A"]
        assert store.add_feedback("like", "cli", track=store.tracks()[0].id)
    assert _recorded(path) == NAMES
    Store.open(tmp_path / "fresh.db").close()
    assert _schema(path) == _schema(tmp_path / "fresh.db")


def test_a_new_database_records_every_step(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store.open(path).close()
    Store.open(path).close()
    assert _recorded(path) == NAMES


def test_a_new_database_says_so_in_one_info_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "new.db"
    with caplog.at_level(logging.INFO, logger="store"):
        Store.open(path).close()
        Store.open(path).close()  # up to date: nothing to say
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert said == [f"database {path} created (schema version {SCHEMA_VERSION})"]


def test_an_upgrade_says_so_in_one_info_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.db"
    _legacy_database(path, 1)
    with caplog.at_level(logging.INFO, logger="store"):
        Store.open(path).close()
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert said == [
        f"database {path} upgraded from schema version 1 to {SCHEMA_VERSION} "
        f"({SCHEMA_VERSION - 1} steps)"
    ]


def test_refuses_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNewError, match="upgrade tastebud"):
        Store.open(path)
    with pytest.raises(SchemaTooNewError, match="upgrade tastebud"):
        Store.open(path, readonly=True)


def test_a_failed_upgrade_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _legacy_database(path, 1)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE scores (x)")  # version 2 creates it too: the upgrade fails
    conn.close()
    with pytest.raises(StoreError, match="already exists"):
        Store.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert "feedback" not in tables
    assert "_sqlite_migrations" not in tables


def test_migration_racing_another_process_applies_each_version_once(tmp_path: Path) -> None:
    """The daemon and the dashboard (or the demo's watcher) may both create the file."""
    path = tmp_path / "race.db"
    racer = Store(connect(path, readonly=False), path)
    read_version = racer.schema_version

    def version_then_lose_the_race() -> int:
        version = read_version()
        if version == 0:
            Store.open(path).close()  # another process migrates right after our read
        return version

    racer.schema_version = version_then_lose_the_race  # type: ignore[method-assign]
    assert racer.migrate() == SCHEMA_VERSION
    assert read_version() == SCHEMA_VERSION
    racer.close()
    assert _recorded(path) == NAMES


def _open_and_close(path: str) -> None:
    Store.open(path).close()


def test_processes_creating_one_database_apply_each_step_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open_and_close, args=(str(path),)) for _ in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [proc.exitcode for proc in procs] == [0, 0, 0]
    assert _recorded(path) == NAMES
