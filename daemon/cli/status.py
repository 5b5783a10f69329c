"""``tastebud status``: the queue, model and pipeline in a few lines (or one JSON object).

It lists the newest run of every job and source, failures first, and what waits, and
how far a re-analysis under a new ``[model] backbone`` is (``reanalysis`` in ``--json``,
null when none is pending: :mod:`daemon.representation`).
It says what orders the queue, the evidence the judge decides on, and how the model was
judged (:mod:`daemon.ranking_evidence`): ``ranked_by``, ``evidence`` and the ``validation``
numbers in ``--json``, null where not measured.
The database is opened read-only, as the dashboard opens it: status answers while
the daemon holds a write transaction, and never migrates or writes. It checks the pages of
the tables it reads first (``PRAGMA quick_check``): a damaged one is one line naming the
file and the fix, and exit code 1, never a status read from what is left.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from daemon.config import Config
from daemon.ranking_evidence import adapted_on, readout
from daemon.redact import json_text
from daemon.representation import reanalysis_progress
from daemon.sources import source_jobs
from daemon.waits import Waits, current_waits, wait_lines
from store import SCHEMA_VERSION, ModelRecord, RunRecord, Store, StoreError

__all__ = ["READ_TABLES", "cmd_status", "status_data", "status_lines"]

QUEUE_TOP = 5
# What status reads, checked before it reads them: a damaged page could read as missing rows.
# (embeddings, the largest table by far, is read through its index alone, which SQLite
# checks as it reads it.)
READ_TABLES = (
    "evidence",
    "feed_items",
    "feedback",
    "listens",
    "models",
    "queue_state",
    "ranker_switches",
    "reanalyses",
    "reasons",
    "runs",
    "scores",
    "skips",
    "tracks",
)
_TROUBLE = ("failed", "aborted", "skipped", "running", "ok")  # the order runs are listed in


def _ago(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    minutes = (now - ts) / 60
    if minutes < 90:
        return f"{minutes:.0f} min ago"
    return f"{minutes / 60:.1f} h ago" if minutes < 48 * 60 else f"{minutes / 1440:.0f} days ago"


def _model_lines(data: dict[str, Any], now: float) -> list[str]:
    model = data["model"]
    if model is None:
        return [f"model: {data['untrained']}", data["ranking"]]
    adapted = model["adapted_on"]
    view = f", similarity adapted to {adapted:,} tracks" if adapted else ""
    return [
        f"model: version {model['version']}, trained {_ago(model['trained_at'], now)}, "
        f"{model['labels']} labels{view}",
        data["ranking"],
        data["evidence_line"],
        f"validation: {model['validation_line']}",
    ]


def _model(champion: ModelRecord | None, validation: str) -> dict[str, Any] | None:
    if champion is None:
        return None
    return {
        "version": champion.version,
        "trained_at": champion.created_at,
        "labels": champion.n_labels,
        "adapted_on": adapted_on(champion),
        "roc_auc": champion.metrics.get("roc_auc"),
        "validation_line": validation,
    }


def _waits_data(waits: Waits) -> dict[str, Any]:
    fetch = waits.fetch
    return {
        "fetch": None
        if fetch is None
        else {
            "tracks": fetch.tracks,
            "first_at": fetch.first_at,
            "until": fetch.last_at,
            "error": fetch.error,
        },
        "sources": [{"job": job, "until": at} for job, at in waits.sources],
        "skip": "tastebud retry" if waits else None,
    }


def _last_runs(store: Store) -> list[RunRecord]:
    """The newest run of every job and source, failures first, so none is hidden."""
    runs = store.last_runs().values()
    return sorted(
        runs,
        key=lambda r: (_TROUBLE.index(r.status) if r.status in _TROUBLE else 0, -r.started_at),
    )


def status_data(store: Store, config: Config, now: float | None = None) -> dict[str, Any]:
    """What ``tastebud status`` reports, as plain data (``--json`` prints it)."""
    waits = current_waits(store, source_jobs(config), now)
    queue = store.queue(QUEUE_TOP, per_artist=config.queue.per_artist, window=config.queue.window)
    champion = store.champion()
    judged = readout(store, champion, config.model.precision_k, config.model.min_labels)
    reanalysis = reanalysis_progress(store, config, now=now)
    return {
        "database": str(store.path),
        "tracks": dict(sorted(store.state_counts().items())),
        "reanalysis": reanalysis.as_json() if reanalysis else None,
        "model": _model(champion, judged.validation),
        "untrained": judged.untrained or None,
        "ranked_by": judged.ranked_by,
        "ranking": judged.ranking,
        "evidence": judged.record,
        "evidence_line": judged.evidence,
        "validation": judged.numbers,
        "queue": [
            {"rank": q.rank, "track_id": q.track.id, "standing": q.score, "label": q.track.label}
            for q in queue
        ],
        "runs": [
            {"job": r.job, "status": r.status, "started_at": r.started_at, "error": r.error}
            for r in _last_runs(store)
        ],
        "waits": _waits_data(waits),
    }


def status_lines(store: Store, config: Config, now: float | None = None) -> list[str]:
    """The lines ``tastebud status`` prints."""
    now = now or time.time()
    data = status_data(store, config, now)
    tracks = ", ".join(f"{state} {n}" for state, n in data["tracks"].items()) or "none"
    lines = [f"database: {data['database']}", f"tracks: {tracks}"]
    if data["reanalysis"]:
        lines.append(data["reanalysis"]["line"])
    lines += _model_lines(data, now)
    lines.append(f"queue: top {len(data['queue'])}" if data["queue"] else "queue: empty")
    for entry in data["queue"]:
        standing = f"{entry['standing']:.3f}" if entry["standing"] is not None else "  -  "
        lines.append(f"  {entry['rank']:>2}. {standing}  {entry['label']}")
    for run in data["runs"]:
        error = f": {run['error']}" if run["error"] else ""
        lines.append(f"run {run['job']}: {run['status']} {_ago(run['started_at'], now)}{error}")
    lines += [
        f"wait: {line}" for line in wait_lines(current_waits(store, source_jobs(config), now), now)
    ]
    return lines


def _open_readonly(config: Config) -> Store:
    """The database, read-only, at this schema version, its pages that status reads sound."""
    store = Store.open(config.db_path, readonly=True)
    try:
        if (version := store.schema_version()) < SCHEMA_VERSION:
            raise StoreError(
                f"database {config.db_path} is at schema version {version}: start the daemon "
                "once (tastebud run or tastebud once) to upgrade it"
            )
        store.check_pages(*READ_TABLES)
    except StoreError:
        store.close()
        raise
    return store


def cmd_status(config: Config, args: argparse.Namespace) -> int:
    """Print the status; says how to start when there is no database yet."""
    as_json = bool(getattr(args, "json", False))
    if not config.db_path.exists():
        hint = f"no database at {config.db_path} yet: run `tastebud once` or `tastebud run`"
        print(json_text({"database": None, "problem": hint}) if as_json else hint)
        return 0
    with _open_readonly(config) as store:
        if as_json:
            print(json_text(status_data(store, config), indent=2))
        else:
            print("\n".join(status_lines(store, config)))
    return 0
