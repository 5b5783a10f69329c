"""The library folder's manifest and the skips a player observed.

The manifest lists every file tastebud wrote into the library folder, so that
rotation deletes only those, never anything else a user keeps there.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from store.connection import StoreConnection

__all__ = ["LibraryFile", "LibraryStore"]


@dataclass(frozen=True)
class LibraryFile:
    """One file tastebud wrote into the library folder (``path`` relative to the folder)."""

    track_id: int
    path: str
    size: int
    kept: bool
    written_at: float


class LibraryStore(StoreConnection):
    """The ``library_files`` manifest and the ``skips`` table."""

    def library_files(self) -> list[LibraryFile]:
        """Every file of the manifest, by track id."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT track_id, path, size, kept, written_at FROM library_files ORDER BY track_id"
            ).fetchall()
        return [LibraryFile(int(t), str(p), int(s), bool(k), float(w)) for t, p, s, k, w in rows]

    def put_library_file(self, track_id: int, path: str, size: int, *, kept: bool) -> None:
        """Record (or move) the file of a track in the manifest."""
        with self.write() as conn:
            conn.execute(
                "INSERT INTO library_files (track_id, path, size, kept, written_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(track_id) DO UPDATE SET path = excluded.path, "
                "size = excluded.size, kept = excluded.kept, written_at = excluded.written_at",
                (track_id, path, size, int(kept), time.time()),
            )

    def drop_library_file(self, track_id: int) -> None:
        """Forget a track's file (after deleting it)."""
        with self.write() as conn:
            conn.execute("DELETE FROM library_files WHERE track_id = ?", (track_id,))

    def add_track_listen(self, track_id: int, at: float, source: str, played: float) -> bool:
        """Store a listen of a known track; False when it was already stored."""
        with self.write() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO listens (track_id, listened_at, source, duration_played)"
                " VALUES (?, ?, ?, ?)",
                (track_id, int(at), source, played),
            )
        return cur.rowcount == 1

    def add_skips(self, skips: Iterable[tuple[int, float, float | None]], source: str) -> int:
        """Store (track id, skipped_at, seconds played) skips seen in a player; returns new ones."""
        inserted = 0
        with self.write() as conn:
            for track_id, at, played in skips:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO skips (track_id, skipped_at, source, played_s) "
                    "VALUES (?, ?, ?, ?)",
                    (track_id, int(at), source, played),
                )
                inserted += cur.rowcount
        return inserted

    def skips(self) -> list[tuple[int, int, str]]:
        """(track id, skipped_at, source) of every skip seen in a player, oldest first."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT track_id, skipped_at, source FROM skips ORDER BY skipped_at"
            ).fetchall()
        return [(int(t), int(at), str(s)) for t, at, s in rows]
