"""The prequential record and what ranks the queue.

Each row of ``evidence`` is one new listen, tested against the rankings made before
it: its standing among the candidates (the share of them it beats, 0-1) under the
champion that ranked then, under plain similarity, and under a challenger kept
aside if there was one. ``seeded`` rows come from a first model's held-out split.

``ranker_switches`` holds each change of what ranks the queue (``model`` or
``similarity``) with the judge's reason, and each fresh start of the record (new
features: the ranker stays); the evidence recorded after the newest row (rows with
``id > after_evidence``) is what the next switch is judged on. Without a switch
the model ranks once there is one.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from store.connection import StoreConnection

__all__ = ["Evidence", "EvidenceStore", "Ranker", "RankerState"]

Ranker = Literal["model", "similarity"]

_COLUMNS = (
    "track_id, listened_at, ranked_at, n_candidates, model_version, model_standing, "
    "similarity_standing, challenger_version, challenger_standing, seeded"
)


@dataclass(frozen=True)
class Evidence:
    """One new listen's standings among the candidates as they were ranked before it."""

    track_id: int
    listened_at: float
    ranked_at: float
    n_candidates: int
    model_version: int
    model_standing: float
    similarity_standing: float
    challenger_version: int | None = None
    challenger_standing: float | None = None
    seeded: bool = False


@dataclass(frozen=True)
class RankerState:
    """What ranks the queue, since when and why; ``after_evidence``: the id of the last
    evidence row recorded before that (the record the next switch is judged on follows it)."""

    ranker: Ranker
    since: float | None
    reason: str
    after_evidence: int


class EvidenceStore(StoreConnection):
    """The ``evidence`` and ``ranker_switches`` tables."""

    def add_evidence(self, rows: Iterable[Evidence]) -> int:
        """Record new listens' standings (a track is tested once per champion); how many
        were new."""
        values = [_values(e) for e in rows]
        if not values:
            return 0
        marks = ",".join("?" * (len(_COLUMNS.split(",")) + 1))
        with self.write() as conn:
            before = conn.total_changes
            conn.executemany(
                f"INSERT OR IGNORE INTO evidence ({_COLUMNS}, recorded_at) VALUES ({marks})",
                [(*v, time.time()) for v in values],
            )
            return conn.total_changes - before

    def evidence(self, after: int = 0) -> list[Evidence]:
        """Evidence rows with id above ``after``, oldest first."""
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM evidence WHERE id > ? ORDER BY id", (after,)
            ).fetchall()
        return [_evidence(r) for r in rows]

    def ranker(self) -> RankerState:
        """What ranks the queue now (the model, until the judge switches)."""
        with self.read() as conn:
            row = conn.execute(
                "SELECT ranker, at, reason, after_evidence FROM ranker_switches "
                "ORDER BY id DESC LIMIT 1"
            ).fetchone()
        if row is None:
            return RankerState("model", None, "no evidence against the model yet", 0)
        return RankerState(row[0], float(row[1]), str(row[2]), int(row[3]))

    def switch_ranker(self, ranker: Ranker, reason: str, *, at: float | None = None) -> RankerState:
        """Record that ``ranker`` ranks the queue from now; the record starts afresh."""
        at = time.time() if at is None else at
        with self.write() as conn:
            last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM evidence").fetchone()[0]
            conn.execute(
                "INSERT INTO ranker_switches (at, ranker, reason, after_evidence) "
                "VALUES (?, ?, ?, ?)",
                (at, ranker, reason, int(last)),
            )
        return RankerState(ranker, at, reason, int(last))


def _values(e: Evidence) -> tuple[Any, ...]:
    return (
        e.track_id,
        e.listened_at,
        e.ranked_at,
        e.n_candidates,
        e.model_version,
        e.model_standing,
        e.similarity_standing,
        e.challenger_version,
        e.challenger_standing,
        int(e.seeded),
    )


def _evidence(row: Sequence[Any]) -> Evidence:
    return Evidence(
        int(row[0]),
        float(row[1]),
        float(row[2]),
        int(row[3]),
        int(row[4]),
        float(row[5]),
        float(row[6]),
        None if row[7] is None else int(row[7]),
        None if row[8] is None else float(row[8]),
        bool(row[9]),
    )
