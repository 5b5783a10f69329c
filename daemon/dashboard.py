"""``tastebud dashboard``: a live terminal view of the queue, the model and the pipeline.

It only reads: each refresh opens the database read-only, takes a few short
read transactions (:func:`load_snapshot`) and closes it, so it never holds up
the daemon and works whether or not the daemon runs. :func:`render` is pure:
a :class:`Snapshot` and a size in, a rich renderable out, so it can be tested
without a terminal. ``--once`` prints one frame and exits.
"""

from __future__ import annotations

import argparse
import dataclasses
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.layout import Layout
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from daemon.config import Config
from daemon.exporting import load_tag_names, top_tags
from store.db import Store
from store.errors import StoreError
from store.records import FeedbackEvent, ModelRecord, QueueEntry, RunRecord
from store.schema import SCHEMA_VERSION

__all__ = ["JobRow", "Snapshot", "cmd_dashboard", "load_snapshot", "render", "snapshot_for"]

DAY = 86_400.0
RECENT_DAYS = 30
BEFORE_DAYS = 90
DRIFT_MIN = 0.05  # a tag moves when its mean probability changes by at least this
DRIFT_TTL_S = 60.0
STATES = ("new", "fetching", "ready", "failed", "unmatched")
SPARKS = "▁▂▃▄▅▆▇█"
BLOCKS = " ▏▎▍▌▋▊▉█"
JOB_SCHEDULE = {  # the daemon's scheduled jobs -> ([schedule] field, seconds per unit)
    "poll-history": ("history_minutes", 60.0),
    "poll-feeds": ("feeds_minutes", 60.0),
    "fetch": ("fetch_minutes", 60.0),
    "train": ("train_minutes", 60.0),
    "playlists": ("playlists_minutes", 60.0),
    "maintenance": ("maintenance_hours", 3600.0),
}
JOB_MARKS = {
    "ok": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "running": ("…", "cyan"),
    "skipped": ("-", "dim"),
    "aborted": ("!", "yellow"),
}
FEEDBACK_MARKS = {"like": "♥", "dislike": "✗", "dismiss": "⤼", "block": "⊘"}


@dataclass(frozen=True)
class QueueRow:
    """A queue entry and why it is there (its top musicnn tags)."""

    entry: QueueEntry
    tags: tuple[str, ...]


@dataclass(frozen=True)
class JobRow:
    """A daemon job: its newest run and when the schedule will run it next."""

    job: str
    last: RunRecord | None
    next_at: float | None


@dataclass(frozen=True)
class Snapshot:
    """Everything one dashboard frame shows, read in one go."""

    db_path: str
    taken_at: float
    problem: str = ""
    queue: tuple[QueueRow, ...] = ()
    listens: tuple[tuple[str, int, str], ...] = ()
    feedback: tuple[tuple[str, str, float], ...] = ()
    n_listens: int = 0
    champion: ModelRecord | None = None
    aucs: tuple[float, ...] = ()
    min_labels: int = 0
    precision_k: int = 20
    drift: tuple[tuple[str, float], ...] | None = None
    states: dict[str, int] = dataclasses.field(default_factory=dict)
    backlog: int = 0
    jobs: tuple[JobRow, ...] = ()
    unhealthy: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()


# -- reading -----------------------------------------------------------------------------------


