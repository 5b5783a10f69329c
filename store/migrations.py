"""Schema migrations: sqlite-utils' ``Migrations``, with ``PRAGMA user_version`` kept as well.

sqlite-utils records each applied step by name in ``_sqlite_migrations``. The
schema version stays in ``PRAGMA user_version``, as every earlier release kept it:

- a database made before steps were recorded by name (versions 1 to 3) is adopted
  when it is next opened for writing: the steps its version says it holds are
  recorded, not run again;
- a database newer than this code is refused before anything is applied;
- the caller runs :func:`apply_pending` inside one write transaction and reads the
  version again after taking the write lock, so two processes opening one new
  file apply each step once, and a failed upgrade leaves the file as it was.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database, Migrations

from store.errors import SchemaTooNewError
from store.schema import SCHEMA_VERSION, VERSIONS

__all__ = ["MIGRATIONS", "apply_pending", "check_version", "read_version"]

MIGRATIONS = Migrations("tastebud")
"""Every schema step, in order; the n-th one brings a database to version n."""


def _step(statements: list[str]) -> Callable[[Database], None]:
    def step(db: Database) -> None:
        for statement in statements:
            db.execute(statement)

    return step


for _name, _statements in VERSIONS:
    MIGRATIONS(name=_name)(_step(_statements))


def read_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the file (0 for an empty file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_version(path: Path, version: int) -> None:
    """Refuse a database written by a newer tastebud than this one."""
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"database {path} has schema version {version}, newer than this tastebud "
            f"understands ({SCHEMA_VERSION}): upgrade tastebud or point [storage] dir elsewhere"
        )


def apply_pending(db: Database, version: int) -> list[str]:
    """Inside a write transaction: bring a database at ``version`` up to date.

    Returns the names of the steps applied, oldest first.
    """
    MIGRATIONS.ensure_migrations_table(db)
    _adopt(db, version)
    pending = [m.name for m in MIGRATIONS.pending(db)]
    MIGRATIONS.apply(db)
    if version < SCHEMA_VERSION:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return pending


def _adopt(db: Database, version: int) -> None:
    """Record as applied the first ``version`` steps, which an older release ran unrecorded."""
    recorded = {m.name for m in MIGRATIONS.applied(db)}
    table = db.table(Migrations.migrations_table)
    for name, _ in VERSIONS[:version]:
        if name not in recorded:
            table.insert(
                {
                    "migration_set": MIGRATIONS.name,
                    "name": name,
                    "applied_at": str(datetime.datetime.now(datetime.UTC)),
                }
            )
