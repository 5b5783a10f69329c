"""The :class:`Store` facade: one SQLite file, opened, migrated, checked and closed here.

Its methods come from one module per aggregate, all over one shared connection
(:mod:`store.connection`): tracks and identity (:mod:`store.tracks`), listens
and feedback (:mod:`store.listens`), embeddings (:mod:`store.embeddings`),
models and scores (:mod:`store.model_versions`), runs and cursors (:mod:`store.runs`),
candidates and the queue (:mod:`store.queue`), why each is queued (:mod:`store.reasons`),
recording MBIDs looked up by artist and title (:mod:`store.lookups`), feature coverage and
re-analysis under a new feature model (:mod:`store.reanalysis`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from store.connection import BUSY_TIMEOUT_MS, backup_path, connect, corruption_fix, store_error
from store.discovery import DiscoveryStore
from store.embeddings import EmbeddingStore
from store.errors import StoreError
from store.evidence import EvidenceStore
from store.library import LibraryStore
from store.listens import ListenStore
from store.lookups import LookupStore
from store.migrations import apply_pending, check_version, read_version
from store.model_versions import ModelStore
from store.queue import QueueStore
from store.reanalysis import ReanalysisStore
from store.reasons import ReasonStore
from store.runs import RunOutcome, RunStore
from store.schema import SCHEMA_VERSION
from store.tracks import TrackStore

__all__ = ["BUSY_TIMEOUT_MS", "RunOutcome", "Store", "backup_path", "corruption_fix"]

logger = logging.getLogger(__name__)

_COUNTED_TABLES = (
    "tracks",
    "listens",
    "feedback",
    "embeddings",
    "feed_items",
    "queue_state",
    "skips",
)
_EMBEDDED_LABELLED = (
    "SELECT count(*) FROM embeddings e WHERE"
    " (EXISTS (SELECT 1 FROM listens l WHERE l.track_id = e.track_id)"
    " OR EXISTS (SELECT 1 FROM feedback f WHERE f.track_id = e.track_id)"
    " OR EXISTS (SELECT 1 FROM skips s WHERE s.track_id = e.track_id))"
)


def _create(path: Path) -> None:
    """Create an empty database file with mode 0666 less the umask (SQLite would use 0644
    less the umask): under a umask of 0007 the group may write it, and its ``-wal`` and
    ``-shm``, which SQLite gives the database's mode."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except FileExistsError:
        pass


class Store(
    TrackStore,
    ListenStore,
    EmbeddingStore,
    ModelStore,
    QueueStore,
    ReasonStore,
    RunStore,
    LibraryStore,
    LookupStore,
    DiscoveryStore,
    EvidenceStore,
    ReanalysisStore,
):
    """tastebud's database. Open with :meth:`Store.open`; use as a context manager."""

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False) -> Store:
        """Open (creating if needed) and migrate the database at ``path``."""
        path = Path(path).expanduser()
        try:
            if not readonly:
                path.parent.mkdir(parents=True, exist_ok=True)
                _create(path)
            conn = connect(path, readonly)
        except (sqlite3.Error, OSError) as exc:
            raise _open_error(path, "open", exc) from exc
        store = cls(conn, path)
        try:
            if not readonly:
                store.migrate()
                if aborted := store.abort_orphaned_runs():
                    logger.info("database %s: %d runs of ended processes aborted", path, aborted)
            else:
                check_version(path, store.schema_version())
        except sqlite3.Error as exc:
            conn.close()
            raise _open_error(path, "migrate", exc) from exc
        except StoreError:
            conn.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection; the last writer's close also removes ``-wal`` and ``-shm``."""
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """The schema version recorded in the file (0 for an empty file)."""
        return read_version(self.conn)

    def migrate(self) -> int:
        """Apply pending migrations in one write transaction; return the final version.

        The version is read again inside the write transaction: another process (the
        dashboard, a second command) may be migrating the same new file at the same time.
        """
        check_version(self.path, self.schema_version())
        with self.write():
            current = self.schema_version()
            check_version(self.path, current)
            applied = apply_pending(self._tables, current)
        for name in applied:
            logger.debug("database %s: applied migration %s", self.path, name)
        if current == 0 and applied:
            logger.info("database %s created (schema version %d)", self.path, SCHEMA_VERSION)
        elif applied:
            logger.info(
                "database %s upgraded from schema version %d to %d (%d steps)",
                self.path,
                current,
                SCHEMA_VERSION,
                len(applied),
            )
        return SCHEMA_VERSION

    def quick_check(self, *tables: str) -> str:
        """``PRAGMA quick_check`` of the whole file, or of ``tables`` and their indexes: 'ok'
        or the first problem found."""
        pragmas = [f'PRAGMA quick_check("{table}")' for table in tables]
        with self.read() as conn:
            for pragma in pragmas or ["PRAGMA quick_check"]:
                if (result := str(conn.execute(pragma).fetchone()[0])) != "ok":
                    return result
        return "ok"

    def check_pages(self, *tables: str) -> None:
        """Raise one :class:`StoreError` line, with the fix, when :meth:`quick_check` of
        ``tables`` finds a damaged page: what is read from them could be wrong or missing."""
        result = self.quick_check(*tables)
        if result != "ok":
            lines = [line for line in result.splitlines() if not line.startswith("***")]
            problem = lines[0] if lines else result
            raise StoreError(
                f"database {self.path} is malformed (quick_check: {problem}): "
                f"{corruption_fix(self.path)}"
            )

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: 'ok' or the first problem found."""
        with self.read() as conn:
            return str(conn.execute("PRAGMA integrity_check").fetchone()[0])

    def optimize(self) -> None:
        """``PRAGMA optimize`` and a passive WAL checkpoint."""
        with self._lock:
            self.conn.execute("PRAGMA optimize")
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def backup(self, target: Path) -> None:
        """A consistent copy of the database at ``target`` (``VACUUM INTO``), replacing it."""
        tmp = target.with_name(target.name + ".tmp")
        tmp.unlink(missing_ok=True)
        with self._lock:
            self.conn.execute("VACUUM INTO ?", (str(tmp),))
        tmp.replace(target)

    def counts(self, model_key: str | None = None) -> dict[str, int]:
        """Row counts of the tables that drive training: cheap change detection.

        ``embedded_labelled`` counts the embeddings of tracks with a listen or feedback
        (with ``model_key``, those under it): it changes when a labelled track gets its
        features, with no new label.
        """
        labelled = _EMBEDDED_LABELLED + ("" if model_key is None else " AND e.model_key = ?")
        with self.read() as conn:
            counts = {
                t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                for t in _COUNTED_TABLES
            }
            args = () if model_key is None else (model_key,)
            counts["embedded_labelled"] = int(conn.execute(labelled, args).fetchone()[0])
        return counts


def _open_error(path: Path, doing: str, exc: BaseException) -> StoreError:
    """A corrupt file says how to recover it; anything else what failed."""
    if type(exc) is sqlite3.DatabaseError:  # "malformed", "file is not a database"
        return store_error(path, exc)
    return StoreError(f"cannot {doing} database {path}: {exc}")