def snapshot_for(
    config: Config,
    *,
    rows: int = 15,
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
            return load_snapshot(
                store, config, rows=rows, tag_names=tag_names, with_drift=with_drift
            )
    except (StoreError, sqlite3.Error) as exc:
        return Snapshot(str(path), time.time(), problem=f"cannot read {path}: {exc}")


def load_snapshot(
    store: Store,
    config: Config,
    *,
    rows: int = 15,
    tag_names: Sequence[str] | None = None,
    now: float | None = None,
    with_drift: bool = True,
) -> Snapshot:
    """Read everything a frame shows from ``store`` (short read transactions only)."""
    now = now if now is not None else time.time()
    names = tag_names if tag_names is not None else load_tag_names(config.model.backbone)
    queue = _queue_rows(store, config, rows, names)
    listens = store.recent_listens(8)
    models = store.models()
    states = store.state_counts()
    last = store.last_runs()
    snap = Snapshot(
        db_path=str(store.path),
        taken_at=now,
        queue=queue,
        listens=tuple((t.label, at, src) for t, at, src in listens),
        feedback=_feedback_rows(store, store.feedback(limit=8)),
        n_listens=len(store.listens(now - (RECENT_DAYS + BEFORE_DAYS) * DAY)) if listens else 0,
        champion=next((m for m in reversed(models) if m.promoted), None),
        aucs=tuple(float(m.metrics["roc_auc"]) for m in models if "roc_auc" in m.metrics),
        min_labels=config.model.min_labels,
        precision_k=config.model.precision_k,
        drift=taste_drift(store, config.model.backbone, names, now) if with_drift else None,
        states=states,
        backlog=store.backlog(),
        jobs=_job_rows(last, config, now),
        unhealthy=_unhealthy(last),
        errors=_errors(store),
    )
    return dataclasses.replace(snap, hints=_hints(snap, config, bool(listens)))


def _queue_rows(
    store: Store, config: Config, rows: int, names: Sequence[str]
) -> tuple[QueueRow, ...]:
    queue = store.queue(rows, per_artist=config.queue.per_artist, window=config.queue.window)
    tags = top_tags(store, config.model.backbone, [q.track.id for q in queue], names)
    return tuple(QueueRow(q, tags.get(q.track.id, ())) for q in queue)


def _feedback_rows(
    store: Store, events: Sequence[FeedbackEvent]
) -> tuple[tuple[str, str, float], ...]:
    out = []
    for e in events:
        track = store.get_track(e.track_id) if e.track_id is not None else None
        label = track.label if track else (e.artist or "?")
        out.append((e.kind, label, e.created_at))
    return tuple(out)


def taste_drift(
    store: Store, model_key: str, names: Sequence[str], now: float, k: int = 3
) -> tuple[tuple[str, float], ...] | None:
    """Tags rising and falling between the last 30 days of listens and the 90 before.

    None when either period has no embedded listens.
    """
    split = now - RECENT_DAYS * DAY
    listens = store.listens(since=split - BEFORE_DAYS * DAY)
    recent = Counter(t for t, at, _ in listens if at >= split)
    before = Counter(t for t, at, _ in listens if at < split)
    means = store.mean_tags(model_key, sorted(set(recent) | set(before)))
    a, b = _weighted_mean(recent, means), _weighted_mean(before, means)
    if a is None or b is None:
        return None
    diff = a - b
    order = np.argsort(diff)
    rising = [int(i) for i in order[::-1][:k] if diff[i] >= DRIFT_MIN]
    falling = [int(i) for i in order[:k] if diff[i] <= -DRIFT_MIN]
    return tuple((_name(names, i), float(diff[i])) for i in rising + falling)


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
        JobRow(job, last.get(job), _next_run(job, last.get(job), config, now))
        for job in JOB_SCHEDULE
    )


def _unhealthy(last: dict[str, RunRecord]) -> tuple[str, ...]:
    """Jobs and sources (``history:NAME``, ``feed:NAME``, ...) whose last run failed or
    was skipped while backing off after failures."""
    return tuple(
        job
        for job, run in last.items()
        if run.status == "failed" or (run.status == "skipped" and job not in JOB_SCHEDULE)
    )


def _next_run(job: str, run: RunRecord | None, config: Config, now: float) -> float | None:
    if job not in JOB_SCHEDULE or run is None:
        return None
    field, unit = JOB_SCHEDULE[job]
    interval = float(getattr(config.schedule, field)) * unit
    return max(run.started_at + interval, now)


def _errors(store: Store, limit: int = 4) -> tuple[str, ...]:
    runs = [r for r in store.runs(limit=50) if r.error][:limit]
    lines = [f"{r.job}: {r.error}" for r in runs]
    lines += [f"{t.label}: {t.last_error}" for t, _ in store.track_errors(limit)]
    return tuple(" ".join(line.split()) for line in lines[:limit])


def _hints(snap: Snapshot, config: Config, any_listens: bool) -> tuple[str, ...]:
    hints = []
    if not any_listens:
        hints.append(
            "no listens yet: add a [[history]] source to config.toml"
            if not config.history
            else "no listens yet: the daemon polls [[history]] every "
            f"{config.schedule.history_minutes:g} min; or `tastebud import FILE`"
        )
    if not config.feeds and not snap.queue:
        hints.append("no candidates: add a [[feeds]] source to config.toml")
    if not snap.queue and snap.backlog:
        hints.append(f"queue empty: {snap.backlog} tracks wait to be fetched")
    elif not snap.queue and config.feeds:
        hints.append("queue empty: waiting for the feeds to be polled and their tracks fetched")
    return tuple(hints)


