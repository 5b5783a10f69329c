"""The page's server-rendered fragments: queue rows, a track's detail, the model panel
and its chart, source and job health. Every value passes :func:`html.escape`; styling is
by class only (the Content-Security-Policy allows no inline style)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from html import escape
from typing import Any

from daemon.web.records import age_text

__all__ = ["detail_html", "model_html", "queue_html", "summary_html", "trend_svg"]

NONE = "\u2013"  # an en dash: no value
FEEDBACK_BUTTONS = (
    ("like", "♥", "like (l)"),
    ("dislike", "✗", "dislike (d)"),
    ("dismiss", "⤼", "dismiss (x)"),
    ("block", "⊘", "block the artist (b)"),
)


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _standing(value: float | None) -> str:
    return NONE if value is None else f"{value:.2f}"


def _ago(ts: float | None, now: float) -> str:
    return "never" if ts is None else f"{age_text(now - ts)} ago"


def _in(ts: float | None, now: float) -> str:
    if ts is None:
        return ""
    return "due now" if ts <= now else f"in {age_text(ts - now)}"


def _buttons() -> str:
    return "".join(
        f'<button type="button" class="fb fb-{a}" data-act="{a}" title="{t}" aria-label="{t}">'
        f"{m}</button>"
        for a, m, t in FEEDBACK_BUTTONS
    )


def _row(r: dict[str, Any]) -> str:
    find = f"{r['artist'] or ''} {r['title'] or r['label']}".casefold()
    why = r["why"]["text"]
    title = r["title"] or r["url"] or r["label"]
    return (
        f'<tr data-id="{r["id"]}" data-rank="{r["rank"]}" data-audio="{int(r["audio"])}" '
        f'data-find="{_e(find)}" data-label="{_e(r["label"])}">'
        f'<td class="rank">{r["rank"]}</td><td class="standing">{_standing(r["standing"])}</td>'
        f'<td class="track"><span class="artist">{_e(r["artist"])}</span>'
        f'<span class="title">{_e(title)}</span>'
        f'<span class="why">{_e(why)}</span></td>'
        f'<td class="feed wide">{_e(r["feed"])}</td><td class="age wide">{_e(r["age"])}</td>'
        f'<td class="act"><div class="buttons">{_buttons()}</div></td></tr>'
    )


def queue_html(rows: Sequence[dict[str, Any]]) -> str:
    """The queue table's body: one row per entry, the handles in ``data-`` attributes."""
    if not rows:
        return (
            '<tr class="empty"><td colspan="6">The queue is empty: the daemon fills it as it '
            "polls the feeds and fetches their tracks (health says what it waits on).</td></tr>"
        )
    return "".join(_row(r) for r in rows)


def summary_html(status: dict[str, Any]) -> str:
    """The header line: the queue's length, what ranks it, whether the daemon runs."""
    daemon = status["daemon"]
    running = f"daemon running (pid {daemon['pid']})" if daemon["running"] else "daemon stopped"
    parts = [f"queue {status['queue']['length']}", status["ranking"], running]
    alerts = "".join(f'<p class="alert">{_e(a)}</p>' for a in status["alerts"])
    return " · ".join(f"<span>{_e(p)}</span>" for p in parts) + alerts


def _reason(like: dict[str, Any], now: float) -> str:
    label = " - ".join(x for x in (like.get("artist"), like.get("title")) if x)
    played = like.get("last_played_at")
    when = f", played {_ago(played, now)}" if played else ""
    return (
        f"<li>like <b>{_e(label or 'track ' + str(like['track_id']))}</b>{_e(when)} "
        f'<span class="sim">similarity {float(like["similarity"]):.2f}</span></li>'
    )


