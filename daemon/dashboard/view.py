"""The dashboard's view: a :class:`Snapshot` and a terminal size in, a rich renderable out.

It only renders (no store access), so it can be tested without a terminal or a database.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.layout import Layout
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from daemon.dashboard.snapshot import DAY, JobRow, QueueRow, Snapshot

__all__ = ["render", "sparkline"]

STATES = ("new", "fetching", "ready", "failed", "unmatched")
SPARKS = "▁▂▃▄▅▆▇█"
BLOCKS = " ▏▎▍▌▋▊▉█"
JOB_MARKS = {
    "ok": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "running": ("…", "cyan"),
    "skipped": ("-", "dim"),
    "aborted": ("!", "yellow"),
}
FEEDBACK_MARKS = {"like": "♥", "dislike": "✗", "dismiss": "⤼", "block": "⊘"}


def render(snapshot: Snapshot, width: int, height: int) -> RenderableType:
    """One frame for a ``width`` x ``height`` terminal (80x24 and larger)."""
    if snapshot.problem:
        return Panel(Text(snapshot.problem), title="tastebud", border_style="yellow")
    bottom = 10 if height < 36 else 14
    notes = len(snapshot.hints) + len(snapshot.alerts)
    queue_rows = max(height - 1 - bottom - 3 - notes, 0)
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
    hints = [Text("!! " + a, style="bold white on red", overflow="fold") for a in s.alerts]
    hints += [Text("→ " + h, style="yellow", no_wrap=True, overflow="ellipsis") for h in s.hints]
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
        return Text(f"{job.label:<12} never run", style="dim", no_wrap=True)
    mark, style = JOB_MARKS.get(job.last.status, ("?", "yellow"))
    text = Text.assemble(
        f"{job.label:<12} ", (mark, style), f" {_ago(now - job.last.started_at):>3}"
    )
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