# -- rendering ---------------------------------------------------------------------------------


def render(snapshot: Snapshot, width: int, height: int) -> RenderableType:
    """One frame for a ``width`` x ``height`` terminal (80x24 and larger)."""
    if snapshot.problem:
        return Panel(Text(snapshot.problem), title="tastebud", border_style="yellow")
    bottom = 10 if height < 36 else 14
    queue_rows = max(height - 1 - bottom - 3 - len(snapshot.hints), 0)
    layout = Layout()
    layout.split_column(
        Layout(_header(snapshot), size=1),
        Layout(_queue_panel(snapshot, queue_rows, width)),
        Layout(name="bottom", size=bottom),
    )
    layout["bottom"].split_row(
        Layout(_model_panel(snapshot)),
        Layout(_activity_panel(snapshot, bottom - 2)),
        Layout(_pipeline_panel(snapshot)),
    )
    return layout


def _header(s: Snapshot) -> Text:
    model = f"v{s.champion.version}" if s.champion else "untrained"
    text = Text.assemble(
        ("tastebud", "bold magenta"),
        f"  queue {len(s.queue)}  listens/120d {s.n_listens}  model {model}  ",
        (time.strftime("%H:%M:%S", time.localtime(s.taken_at)), "dim"),
        ("  " + s.db_path, "dim"),
    )
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _queue_panel(s: Snapshot, rows: int, width: int) -> Panel:
    hints = [Text("→ " + h, style="yellow", no_wrap=True, overflow="ellipsis") for h in s.hints]
    table = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
    table.add_column("#", justify="right", no_wrap=True, width=3)
    table.add_column("score", no_wrap=True, width=10)
    table.add_column("artist", no_wrap=True, overflow="ellipsis", ratio=3)
    table.add_column("title", no_wrap=True, overflow="ellipsis", ratio=4)
    if width >= 100:
        table.add_column("feed", no_wrap=True, overflow="ellipsis", ratio=2)
    table.add_column("age", no_wrap=True, width=4, justify="right")
    table.add_column("why", no_wrap=True, overflow="ellipsis", ratio=4, style="cyan")
    for row in s.queue[:rows]:
        table.add_row(*_queue_cells(row, s.taken_at, width >= 100))
    body = Group(*hints, table) if s.queue else Group(*hints)
    return Panel(body, title="queue", title_align="left", border_style="blue")


def _queue_cells(row: QueueRow, now: float, with_feed: bool) -> list[RenderableType]:
    e = row.entry
    cells: list[RenderableType] = [
        str(e.rank),
        _score_bar(e.score),
        e.track.artist or "",
        e.track.title or e.track.label,
    ]
    if with_feed:
        cells.append(e.feed or "")
    cells += [_ago(now - e.offered_at) if e.offered_at else "", ", ".join(row.tags)]
    return cells


def _score_bar(score: float | None, width: int = 5) -> Text:
    if score is None:
        return Text("  n/a", style="dim")
    filled = min(max(score, 0.0), 1.0) * width
    full, part = int(filled), int((filled - int(filled)) * 8)
    bar = "█" * full + (BLOCKS[part] if full < width else "")
    return Text.assemble(f"{score:.2f} ", (bar.ljust(width), "green"))


def _model_panel(s: Snapshot) -> Panel:
    lines = _model_lines(s, s.taken_at)
    if len(s.aucs) > 1:
        lines.append(Text(f"AUC by version {sparkline(s.aucs)}", no_wrap=True))
    lines += _drift_lines(s.drift)
    return Panel(Group(*lines), title="model", title_align="left", border_style="magenta")


def _model_lines(s: Snapshot, now: float) -> list[Text]:
    m = s.champion
    if m is None:
        return [Text(f"untrained: it trains once {s.min_labels} labels exist", style="yellow")]
    when = _ago(now - m.created_at)
    labels = m.n_labels
    half = m.hparams.get("half_life_days")
    auc, pk = m.metrics.get("roc_auc"), m.metrics.get("precision_at_k")
    return [
        Text(f"v{m.version}  trained {when} ago", no_wrap=True, overflow="ellipsis"),
        Text(f"labels {_num(labels, 'g')}  half-life {_num(half, 'g')}d"),
        Text(f"ROC-AUC {_num(auc)} P@{s.precision_k} {_num(pk)}", no_wrap=True),
    ]


