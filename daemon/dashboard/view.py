"""The dashboard's view: a :class:`Snapshot` and a terminal size in, a rich renderable out.

It only renders (no store access), so it can be tested without a terminal or a database.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.console import Group, JustifyMethod, RenderableType
from rich.layout import Layout
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from daemon.dashboard.library_view import library_line
from daemon.dashboard.snapshot import DAY, JobRow, QueueRow, Snapshot

__all__ = ["ago", "bottom_size", "clip", "queue_capacity", "render", "sparkline", "why_text"]

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
FEEDBACK_MARKS = {"like": "♥", "dislike": "✗", "dismiss": "⤼", "block": "⊘", "skip": "»"}
WIDE = 100  # from this width on the queue shows the feed, and why in full (else its tags)
NARROW = 90  # below this width the queue leaves out the age and the standing's bar ...
TINY = 70  # ... and below this, the id (the detail view shows it)
MIN_ROWS = 3  # queue rows kept before the bottom panels shrink


def render(
    snapshot: Snapshot,
    width: int,
    height: int,
    *,
    selected: int | None = None,
    first: int = 0,
    status: str | None = None,
) -> RenderableType:
    """One frame for a ``width`` x ``height`` terminal (60x15 and larger).

    The queue shows ``snapshot.queue[first:]`` as far as it fits, with row ``selected``
    highlighted; ``status`` (the interactive dashboard's) is the bottom line. On a short
    terminal the model, activity and pipeline panels shrink (and go) before the queue
    drops below :data:`MIN_ROWS` rows.
    """
    if snapshot.problem:
        return Panel(Text(snapshot.problem), title="tastebud", border_style="yellow")
    bottom = bottom_size(snapshot, height, status)
    parts = [
        Layout(_header(snapshot, width), size=1),
        *_library_layout(snapshot),
        Layout(
            _queue_panel(snapshot, queue_capacity(snapshot, height, status), width, first, selected)
        ),
    ]
    if bottom:
        parts.append(Layout(name="bottom", size=bottom))
    if status is not None:
        parts.append(Layout(Text(status, no_wrap=True, overflow="ellipsis", style="bold"), size=1))
    layout = Layout()
    layout.split_column(*parts)
    column = max(width // 3 - 4, 10)
    if bottom:
        layout["bottom"].split_row(
            Layout(_model_panel(snapshot)),
            Layout(_activity_panel(snapshot, bottom - 2, column)),
            Layout(_pipeline_panel(snapshot, column)),
        )
    return layout


def _library_layout(s: Snapshot) -> list[Layout]:
    if s.library is None:
        return []
    return [Layout(library_line(s.library, s.taken_at, ago), size=1)]


def _fixed_lines(snapshot: Snapshot, status: str | None) -> int:
    """Lines that are not queue rows or the bottom panels: header, library line, the queue
    panel's borders and column names, its hints and alerts, the status line."""
    return (
        1
        + (snapshot.library is not None)
        + 3
        + len(snapshot.hints)
        + len(snapshot.alerts)
        + (status is not None)
    )


def bottom_size(snapshot: Snapshot, height: int, status: str | None = None) -> int:
    """The bottom panels' height: 10 lines (14 from 36), fewer on a short terminal so the
    queue keeps :data:`MIN_ROWS` rows, none when fewer than 4 would be left."""
    room = height - _fixed_lines(snapshot, status) - MIN_ROWS
    size = min(10 if height < 36 else 14, room)
    return size if size >= 4 else 0


def queue_capacity(snapshot: Snapshot, height: int, status: str | None = None) -> int:
    """How many queue rows a ``height``-line frame shows: the rows fill the terminal."""
    used = _fixed_lines(snapshot, status) + bottom_size(snapshot, height, status)
    return max(height - used, 0)


def clip(text: str, width: int) -> str:
    """``text`` in ``width`` cells with an ellipsis when too long: cut at a word boundary
    when that loses at most a third of the room, else within the word (never to nothing)."""
    if cell_len(text) <= width:
        return text
    cut = set_cell_size(text, max(width - 1, 0))
    space = cut.rfind(" ")
    if space >= width * 2 // 3 and not text[len(cut) : len(cut) + 1].isspace():
        cut = cut[:space]
    return cut.rstrip(" ,;:-\u2013\u2014(") + "…"


def _header(s: Snapshot, width: int) -> Text:
    ranker = s.readout.ranker if s.readout else "feed order"
    text = Text.assemble(
        ("tastebud", "bold magenta"),
        f"  queue {s.queue_total}  listens/120d {s.n_listens}  ranked by {ranker}  ",
        _daemon_state(s),
    )
    if text.cell_len + 10 <= width:  # the clock goes first when room is short
        text.append("  " + time.strftime("%H:%M:%S", time.localtime(s.taken_at)), style="dim")
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _daemon_state(s: Snapshot) -> Text:
    if s.daemon_pid is not None:
        pid = f" (pid {s.daemon_pid})" if s.daemon_pid else ""
        return Text(f"● running{pid}", style="green")
    since = f" (last run {ago(s.taken_at - s.last_finished)} ago)" if s.last_finished else ""
    return Text(f"○ stopped{since}", style="yellow")


def _queue_panel(
    s: Snapshot, rows: int, width: int, first: int = 0, selected: int | None = None
) -> Panel:
    hints = [Text("!! " + a, style="bold white on red", overflow="fold") for a in s.alerts]
    hints += [Text("→ " + h, style="yellow", no_wrap=True, overflow="ellipsis") for h in s.hints]
    widths = _column_widths(s, width)
    table = Table(box=None, padding=(0, 1), header_style="bold")
    for name, w in widths.items():
        justify: JustifyMethod = "right" if name in ("#", "id", "age") else "left"
        style = "cyan" if name == "why" else ""
        table.add_column(
            name, no_wrap=True, overflow="ellipsis", width=w, justify=justify, style=style
        )
    for i, row in enumerate(s.queue[first : first + rows], start=first):
        cells = _queue_cells(row, s.taken_at, width)
        clipped = [_fit(name, cells[name], w) for name, w in widths.items()]
        table.add_row(*clipped, style="reverse" if i == selected else None)
    body = Group(*hints, table) if s.queue and rows else Group(*hints)
    return Panel(body, title=_queue_title(s), title_align="left", border_style="blue")


def _queue_title(s: Snapshot) -> str:
    shown = len(s.queue)
    title = f"queue: {shown} of {s.queue_total}" if shown < s.queue_total else "queue"
    return title + " (Enter: details)" if s.queue else title


def _column_widths(s: Snapshot, width: int) -> dict[str, int]:
    """Fixed columns at their size; artist, title, feed and why share the rest by ratio.
    Below :data:`NARROW` columns the age and the standing's bar make room, below :data:`TINY`
    the id too."""
    narrow = width < NARROW
    fixed = {"#": max(len(str(len(s.queue))), 2), "standing": 8 if narrow else 10}
    if width >= TINY:
        fixed["id"] = max((len(str(r.entry.track.id)) for r in s.queue), default=2)
    if not narrow:
        fixed["age"] = 4
    ratios = (
        {"artist": 3, "title": 4, "feed": 2, "why": 6}
        if width >= WIDE
        else {"artist": 3, "title": 4, "why": 3}
    )
    free = width - 4 - 2 * (len(fixed) + len(ratios)) - sum(fixed.values())
    total = sum(ratios.values())
    shares = {name: max(free * r // total, 4) for name, r in ratios.items()}
    order = ["#", "id", "standing", "artist", "title", "feed", "age", "why"]
    return {n: fixed.get(n) or shares[n] for n in order if n in fixed or n in shares}


def _fit(name: str, cell: RenderableType, width: int) -> RenderableType:
    """A cell cut to its column: words kept whole in names, why cut by characters (each
    character of a tag list says something)."""
    if not isinstance(cell, str) or cell_len(cell) <= width:
        return cell
    if name == "why":
        return set_cell_size(cell, max(width - 1, 0)) + "…"
    return clip(cell, width)


def why_text(row: QueueRow, now: float) -> str:
    """Why it is queued, compactly: ``≈ Artist - Title, played 3 d ago · Artist 35% of
    this week · ambient, rock`` (≈: sounds like), or its tags while no reason is stored."""
    because = row.entry.because
    if because is None:
        return ", ".join(row.tags)
    parts = []
    if because.like:
        parts.append("≈ " + "; ".join(like.text(now) for like in because.like))
    if because.artist:
        parts.append(f"{because.artist.name} {because.artist.share:.0%} of this week")
    parts.append(", ".join(because.tags if because.tags or because.like else row.tags))
    return " · ".join(p for p in parts if p)


def _queue_cells(row: QueueRow, now: float, width: int) -> dict[str, RenderableType]:
    """The row's cells by column; from :data:`WIDE` on with why in full, else its tags."""
    e = row.entry
    narrow = width < NARROW
    return {
        "#": str(e.rank),
        "id": str(e.track.id),
        "standing": _standing_bar(e.score, width=0 if narrow else 5),
        "artist": e.track.artist or "",
        "title": e.track.title or e.track.label,
        "feed": e.feed or "",
        "age": ago(now - e.offered_at) if e.offered_at else "",
        "why": why_text(row, now) if width >= WIDE else ", ".join(row.tags),
    }


def _standing_bar(score: float | None, width: int = 5) -> Text:
    if score is None:
        return Text("  n/a", style="dim")
    if width == 0:
        return Text(f"{score:.2f}")
    filled = min(max(score, 0.0), 1.0) * width
    full, part = int(filled), int((filled - int(filled)) * 8)
    bar = "█" * full + (BLOCKS[part] if full < width else "")
    return Text.assemble(f"{score:.2f} ", (bar.ljust(width), "green"))


def _model_panel(s: Snapshot) -> Panel:
    lines = _model_lines(s, s.taken_at)
    if len(s.percentiles) > 1:
        trend = f"{sparkline(s.percentiles)} percentile by version"
        lines.append(Text(trend, no_wrap=True, overflow="ellipsis"))
    lines += _drift_lines(s.drift, s.drift_note)
    if s.champion is not None and s.readout is not None:  # last: the first to go when short
        lines.append(Text(f"validation: {s.readout.validation}", style="dim"))
    return Panel(Group(*lines), title="model", title_align="left", border_style="magenta")


def _model_lines(s: Snapshot, now: float) -> list[Text]:
    """The champion, what orders the queue and the judge's evidence."""
    m, judged = s.champion, s.readout
    ranking = [Text(judged.ranking, style="bold")] if judged else []
    if m is None:
        why = judged.untrained if judged else f"untrained: needs {s.min_labels} listened tracks"
        untrained = Text(why, style="yellow")
        return [untrained, *ranking]
    when = ago(now - m.created_at)
    half = m.hparams.get("half_life_days")
    labels = _num(m.n_labels, "g")
    about = f"v{m.version} trained {when} ago, {labels} labels, half-life {_num(half, 'g')}d"
    evidence = [Text(_evidence(judged.record))] if judged and judged.record else []
    return [Text(about), *ranking, *evidence]


def _evidence(record: dict[str, object]) -> str:
    """The judge's record in a few words: listens, both standings, the interval."""
    n = record.get("listens")
    low_high = record.get("interval")
    if not n or not isinstance(low_high, list):
        return "evidence: no new listens tested yet"
    low, high = low_high
    model, plain = record["model_standing"], record["similarity_standing"]
    return (
        f"evidence: {n} listens, model {_num(model)} vs similarity {_num(plain)}, "
        f"interval {low:+.2f}..{high:+.2f}"
    )


def _num(value: object, spec: str = ".2f") -> str:
    return format(value, spec) if isinstance(value, int | float) else "?"


def _drift_lines(drift: tuple[tuple[str, float], ...] | None, note: str = "") -> list[Text]:
    if drift is None:
        return [Text(note or "drift: not measured yet", style="dim")]
    if not drift:
        return [Text("drift: steady taste", style="dim")]
    text = Text("drift ")
    for name, delta in drift:
        text.append(f"{'+' if delta > 0 else '-'}{name} ", style="green" if delta > 0 else "red")
    return [text]


def sparkline(values: Sequence[float]) -> str:
    """Values as a row of block characters, lowest to highest; a missing (NaN) value is '·'."""
    finite = [v for v in values if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 0.0)

    def mark(v: float) -> str:
        if not math.isfinite(v):
            return "·"
        if hi - lo < 1e-9:
            return SPARKS[3]
        return SPARKS[round((v - lo) / (hi - lo) * (len(SPARKS) - 1))]

    return "".join(mark(v) for v in values)


def _activity_panel(s: Snapshot, lines: int, column: int) -> Panel:
    half = max(lines // 2, 1)
    rows = [_line("▶ ", label, s.taken_at - at, column) for label, at, _ in s.listens[:half]]
    if not s.listens:
        rows.append(Text("no listens yet", style="dim"))
    rows += [
        _line(FEEDBACK_MARKS.get(kind, "?") + " ", label, s.taken_at - at, column)
        for kind, label, at in s.feedback[: lines - len(rows)]
    ]
    return Panel(Group(*rows), title="listens & feedback", title_align="left", border_style="green")


def _line(mark: str, label: str, age: float, column: int) -> Text:
    text = Text.assemble(mark, (ago(age).rjust(3), "dim"), " ", clip(label, column - 6))
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _pipeline_panel(s: Snapshot, column: int) -> Panel:
    """Failures first: unhealthy sources and errors win the room over the job list."""
    counts = " ".join(f"{st} {s.states.get(st, 0)}" for st in STATES if s.states.get(st))
    backlog = f" · backlog {s.backlog}"
    if (wait := s.waits.fetch) is not None:
        backlog += f" ({wait.tracks} retry {time.strftime('%H:%M', time.localtime(wait.last_at))})"
    rows: list[Text] = [Text((counts or "no tracks") + backlog)]
    if s.unhealthy:
        rows.append(Text("unhealthy: " + ", ".join(s.unhealthy), style="bold red"))
    rows += [_error_line(who, what, column) for who, what in s.errors]
    if s.reanalysis is not None:
        rows.append(Text(s.reanalysis.line(), style="cyan"))
    running = s.daemon_pid is not None
    rows += [_job_line(j, s.taken_at, running) for j in s.jobs]
    return Panel(Group(*rows), title="pipeline", title_align="left", border_style="yellow")


def _error_line(who: str, what: str, column: int) -> Text:
    """``! who: what``, cut to the column by characters: the name takes what it needs as
    long as 10 cells are left for the message, the message the rest."""
    room = max(column - 14, column // 3)
    name = who if cell_len(who) <= room else set_cell_size(who, room - 1) + "…"
    text = Text.assemble(("! ", "red"), (name, "bold red"), (f": {what}", "red"))
    text.truncate(column, overflow="ellipsis")
    text.no_wrap = True
    return text


def _job_line(job: JobRow, now: float, running: bool = True) -> Text:
    if job.last is None:
        return Text(f"{job.label:<12} never run", style="dim", no_wrap=True)
    mark, style = JOB_MARKS.get(job.last.status, ("?", "yellow"))
    text = Text.assemble(
        f"{job.label:<12} ", (mark, style), f" {ago(now - job.last.started_at):>3}"
    )
    if not running:
        text.append(" stopped", style="dim")
    elif job.next_at is not None:
        text.append(f" →{ago(job.next_at - now)}", style="dim")
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def ago(seconds: float) -> str:
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
