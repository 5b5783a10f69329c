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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from store.errors import StoreError

__all__ = ["BUSY_TIMEOUT_MS", "StoreConnection", "connect"]

BUSY_TIMEOUT_MS = 10_000


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
                if self.conn.in_transaction:  # SQLite may have rolled back already
                    self.conn.execute("ROLLBACK")
                if _environmental(exc):
                    raise _store_error(self.path, exc) from exc
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise _store_error(self.path, exc) from exc

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A short read transaction: one consistent snapshot."""
        with self._lock:
            _begin(self.conn, "BEGIN", self.path)
            try:
                yield self.conn
            except sqlite3.DatabaseError as exc:
                if _environmental(exc):
                    raise _store_error(self.path, exc) from exc
                raise
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("COMMIT")


def _environmental(exc: BaseException) -> bool:
    """A full disk, a lock, permissions or corruption: not a bug in the statement."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def _store_error(path: Path, exc: BaseException) -> StoreError:
    """One line naming the database, what went wrong and the fix; nothing committed is lost."""
    text = str(exc)
    if "full" in text:
        fix = f"free space on the filesystem holding {path.parent}"
    elif "locked" in text or "busy" in text:
        fix = "another process holds a write lock for too long; stop it or retry"
    elif "readonly" in text or "read-only" in text:
        fix = f"give this user write access to {path.parent} and the files in it"
    elif "malformed" in text or "not a database" in text:
        fix = "move it aside and restore a backup ([storage] backup = true keeps one)"
    else:
        fix = "see `tastebud doctor`"
    return StoreError(f"database {path}: {text}: {fix}; what was stored before is kept")


def _begin(conn: sqlite3.Connection, sql: str, path: Path) -> None:
    try:
        conn.execute(sql)
    except sqlite3.OperationalError as exc:
        raise _store_error(path, exc) from exc
