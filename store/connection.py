"""One SQLite connection and its transactions, shared by every part of the store.

Writers take ``BEGIN IMMEDIATE`` so two writers queue on ``busy_timeout``
instead of failing half-way; readers use short deferred transactions so the
WAL can be checkpointed. The connection is shared by the daemon's job threads
behind one lock. A full disk, a lock, permissions or corruption inside a
transaction becomes one :class:`StoreError` line naming the database and the fix.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from store.errors import StoreError

__all__ = [
    "BUSY_TIMEOUT_MS",
    "ID_CHUNK",
    "StoreConnection",
    "backup_path",
    "connect",
    "corruption_fix",
    "id_chunks",
    "store_error",
]

BUSY_TIMEOUT_MS = 10_000
ID_CHUNK = 500
"""Ids bound in one ``IN (...)`` query, well under SQLite's limit on parameters."""


def id_chunks(ids: Sequence[int], size: int = ID_CHUNK) -> Iterator[tuple[list[int], str]]:
    """``ids`` in runs of at most ``size``, each with the ``?,?,...`` its ``IN (...)`` binds."""
    for start in range(0, len(ids), size):
        chunk = [int(i) for i in ids[start : start + size]]
        yield chunk, ",".join("?" * len(chunk))


def connect(path: Path, readonly: bool) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode, with tastebud's pragmas set."""
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(
        uri,
        uri=True,
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA journal_size_limit = 67108864")  # shrink the WAL after checkpoints
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # a page whose cells point outside it is "malformed" when read, not read as fewer rows
    conn.execute("PRAGMA cell_size_check = ON")
    return conn


class StoreConnection:
    """The database file, its connection and the transactions every aggregate runs in."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.path = path
        self.conn = conn
        self._lock = threading.RLock()
        self._tables = sqlite_utils.Database(conn)  # bulk writes, inside our transactions

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``), committed on success, rolled back on error."""
        with self._lock:
            _begin(self.conn, "BEGIN IMMEDIATE", self.path)
            try:
                yield self.conn
            except BaseException as exc:
                _rollback(self.conn)
                if _environmental(exc):
                    raise store_error(self.path, exc) from exc
                raise
            _commit(self.conn, self.path)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A short read transaction: one consistent snapshot."""
        with self._lock:
            _begin(self.conn, "BEGIN", self.path)
            try:
                yield self.conn
            except BaseException as exc:
                _rollback(self.conn)  # a failing COMMIT here would hide ``exc``
                if _environmental(exc):
                    raise store_error(self.path, exc) from exc
                raise
            _commit(self.conn, self.path)


def _commit(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        _rollback(conn)
        raise store_error(path, exc) from exc


def _rollback(conn: sqlite3.Connection) -> None:
    """End the transaction, if SQLite has not already; a corrupt file may refuse even that."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


def _environmental(exc: BaseException) -> bool:
    """A full disk, a lock, permissions or corruption: not a bug in the statement."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def corruption_fix(path: Path) -> str:
    """How to get a corrupt database at ``path`` back: its backup if there is one, else .recover."""
    backup = backup_path(path)
    if backup.is_file():
        return f"stop tastebud and restore the latest backup: cp {backup} {path}"
    recovered = path.with_name(path.stem + ".recovered.db")
    return (
        f"stop tastebud, run `sqlite3 {path} .recover | sqlite3 {recovered}` and move "
        f"{recovered.name} in its place ([storage] backup = true keeps a backup from now on)"
    )


def backup_path(path: Path) -> Path:
    """Where the maintenance job keeps its ``VACUUM INTO`` copy of the database at ``path``."""
    return path.with_name(path.stem + ".backup.db")


def store_error(path: Path, exc: BaseException) -> StoreError:
    """One line naming the database, what went wrong and the fix; nothing committed is lost."""
    text = str(exc)
    if "full" in text:
        fix = f"free space on the filesystem holding {path.parent}"
    elif "locked" in text or "busy" in text:
        fix = "another process holds a write lock for too long; stop it or retry"
    elif "readonly" in text or "read-only" in text:
        fix = f"give this user write access to {path.parent} and the files in it"
    elif "malformed" in text or "not a database" in text:
        fix = corruption_fix(path)
    else:
        fix = "see `tastebud doctor`"
    return StoreError(f"database {path}: {text}: {fix}; what was stored before is kept")


def _begin(conn: sqlite3.Connection, sql: str, path: Path) -> None:
    try:
        conn.execute(sql)
    except sqlite3.OperationalError as exc:
        raise store_error(path, exc) from exc
