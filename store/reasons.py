"""Why each queued track is there: a :class:`~store.records.Because` per track, as JSON.

Every rescoring explains the new top of the queue and replaces all the rows, so a
reason never outlives the ranking it explains.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence

from store.connection import StoreConnection, id_chunks
from store.records import Because

__all__ = ["ReasonStore", "read_reasons"]


class ReasonStore(StoreConnection):
    """The reasons of the best-scored candidates."""

    def put_reasons(self, reasons: Mapping[int, Because], *, now: float | None = None) -> int:
        """Replace every stored reason with ``reasons``; returns how many were written."""
        at = time.time() if now is None else now
        rows = [
            (track_id, json.dumps(because.fields(), ensure_ascii=False), at)
            for track_id, because in reasons.items()
        ]
        with self.write() as conn:
            conn.execute("DELETE FROM reasons")
            conn.executemany(
                "INSERT INTO reasons (track_id, because, computed_at) VALUES (?, ?, ?)", rows
            )
        return len(rows)

    def reasons(self, track_ids: Sequence[int]) -> dict[int, Because]:
        """The stored reasons of those of ``track_ids`` that have one."""
        with self.read() as conn:
            return read_reasons(conn, track_ids)


def read_reasons(conn: sqlite3.Connection, track_ids: Sequence[int]) -> dict[int, Because]:
    """:meth:`ReasonStore.reasons` inside a read transaction the caller holds."""
    out: dict[int, Because] = {}
    for ids, marks in id_chunks(track_ids):
        rows = conn.execute(
            f"SELECT track_id, because FROM reasons WHERE track_id IN ({marks})", ids
        )
        out.update((int(t), Because.from_json(json.loads(text))) for t, text in rows)
    return out
