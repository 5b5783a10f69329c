"""The page's health panel: sources with their errors in full and a retry button, the
fetches that failed or wait, the jobs, the library."""

from __future__ import annotations

import time
from html import escape
from typing import Any

from daemon.web.records import age_text

__all__ = ["health_html"]

MARKS = {"ok": "✓", "failed": "✗", "running": "…", "skipped": "-", "aborted": "!"}


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _when(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    return f"in {age_text(ts - now)}" if ts > now else f"{age_text(now - ts)} ago"


def _status(run: dict[str, Any] | None) -> tuple[str, str]:
    status = run["status"] if run else "never run"
    return status, MARKS.get(status, "·")


def _source(s: dict[str, Any], now: float) -> str:
    status, mark = _status(s["last"])
    when = _when(s["last"]["started_at"], now) if s["last"] else ""
    body = ""
    if s["failing"]:
        retry = _when(s["next_retry_at"], now) if s["next_retry_at"] else "at the next poll"
        if s["retry_asked_at"]:
            retry = f"at the next poll (retry asked {_when(s['retry_asked_at'], now)})"
        body = (
            f'<pre class="error">{_e(s["error"] or "failed")}</pre>'
            f'<p class="next">next try {_e(retry)} '
            f'<button type="button" class="retry" data-retry="{_e(s["job"])}">'
            "retry now</button></p>"
        )
    return (
        f'<li class="source {"failing" if s["failing"] else "healthy"}" data-job="{_e(s["job"])}">'
        f'<span class="mark s-{_e(status)}">{mark}</span> <b>{_e(s["name"])}</b> '
        f'<span class="kind">{_e(s["kind"])}</span> <span class="when">{_e(status)} {_e(when)}'
        f"</span>{body}</li>"
    )


def _fetch_error(e: dict[str, Any], now: float) -> str:
    due = f", next try {_when(e['next_retry_at'], now)}" if e["next_retry_at"] else ""
    return (
        f'<li><b>{_e(e["label"])}</b> <span class="kind">{_e(e["state"])}, '
        f"{e['attempts']} attempts{_e(due)}</span>"
        f'<pre class="error">{_e(e["error"])}</pre></li>'
    )


def _fetches(f: dict[str, Any], now: float) -> str:
    errors = "".join(_fetch_error(e, now) for e in f["errors"])
    button = (
        '<button type="button" class="retry" data-retry="">'
        "retry failed and waiting fetches</button>"
        if f["waiting"] or f["failed"]
        else ""
    )
    return (
        f'<p class="fetch-counts">{f["waiting"]} fetches wait for their next try, '
        f'{f["failed"]} failed {button}</p><ul class="fetch-errors">{errors}</ul>'
    )


def _jobs(jobs: list[dict[str, Any]], now: float) -> str:
    rows = []
    for j in jobs:
        status, mark = _status(j["last"])
        when = _when(j["last"]["started_at"], now) if j["last"] else ""
        error = j["last"]["error"] if j["last"] else None
        due = f"next {_when(j['next_at'], now)}" if j["next_at"] else ""
        rows.append(
            f'<tr><td><span class="mark s-{_e(status)}">{mark}</span> {_e(j["label"])}</td>'
            f"<td>{_e(status)} {_e(when)}</td><td>{_e(due)}</td></tr>"
            + (
                '<tr class="job-error"><td colspan="3">'
                f'<pre class="error">{_e(error)}</pre></td></tr>'
                if error
                else ""
            )
        )
    return '<table class="jobs">' + "".join(rows) + "</table>"


def _library(lib: dict[str, Any] | None) -> str:
    if lib is None:
        return "<p>no library folder ([library] size = 0)</p>"
    return (
        f"<p>{lib['files']} files, {lib['bytes'] / 2**20:.0f} MB, {lib['kept']} kept, in "
        f"<code>{_e(lib['dir'])}</code></p>"
    )


def _reanalysis(progress: dict[str, Any] | None) -> str:
    return "" if progress is None else f'<p class="reanalysis">{_e(progress["line"])}</p>'


def health_html(status: dict[str, Any], now: float | None = None) -> str:
    """Sources, fetches, jobs and the library, errors in full."""
    now = time.time() if now is None else now
    tracks = ", ".join(f"{k} {v}" for k, v in status["tracks"].items()) or "none yet"
    sources = "".join(_source(s, now) for s in status["sources"])
    return (
        f'<h3>Sources</h3><ul class="sources">{sources or "<li>no sources configured</li>"}</ul>'
        f"<h3>Fetches</h3><p>tracks: {_e(tracks)}; backlog {status['backlog']}</p>"
        f"{_reanalysis(status['reanalysis'])}"
        f"{_fetches(status['fetches'], now)}"
        f"<h3>Jobs</h3>{_jobs(status['jobs'], now)}"
        f"<h3>Library</h3>{_library(status['library'])}"
    )
