"""``GET /api/status``: what ranks the queue and the evidence, the jobs and their runs, the
sources (failing ones with their next retry), the fetches that failed or wait, how far a
re-analysis under a new ``[model] backbone`` is, the library.

Errors are given in full, as stored (already redacted of secrets when they were stored).
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from daemon import feedback
from daemon.config import Config
from daemon.listening import library_status
from daemon.ranking_evidence import adapted_on, percentile_trend, readout
from daemon.representation import reanalysis_progress
from daemon.service import JOBS, holder_pid
from daemon.sources import source_jobs
from daemon.waits import backoff_until, retry_cursor
from store import ModelRecord, RunRecord, Store

__all__ = ["changes", "status_record"]
RUNS_SHOWN = 20
FETCH_ERRORS_SHOWN = 20


def _run(run: RunRecord | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "job": run.job,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "counts": run.counts,
        "error": run.error,
    }


def _model(champion: ModelRecord | None) -> dict[str, Any] | None:
    if champion is None:
        return None
    return {
        "version": champion.version,
        "trained_at": champion.created_at,
        "promoted_at": champion.promoted_at,
        "labels": champion.n_labels,
        "adapted_on": adapted_on(champion),
    }


def _jobs(last: dict[str, RunRecord], config: Config, running: bool) -> list[dict[str, Any]]:
    rows = []
    for spec in JOBS:
        run = last.get(spec.name)
        due = run.started_at + spec.interval_s(config.schedule) if run and running else None
        rows.append({"job": spec.name, "label": spec.label, "last": _run(run), "next_at": due})
    return rows


def _sources(store: Store, config: Config, last: dict[str, RunRecord]) -> list[dict[str, Any]]:
    rows = []
    for job in source_jobs(config):
        kind = job.partition(":")[0]  # "history" or "feed"
        run = last.get(job)
        status = run.status if run else None
        failing = status == "failed" or status == "skipped"
        rows.append(
            {
                "job": job,
                "kind": kind,
                "name": job.split(":", 1)[1],
                "failing": failing,
                "last": _run(run),
                "error": _last_error(store, job) if failing else None,
                "next_retry_at": backoff_until(store, job) if failing else None,
                "retry_asked_at": _asked(store, job, run) if failing else None,
            }
        )
    return rows


def _asked(store: Store, job: str, run: RunRecord | None) -> float | None:
    """When a retry was asked for since the last run, else None."""
    text = store.get_cursor(retry_cursor(job))
    asked = float(text) if text else None
    return asked if asked is not None and run is not None and asked > run.started_at else None


def _last_error(store: Store, job: str) -> str | None:
    """The newest failure's error of a job (a back-off skip's own error says only that)."""
    return next((r.error for r in store.runs(job, limit=20) if r.status == "failed"), None)


def _fetches(store: Store, now: float) -> dict[str, Any]:
    waiting = [t for t in store.tracks("new") if t.next_retry_at and t.next_retry_at > now]
    errors = [
        {
            "id": t.id,
            "label": t.label,
            "state": t.state,
            "error": t.last_error,
            "attempts": t.attempts,
            "next_retry_at": t.next_retry_at if t.state == "new" else None,
            "at": at,
        }
        for t, at in store.track_errors(FETCH_ERRORS_SHOWN)
    ]
    return {"waiting": len(waiting), "failed": len(store.tracks("failed")), "errors": errors}


def _reanalysis(store: Store, config: Config, now: float) -> dict[str, Any] | None:
    """How far the re-analysis under ``[model] backbone`` is; None when none is pending."""
    progress = reanalysis_progress(store, config, now=now)
    return progress.as_json() if progress else None


def _library(store: Store, config: Config) -> dict[str, Any] | None:
    if config.library.size <= 0:
        return None
    lib = library_status(store, config, ask_mpd=False)
    return {
        "dir": str(config.library_dir),
        "files": lib.files,
        "bytes": lib.bytes,
        "kept": lib.kept,
        "synced": lib.synced,
    }


def status_record(store: Store, config: Config, *, now: float | None = None) -> dict[str, Any]:
    """Everything ``GET /api/status`` answers, read in short read transactions."""
    now = time.time() if now is None else now
    models = store.models()
    champion = next((m for m in reversed(models) if m.promoted), None)
    judged = readout(store, champion, config.model.precision_k)
    last = store.last_runs()
    pid = holder_pid(config.state_dir)
    integrity = last.get("integrity")
    return {
        "database": str(store.path),
        "daemon": {"running": pid is not None, "pid": pid or None},
        "queue": {"length": len(feedback.current_queue(store, config))},
        "ranked_by": judged.ranked_by,
        "ranker": judged.ranker,
        "ranking": judged.ranking,
        "evidence": {"line": judged.evidence, **judged.record},
        "validation": {"line": judged.validation, **judged.numbers},
        "model": _model(champion),
        "trend": [None if math.isnan(p) else p for p in percentile_trend(models)],
        "tracks": dict(sorted(store.state_counts().items())),
        "backlog": store.backlog(),
        "reanalysis": _reanalysis(store, config, now),
        "jobs": _jobs(last, config, pid is not None),
        "sources": _sources(store, config, last),
        "fetches": _fetches(store, now),
        "runs": [_run(r) for r in store.runs(limit=RUNS_SHOWN)],
        "library": _library(store, config),
        "alerts": [f"database integrity check failed: {integrity.error}"]
        if integrity is not None and integrity.status == "failed"
        else [],
    }


def changes(store: Store) -> str:
    """A short fingerprint of what the page shows: it changes when the page should reload."""
    counts = store.counts()
    runs = store.runs(limit=1)
    scored = store.last_scored()
    parts = [*map(str, counts.values()), str(runs[0].id if runs else 0)]
    parts += [str(runs[0].status if runs else ""), str(scored[1] if scored else 0)]
    parts += [str(len(store.library_files())), str(sorted(store.state_counts().items()))]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
