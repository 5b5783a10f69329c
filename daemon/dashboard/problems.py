"""What the dashboard shows as wrong now: the errors of jobs and sources whose newest run
failed (not of those that recovered since), the tracks whose fetch failed, and a failed
integrity check. Each error is (who, what), its message without the ``who`` it repeats."""

from __future__ import annotations

import re
import time

from store import RunRecord, Store

__all__ = ["alerts", "current_errors"]


def _without_who(who: str, message: str) -> str:
    """``message`` without a leading repeat of ``who``: ``url feed 'radio': `` for the
    source ``feed:radio``, ``Artist - Title: `` for that track."""
    text = " ".join(message.split())
    key = who.split(":", 1)[-1]
    for prefix in (f"{who}: ", f"{key}: "):
        text = text.removeprefix(prefix)
    return re.sub(rf"^(?:[\w-]+ ){{1,3}}'?{re.escape(key)}'?: ", "", text)


def current_errors(
    store: Store, last: dict[str, RunRecord], limit: int = 4
) -> tuple[tuple[str, str], ...]:
    """(who, what) of each job or source whose newest run failed (a source by its name:
    the unhealthy line says whether it is a feed), then of the tracks whose last fetch
    failed, newest first."""
    runs = sorted(
        (r for r in last.values() if r.status == "failed" and r.error),
        key=lambda r: -r.started_at,
    )
    errors = [(r.job.split(":", 1)[-1], _without_who(r.job, r.error or "")) for r in runs]
    errors += [
        (t.label, _without_who(t.label, t.last_error or "")) for t, _ in store.track_errors(limit)
    ]
    return tuple(errors[:limit])


def alerts(last: dict[str, RunRecord]) -> tuple[str, ...]:
    """A failed weekly integrity check: the database is corrupt and needs the user now."""
    run = last.get("integrity")
    if run is None or run.status != "failed":
        return ()
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started_at))
    return (f"DATABASE CORRUPT (integrity check of {when}): {run.error}",)
