"""Taste-model versions (one of them the champion) and the scores they give tracks.

A model's metrics are stored as JSON: a value that is not a finite number (NaN, inf:
not measured) is written as ``null`` and left out when read back, so
``metrics.get(name)`` is None for a measure that is missing or was not measured.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

from store.connection import StoreConnection
from store.records import ModelRecord

__all__ = ["ModelStore"]

_MODEL_COLUMNS = (
    "version, parent, created_at, hparams, n_train, n_val, metrics, checkpoint, promoted, "
    "promoted_at"
)


class ModelStore(StoreConnection):
    """Trained model versions, the promoted champion, and current track scores."""

    def add_model(
        self,
        *,
        parent: int | None,
        hparams: dict[str, object],
        n_train: int,
        n_val: int,
        metrics: dict[str, float],
        checkpoint: str,
    ) -> int:
        """Record a trained model version (not yet promoted); returns its version number."""
        with self.write() as conn:
            cur = conn.execute(
                "INSERT INTO models (parent, created_at, hparams, n_train, n_val, metrics, "
                "checkpoint) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    parent,
                    time.time(),
                    json.dumps(hparams, sort_keys=True),
                    n_train,
                    n_val,
                    json.dumps(_measured_or_null(metrics), sort_keys=True, allow_nan=False),
                    checkpoint,
                ),
            )
            return int(cur.lastrowid or 0)

    def promote(self, version: int) -> None:
        """Make ``version`` the champion."""
        with self.write() as conn:
            conn.execute("UPDATE models SET promoted = 0 WHERE promoted = 1")
            conn.execute(
                "UPDATE models SET promoted = 1, promoted_at = ? WHERE version = ?",
                (time.time(), version),
            )

    def models(self) -> list[ModelRecord]:
        """Every model version, oldest first."""
        with self.read() as conn:
            rows = conn.execute(f"SELECT {_MODEL_COLUMNS} FROM models ORDER BY version").fetchall()
        return [_model(r) for r in rows]

    def champion(self) -> ModelRecord | None:
        """The promoted model version, or None while untrained."""
        promoted = [m for m in self.models() if m.promoted]
        return promoted[-1] if promoted else None

    def put_scores(self, model_version: int | None, scores: Iterable[tuple[int, float]]) -> int:
        """Store the current score of each track; returns how many were written."""
        now = time.time()
        rows = [(int(tid), model_version, float(s), now) for tid, s in scores]
        with self.write() as conn:  # 100k rows: a plain executemany is 6x insert_all's speed
            conn.executemany(  # an upsert: 1.5x "OR REPLACE" (no delete, no foreign-key check)
                "INSERT INTO scores (track_id, model_version, score, scored_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (track_id) DO UPDATE SET "
                "model_version = excluded.model_version, score = excluded.score, "
                "scored_at = excluded.scored_at",
                rows,
            )
        return len(rows)

    def clear_scores(self, track_ids: Iterable[int]) -> int:
        """Forget the scores of ``track_ids``; how many there were."""
        ids = [(int(t),) for t in track_ids]
        with self.write() as conn:
            before = conn.total_changes
            conn.executemany("DELETE FROM scores WHERE track_id = ?", ids)
            return conn.total_changes - before

    def last_scored(self) -> tuple[int | None, float] | None:
        """(model version, when) of the newest score: what the last rescoring ranked by
        (None: similarity or feed order); None when nothing is scored."""
        with self.read() as conn:
            row = conn.execute(
                "SELECT model_version, scored_at FROM scores ORDER BY scored_at DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (row[0], float(row[1]))

    def scores(self) -> dict[int, float]:
        """Current score of each scored track."""
        with self.read() as conn:
            return {int(t): float(s) for t, s in conn.execute("SELECT track_id, score FROM scores")}


def _model(row: Sequence[Any]) -> ModelRecord:
    return ModelRecord(
        version=int(row[0]),
        parent=row[1],
        created_at=float(row[2]),
        hparams=json.loads(row[3]),
        n_train=int(row[4]),
        n_val=int(row[5]),
        metrics=_measured(json.loads(row[6])),
        checkpoint=str(row[7]),
        promoted=bool(row[8]),
        promoted_at=row[9],
    )


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _measured_or_null(metrics: dict[str, float]) -> dict[str, float | None]:
    """``metrics`` with NaN and inf as None (JSON null: JSON has no NaN)."""
    return {k: v if _finite(v) else None for k, v in metrics.items()}


def _measured(metrics: dict[str, Any]) -> dict[str, float]:
    """The measured values of stored metrics: null (and the NaN older versions wrote) left
    out."""
    return {k: v for k, v in metrics.items() if _finite(v)}