def _num(value: object, spec: str = ".2f") -> str:
    return format(value, spec) if isinstance(value, int | float) else "?"


def _drift_lines(drift: tuple[tuple[str, float], ...] | None) -> list[Text]:
    if drift is None:
        return [Text("drift: needs listens in the last 30 days and the 90 before", style="dim")]
    if not drift:
        return [Text("drift: steady taste", style="dim")]
    text = Text("drift ")
    for name, delta in drift:
        text.append(f"{'+' if delta > 0 else '-'}{name} ", style="green" if delta > 0 else "red")
    return [text]


def sparkline(values: Sequence[float]) -> str:
    """Values as a row of block characters, lowest to highest."""
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        return SPARKS[3] * len(values)
    return "".join(SPARKS[round((v - lo) / (hi - lo) * (len(SPARKS) - 1))] for v in values)


def _activity_panel(s: Snapshot, lines: int) -> Panel:
    half = max(lines // 2, 1)
    rows = [_line("▶ ", label, s.taken_at - at) for label, at, _ in s.listens[:half]]
    if not s.listens:
        rows.append(Text("no listens yet", style="dim"))
    rows += [
        _line(FEEDBACK_MARKS.get(kind, "?") + " ", label, s.taken_at - at)
        for kind, label, at in s.feedback[: lines - len(rows)]
    ]
    return Panel(Group(*rows), title="listens & feedback", title_align="left", border_style="green")


def _line(mark: str, label: str, age: float) -> Text:
    text = Text.assemble(mark, (_ago(age).rjust(3), "dim"), " ", label)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _pipeline_panel(s: Snapshot) -> Panel:
    counts = "  ".join(f"{st} {s.states.get(st, 0)}" for st in STATES)
    rows: list[Text] = [Text(counts + f"  backlog {s.backlog}", overflow="fold")]
    if s.unhealthy:
        rows.append(Text("unhealthy: " + ", ".join(s.unhealthy), style="bold red"))
    rows += [_job_line(j, s.taken_at) for j in s.jobs]
    rows += [Text("! " + e, style="red", no_wrap=True, overflow="ellipsis") for e in s.errors]
    return Panel(Group(*rows), title="pipeline", title_align="left", border_style="yellow")


def _job_line(job: JobRow, now: float) -> Text:
    if job.last is None:
        return Text(f"{job.job:<12} never run", style="dim", no_wrap=True)
    mark, style = JOB_MARKS.get(job.last.status, ("?", "yellow"))
    text = Text.assemble(f"{job.job:<12} ", (mark, style), f" {_ago(now - job.last.started_at):>3}")
    if job.next_at is not None:
        text.append(f" →{_ago(job.next_at - now)}", style="dim")
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _ago(seconds: float) -> str:
    s = max(seconds, 0.0)
    if s < 60:
        out = f"{s:.0f}s"
    elif s < 3600:
        out = f"{s / 60:.0f}m"
    elif s < DAY:
        out = f"{s / 3600:.0f}h"
    else:
        out = f"{s / DAY:.0f}d"
    return out


# -- the command -------------------------------------------------------------------------------


def cmd_dashboard(config: Config, args: argparse.Namespace) -> int:
    """``tastebud dashboard``: refresh until Ctrl-C; ``--once`` prints one frame."""
    console = Console()
    if args.once:
        snap = snapshot_for(config, rows=args.rows)
        console.print(render(snap, console.width, console.height))
        return 0
    try:
        _live(console, config, args.rows, max(args.refresh, 0.5))
    except KeyboardInterrupt:
        pass
    return 0


def _live(console: Console, config: Config, rows: int, refresh: float) -> None:
    drift_at = 0.0
    drift: tuple[tuple[str, float], ...] | None = None
    with Live(console=console, screen=True, auto_refresh=False) as live:
        while True:
            fresh = time.monotonic() - drift_at > DRIFT_TTL_S
            snap = snapshot_for(config, rows=rows, with_drift=fresh)
            if fresh:
                drift, drift_at = snap.drift, time.monotonic()
            snap = dataclasses.replace(snap, drift=drift)
            live.update(render(snap, console.width, console.height), refresh=True)
            time.sleep(refresh)
