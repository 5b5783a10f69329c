"""The dashboard's reads: one :class:`Snapshot` gathered from the store in one go.

Each refresh opens the database read-only, takes a few short read transactions
(:func:`load_snapshot`) and closes it, so it never holds up the daemon and works
whether or not the daemon runs.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from daemon.config import Config
from daemon.dashboard.problems import alerts, current_errors
from daemon.feedback import current_queue, label_of
from daemon.listening import LibraryStatus, library_status
from daemon.playlists import load_tag_names, top_tags
from daemon.ranking_evidence import Readout, percentile_trend, readout
from daemon.redact import shown_tree
from daemon.representation import Reanalysis, active_backbone, reanalysis_progress
from daemon.service import JOBS, holder_pid
from daemon.sources import source_jobs
from daemon.waits import Waits, current_waits, short_lines, until
from store import (
    SCHEMA_VERSION,
    FeedbackEvent,
    ModelRecord,
    QueueEntry,
    RunRecord,
    Store,
    StoreError,
)

__all__ = [
    "DAY",
    "JobRow",
    "QueueRow",
    "Snapshot",
    "drift_gap",
    "load_snapshot",
    "snapshot_for",
    "taste_drift",
]

DAY = 86_400.0
ROWS = 500  # queue rows a snapshot holds: the dashboard scrolls through them
RECENT_DAYS = 30
BEFORE_DAYS = 90
DRIFT_MIN = 0.05  # a tag moves when its mean probability changes by at least this
_SCHEDULED = {spec.name: spec for spec in JOBS}


@dataclass(frozen=True)
class QueueRow:
    """A queue entry (with why it is there, when explained) and its top musicnn tags."""

    entry: QueueEntry
    tags: tuple[str, ...]


@dataclass(frozen=True)
class JobRow:
    """A daemon job: its newest run and when the schedule will run it next."""

    job: str
    label: str
    last: RunRecord | None
    next_at: float | None


@dataclass(frozen=True)
class Snapshot:
    """Everything one dashboard frame shows, read in one go."""

    db_path: str
    taken_at: float
    problem: str = ""
    failed: bool = False  # the problem is an error (a corrupt or unreadable database)
    queue: tuple[QueueRow, ...] = ()
    queue_total: int = 0  # the whole queue's length; ``queue`` holds its first rows
    daemon_pid: int | None = None  # the running daemon's (0: unknown pid); None: stopped
    last_finished: float | None = None  # when the newest finished run ended
    listens: tuple[tuple[str, int, str], ...] = ()
    feedback: tuple[tuple[str, str, float], ...] = ()
    n_listens: int = 0
    champion: ModelRecord | None = None
    readout: Readout | None = None  # what orders the queue, how the champion was judged
    percentiles: tuple[float, ...] = ()  # of each promoted model, oldest first; NaN: a gap
    min_labels: int = 0
    drift: tuple[tuple[str, float], ...] | None = None
    drift_note: str = ""  # why drift is None, when it was measured
    states: dict[str, int] = dataclasses.field(default_factory=dict)
    backlog: int = 0
    reanalysis: Reanalysis | None = None  # how far a new representation has reached
    jobs: tuple[JobRow, ...] = ()
    unhealthy: tuple[str, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()  # (who, what) failed and still fails
    hints: tuple[str, ...] = ()
    library: LibraryStatus | None = None
    alerts: tuple[str, ...] = ()  # shown above everything else, in red
    waits: Waits = dataclasses.field(default_factory=Waits)  # tracks to retry, sources backing off


def snapshot_for(
    config: Config,
    *,
    rows: int = ROWS,
    tag_names: Sequence[str] | None = None,
    with_drift: bool = True,
) -> Snapshot:
    """Open the database read-only and read a snapshot; a missing or unreadable one is said so."""
    path = config.db_path
    if not path.exists():
        return Snapshot(
            str(path),
            time.time(),
            problem=f"no database at {path} yet: start the daemon with `tastebud run` "
            "(or one cycle with `tastebud once`); this view fills in as it works",
        )
    try:
        with Store.open(path, readonly=True) as store:
            if (version := store.schema_version()) < SCHEMA_VERSION:
                return Snapshot(
                    str(path),
                    time.time(),
                    problem=f"database {path} is at schema version {version}: start the daemon "
                    "once (`tastebud run`) to upgrade it",
                )
            snap = load_snapshot(
                store, config, rows=rows, tag_names=tag_names, with_drift=with_drift
            )
            return shown_tree(snap)  # no secret, no control character from the data
    except (StoreError, sqlite3.Error) as exc:
        problem = str(exc) if isinstance(exc, StoreError) else f"cannot read {path}: {exc}"
        return Snapshot(str(path), time.time(), problem=problem, failed=True)


def load_snapshot(
    store: Store,
    config: Config,
    *,
    rows: int = ROWS,
    tag_names: Sequence[str] | None = None,
    now: float | None = None,
    with_drift: bool = True,
) -> Snapshot:
    """Read everything a frame shows from ``store`` (short read transactions only)."""
    now = now if now is not None else time.time()
    backbone = active_backbone(store, config)
    names = tag_names if tag_names is not None else load_tag_names(backbone)
    entries = current_queue(store, config)
    drift, drift_note = _drift(store, backbone, names, now) if with_drift else (None, "")
    queue = _queue_rows(store, backbone, entries[:rows], names)
    listens = store.recent_listens(8)
    models = store.models()
    champion = next((m for m in reversed(models) if m.promoted), None)
    states = store.state_counts()
    last = store.last_runs()
    snap = Snapshot(
        db_path=str(store.path),
        taken_at=now,
        queue=queue,
        queue_total=len(entries),
        daemon_pid=holder_pid(config.state_dir),
        last_finished=max((r.finished_at for r in last.values() if r.finished_at), default=None),
        listens=tuple((t.label, at, src) for t, at, src in listens),
        feedback=_feedback_rows(store, store.feedback(limit=8)),  # and skips
        n_listens=len(store.listens(now - (RECENT_DAYS + BEFORE_DAYS) * DAY)) if listens else 0,
        champion=champion,
        readout=readout(store, champion, config.model.precision_k, config.model.min_labels),
        percentiles=percentile_trend(models),
        min_labels=config.model.min_labels,
        drift=drift if with_drift else None,
        drift_note=drift_note if with_drift else "",
        states=states,
        backlog=store.backlog(),
        reanalysis=reanalysis_progress(store, config, now=now),
        jobs=_job_rows(last, config, now),
        unhealthy=_unhealthy(last),
        errors=current_errors(store, last),
        library=library_status(store, config) if config.library.size > 0 else None,
        alerts=alerts(last),
        waits=current_waits(store, source_jobs(config), now),
    )
    return dataclasses.replace(snap, hints=_hints(snap, config, bool(listens)))


def _queue_rows(
    store: Store, backbone: str, queue: Sequence[QueueEntry], names: Sequence[str]
) -> tuple[QueueRow, ...]:
    tags = top_tags(store, backbone, [q.track.id for q in queue], names)
    return tuple(QueueRow(q, tags.get(q.track.id, ())) for q in queue)


def _feedback_rows(
    store: Store, events: Sequence[FeedbackEvent], limit: int = 8
) -> tuple[tuple[str, str, float], ...]:
    """The newest feedback and the skips a player saw (kind ``skip``), newest first."""
    out: list[tuple[str, str, float]] = []
    for e in events:
        track = store.get_track(e.track_id) if e.track_id is not None else None
        label = label_of(store, track) if track else (e.artist or "?")
        out.append((e.kind, label, e.created_at))
    for track_id, at, _ in store.skips()[-limit:]:
        track = store.get_track(track_id)
        out.append(("skip", track.label if track else f"track {track_id}", float(at)))
    return tuple(sorted(out, key=lambda row: -row[2])[:limit])


def taste_drift(
    store: Store, model_key: str, names: Sequence[str], now: float, k: int = 3
) -> tuple[tuple[str, float], ...] | None:
    """Tags rising and falling between the last 30 days of listens and the 90 before.

    None when either period has no embedded listens (:func:`drift_gap` says which).
    """
    return _drift(store, model_key, names, now, k)[0]


def _drift(
    store: Store, model_key: str, names: Sequence[str], now: float, k: int = 3
) -> tuple[tuple[tuple[str, float], ...] | None, str]:
    """(the drift, or None and why not)."""
    split = now - RECENT_DAYS * DAY
    listens = store.listens(since=split - BEFORE_DAYS * DAY)
    recent = Counter(t for t, at, _ in listens if at >= split)
    before = Counter(t for t, at, _ in listens if at < split)
    means = store.mean_tags(model_key, sorted(set(recent) | set(before)))
    a, b = _weighted_mean(recent, means), _weighted_mean(before, means)
    if a is None or b is None:
        return None, drift_gap(recent, before, means)
    diff = a - b
    order = np.argsort(diff)
    rising = [int(i) for i in order[::-1][:k] if diff[i] >= DRIFT_MIN]
    falling = [int(i) for i in order[:k] if diff[i] <= -DRIFT_MIN]
    return tuple((_name(names, i), float(diff[i])) for i in rising + falling), ""


def drift_gap(recent: Counter[int], before: Counter[int], means: Mapping[int, object]) -> str:
    """Why the drift cannot be measured: which period lacks listens, or their features."""
    for period, counts in (("the last 30 days", recent), ("the 90 days before", before)):
        if not counts:
            return f"drift: no listens in {period} to compare"
        if not any(t in means for t in counts):
            return (
                f"drift: none of the {len(counts)} tracks listened in {period} has features "
                "yet (they wait to be fetched)"
            )
    return ""


def _name(names: Sequence[str], i: int) -> str:
    return names[i] if i < len(names) else f"tag{i}"


def _weighted_mean(counts: Counter[int], means: dict[int, np.ndarray]) -> np.ndarray | None:
    ids = [t for t in counts if t in means]
    if not ids:
        return None
    weights = np.array([counts[t] for t in ids], dtype=np.float64)
    stacked = np.stack([means[t] for t in ids]).astype(np.float64)
    result: np.ndarray = weights @ stacked / weights.sum()
    return result


def _job_rows(last: dict[str, RunRecord], config: Config, now: float) -> tuple[JobRow, ...]:
    """The scheduled jobs, in schedule order, whether or not they have run yet."""
    return tuple(
        JobRow(spec.name, spec.label, last.get(spec.name), _next_run(spec.name, last, config, now))
        for spec in JOBS
    )


def _unhealthy(last: dict[str, RunRecord]) -> tuple[str, ...]:
    """Jobs and sources (``history:NAME``, ``feed:NAME``, ...) whose last run failed or
    was skipped while backing off after failures."""
    return tuple(
        job
        for job, run in last.items()
        if run.status == "failed" or (run.status == "skipped" and job not in _SCHEDULED)
    )


def _next_run(job: str, last: dict[str, RunRecord], config: Config, now: float) -> float | None:
    run = last.get(job)
    if job not in _SCHEDULED or run is None:
        return None
    return max(run.started_at + _SCHEDULED[job].interval_s(config.schedule), now)


def _hints(snap: Snapshot, config: Config, any_listens: bool) -> tuple[str, ...]:
    hints = []
    if not any_listens:
        hints.append(
            "no listens yet: add a [[history]] source to config.toml"
            if not config.history
            else "no listens yet: the daemon polls [[history]] every "
            f"{config.schedule.history_minutes:g} min; or `tastebud import FILE`"
        )
    discovers = config.discover.enabled and config.discover.per_day > 0
    discovers = discovers and any(h.type in ("listenbrainz", "lastfm") for h in config.history)
    if not config.feeds and not snap.queue and not discovers:
        hints.append("no candidates: add a [[feeds]] source to config.toml")
    if discovers and not config.feeds:
        hints.append(
            "candidates come from [discover]: your top artists' similar artists "
            "(feed discover:<history source>; `tastebud doctor` says which)"
        )
    waiting = snap.waits.fetch.tracks if snap.waits.fetch else 0
    if not snap.queue and snap.backlog > waiting:
        hints.append(f"queue empty: {snap.backlog - waiting} tracks wait for {_fetch_run(snap)}")
    elif not snap.queue and (config.feeds or discovers) and not snap.backlog:
        hints.append("queue empty: waiting for the feeds to be polled and their tracks fetched")
    hints += short_lines(snap.waits, snap.taken_at)
    return tuple(hints)


def _fetch_run(snap: Snapshot) -> str:
    """The fetch job's next run, and how not to wait for it."""
    if snap.daemon_pid is None:
        return "a fetch: start `tastebud run`, or `tastebud once`"
    fetch = next((j for j in snap.jobs if j.job == "fetch"), None)
    if fetch is None or fetch.next_at is None or fetch.next_at <= snap.taken_at:
        return "the fetch job, running now"
    return f"the fetch job at {until(fetch.next_at, snap.taken_at)}: tastebud retry runs it now"