def detail_html(t: dict[str, Any], now: float | None = None) -> str:
    """The detail view of a track: rank, standing, all its reasons, feed, tags, state."""
    now = time.time() if now is None else now
    head = f"#{t['rank']} " if t["queued"] else ""
    why = t.get("why") or {"like": [], "tags": [], "text": ""}
    reasons = "".join(_reason(like, now) for like in why["like"]) or "<li>not explained yet</li>"
    tags = "".join(
        f'<li><span class="tag">{_e(x["tag"])}</span> {x["probability"]:.2f}</li>'
        for x in t["tags"]
    )
    facts = [
        ("standing", _standing(t.get("standing")) if t["queued"] else "not in the queue"),
        ("feed", t.get("feed") or NONE),
        ("offered", f"{t['age']} ago" if t.get("age") else NONE),
        ("album", t["album"] or NONE),
        ("length", f"{t['duration']:.0f} s" if t["duration"] else NONE),
        ("state", t["state"] + (f": {t['error']}" if t["error"] else "")),
        ("id", f"{t['id']}" + "".join(f", {k} {v}" for k, v in t["ids"].items())),
    ]
    url = (
        f'<a href="{_e(t["url"])}" rel="noreferrer noopener">{_e(t["url"])}</a>' if t["url"] else ""
    )
    return (
        f'<h2 data-id="{t["id"]}">{_e(head)}{_e(t["label"])}</h2>'
        f'<h3>Why</h3><ul class="reasons">{reasons}</ul>'
        f'<h3>Tags</h3><ul class="tags">{tags or "<li>no features yet</li>"}</ul>'
        "<dl>" + "".join(f"<dt>{k}</dt><dd>{_e(v)}</dd>" for k, v in facts) + "</dl>"
        f'<p class="url">{url}</p>'
    )


def trend_svg(values: Sequence[float | None], width: int = 320, height: int = 120) -> str:
    """The ranker's standing over time: each promoted model's held-out percentile, oldest
    first, on a 0.5 (chance) to 1.0 scale; a gap where it was not measured."""
    pad, low = 14, 0.5
    n = len(values)

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return pad + (height - 2 * pad) * (1.0 - (min(max(v, low), 1.0) - low) / (1.0 - low))

    lines: list[list[str]] = []
    run: list[str] = []
    dots: list[str] = []
    for i, v in enumerate(values):
        if v is None or math.isnan(v):
            lines.append(run)
            run = []
            continue
        run.append(f"{x(i):.1f},{y(v):.1f}")
        dots.append(
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3"><title>v{i + 1}: {v:.2f}'
            "</title></circle>"
        )
    lines.append(run)
    paths = "".join(f'<polyline points="{" ".join(p)}"/>' for p in lines if len(p) > 1)
    label = ", ".join("gap" if v is None else f"{v:.2f}" for v in values) or "no models yet"
    return (
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="percentile of each promoted model: {_e(label)}">'
        f'<line class="chance" x1="{pad}" x2="{width - pad}" y1="{y(low):.1f}" y2="{y(low):.1f}"/>'
        f'<line class="top" x1="{pad}" x2="{width - pad}" y1="{y(1.0):.1f}" y2="{y(1.0):.1f}"/>'
        f'<text x="{pad}" y="{y(1.0) - 3:.1f}">1.0</text>'
        f'<text x="{pad}" y="{y(low) - 3:.1f}">0.5 chance</text>'
        f'<g class="series">{paths}{"".join(dots)}</g></svg>'
    )


def model_html(status: dict[str, Any], now: float | None = None) -> str:
    """The model panel: what ranks, the evidence, the standing over time."""
    now = time.time() if now is None else now
    model = status["model"]
    head = (
        f"v{model['version']}, trained {_ago(model['trained_at'], now)}, {model['labels']} labels"
        if model
        else "untrained: the queue is ranked by similarity until there are enough listens"
    )
    return (
        f'<p class="model-line">{_e(head)}</p><p>{_e(status["ranking"])}</p>'
        + (
            f'<p class="evidence">{_e(evidence)}</p>'
            if (evidence := status["evidence"]["line"])
            else ""
        )
        + f"<p>validation: {_e(status['validation']['line'])}</p>"
        f"<figure>{trend_svg(status['trend'])}<figcaption>held-out percentile of each promoted "
        "model, oldest first (1.0 the top, 0.5 chance)</figcaption></figure>"
    )
