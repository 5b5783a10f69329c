"""What discovery must not offer again: tracks already heard, judged, owned or offered,
blocked artists, and how many discoveries a feed made lately. A media-server source
keeps the match keys of its whole library in the cursor ``owned:<source>``."""

from __future__ import annotations

import json

from store.connection import StoreConnection
from store.identity import normalize_text

__all__ = ["DiscoveryStore"]

# Tracks listened to, given feedback, already offered by a feed, or owned: a local file
# (a directory feed's) or a track a media server (Jellyfin, Subsonic) knows by its id.
_KNOWN_KEYS = """
SELECT t.match_key FROM tracks t
WHERE t.match_key IS NOT NULL AND (
    EXISTS (SELECT 1 FROM listens l WHERE l.track_id = t.id)
    OR EXISTS (SELECT 1 FROM feedback b WHERE b.track_id = t.id)
    OR EXISTS (SELECT 1 FROM feed_items f WHERE f.track_id = t.id)
    OR t.url LIKE 'file:%'
    OR EXISTS (SELECT 1 FROM track_ids i WHERE i.track_id = t.id
               AND (i.kind = 'jellyfin' OR i.kind LIKE 'subsonic:%'))
)
"""


class DiscoveryStore(StoreConnection):
    """The look-ups of candidate discovery."""

    def known_match_keys(self) -> set[str]:
        """Match keys of the tracks heard, judged, offered or owned."""
        with self.read() as conn:
            return {str(key) for (key,) in conn.execute(_KNOWN_KEYS)}

    def owned_match_keys(self) -> set[str]:
        """Match keys of the media servers' libraries (the ``owned:...`` cursors)."""
        keys: set[str] = set()
        with self.read() as conn:
            rows = conn.execute("SELECT value FROM cursors WHERE source LIKE 'owned:%'")
            for (value,) in rows:
                try:
                    loaded = json.loads(value)
                except ValueError:
                    continue
                if isinstance(loaded, list):
                    keys.update(k for k in loaded if isinstance(k, str))
        return keys

    def cursor_updated_at(self, source: str) -> float | None:
        """When a cursor was last set, or None."""
        with self.read() as conn:
            row = conn.execute(
                "SELECT updated_at FROM cursors WHERE source = ?", (source,)
            ).fetchone()
        return float(row[0]) if row else None

    def blocked_artists(self) -> set[str]:
        """The blocked artists' names, normalized."""
        with self.read() as conn:
            rows = conn.execute("SELECT artist FROM feedback WHERE kind = 'block'").fetchall()
        return {normalize_text(name) for (name,) in rows if name}

    def offered_since(self, feed_prefix: str, since: float) -> int:
        """How many tracks the feeds named ``feed_prefix...`` offered since ``since``."""
        with self.read() as conn:
            row = conn.execute(
                "SELECT count(*) FROM feed_items WHERE feed LIKE ? || '%' AND offered_at >= ?",
                (feed_prefix, since),
            ).fetchone()
        return int(row[0])
