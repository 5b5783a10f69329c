"""Recording MBIDs found for an artist and title (ListenBrainz's metadata lookup), cached
by the tracks' match key so each is asked once; a lookup that found nothing is kept too
and asked again only after a while."""

from __future__ import annotations

import time
from collections.abc import Iterable

from store.connection import StoreConnection, id_chunks
from store.identity import match_key

__all__ = ["LookupStore"]


class LookupStore(StoreConnection):
    """The ``mbid_lookups`` cache, and tracks still lacking a recording MBID."""

    def cached_mbid(self, artist: str, title: str, *, max_age_s: float) -> tuple[bool, str | None]:
        """(whether a lookup of ``artist`` - ``title`` younger than ``max_age_s`` is cached,
        the recording MBID it found or None)."""
        key = match_key(artist, title)
        with self.read() as conn:
            row = conn.execute(
                "SELECT recording_mbid, looked_up_at FROM mbid_lookups WHERE match_key = ?",
                (key,),
            ).fetchone()
        if row is None or (row[0] is None and time.time() - float(row[1]) > max_age_s):
            return False, None
        return True, row[0]

    def put_mbid_lookup(self, artist: str, title: str, mbid: str | None) -> None:
        """Cache what a lookup of ``artist`` - ``title`` found (None: nothing)."""
        with self.write() as conn:
            conn.execute(
                "INSERT INTO mbid_lookups (match_key, recording_mbid, looked_up_at) "
                "VALUES (?, ?, ?) ON CONFLICT(match_key) DO UPDATE SET "
                "recording_mbid = excluded.recording_mbid, looked_up_at = excluded.looked_up_at",
                (match_key(artist, title), mbid, time.time()),
            )

    def set_recording_mbid(self, track_id: int, mbid: str) -> bool:
        """Record ``mbid`` as the track's recording MBID (unless a track already holds it);
        whether it was added."""
        with self.write() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO track_ids (kind, value, track_id) "
                "VALUES ('recording_mbid', ?, ?)",
                (mbid, track_id),
            )
        return cur.rowcount == 1

    def without_mbid(self, track_ids: Iterable[int]) -> list[int]:
        """Those of ``track_ids`` with no recording MBID, in the order given."""
        ids = list(track_ids)
        have: set[int] = set()
        with self.read() as conn:
            for chunk, marks in id_chunks(ids):
                rows = conn.execute(
                    "SELECT track_id FROM track_ids WHERE kind = 'recording_mbid' "
                    f"AND track_id IN ({marks})",
                    chunk,
                )
                have.update(int(r[0]) for r in rows)
        return [i for i in ids if i not in have]
