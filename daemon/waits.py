"""The waits tastebud imposes after a failure, each said with until when and how to skip it.

Two things wait: a track whose fetch failed transiently waits for its retry (the store's
``next_retry_at``, growing with each attempt), and a source whose polls failed backs off
(:func:`backoff_until`, doubling per failure). ``tastebud retry`` lifts both
(:func:`lift_waits`): the tracks are due at once, and a source's failures before that
moment no longer count toward its back-off; ``tastebud once --now`` lifts them before its
cycle, and the web page's retry lifts one source's (:func:`retry_cursor`). Every place
that shows a wait (``once``'s summary, ``status``, ``doctor``, the dashboard, the log)
says it with :func:`wait_lines` or :func:`until`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from store import RetryWait, RunRecord, Store

__all__ = [
    "BACKOFF_BASE_S",
    "BACKOFF_MAX_S",
    "SKIP_HINT",
    "Waits",
    "backoff_until",
    "current_waits",
    "lift_waits",
    "retry_cursor",
    "short_lines",
    "until",
    "wait_lines",
]

BACKOFF_BASE_S = 300.0
BACKOFF_MAX_S = 6 * 3600.0
RETRY_CURSOR = "retry:lifted_at"  # when `tastebud retry` last lifted the waits
SKIP_HINT = "`tastebud retry` ends the wait (or `tastebud once --now`)"
_DAY = 86_400.0


@dataclass(frozen=True)
class Waits:
    """What waits now: tracks for their fetch retry, and sources backing off (job, until)."""

    fetch: RetryWait | None = None
    sources: tuple[tuple[str, float], ...] = ()

    def __bool__(self) -> bool:
        return self.fetch is not None or bool(self.sources)


def retry_cursor(job: str) -> str:
    """The cursor holding when a retry of one source's ``job`` alone was asked for."""
    return f"retry:{job}"


def _lifted_at(store: Store, job: str) -> float:
    """When the waits of ``job`` were last lifted, for all sources or for it alone."""
    values = (store.get_cursor(RETRY_CURSOR), store.get_cursor(retry_cursor(job)))
    return max((float(v) for v in values if v), default=0.0)


def backoff_until(
    store: Store, job: str, *, base_s: float = BACKOFF_BASE_S, max_s: float = BACKOFF_MAX_S
) -> float | None:
    """When a job that failed its last runs may run again (doubling per failure), else None.

    Failures from before the last ``tastebud retry`` (or a retry of this job alone) do
    not count."""
    lifted = _lifted_at(store, job)
    failures: list[RunRecord] = []
    for run in store.runs(job, limit=20):
        if run.status == "skipped":
            continue
        if run.status != "failed" or run.started_at < lifted:
            break
        failures.append(run)
    if not failures:
        return None
    delay = min(base_s * 2.0 ** (len(failures) - 1), max_s)
    last = failures[0]
    return (last.finished_at or last.started_at) + delay


def current_waits(store: Store, jobs: Sequence[str], now: float | None = None) -> Waits:
    """The tracks waiting for a retry and the sources backing off, as of ``now``, of the
    sources' ``jobs`` (:func:`daemon.sources.source_jobs`)."""
    now = now if now is not None else time.time()
    sources = [
        (job, at) for job in jobs if (at := backoff_until(store, job)) is not None and at > now
    ]
    return Waits(store.retry_wait(now), tuple(sorted(sources, key=lambda s: s[1])))


def lift_waits(store: Store, jobs: Sequence[str], now: float | None = None) -> Waits:
    """End every wait now (``tastebud retry``): fetches, sources, and re-analyses after a
    failed try; returns what was waiting."""
    now = now if now is not None else time.time()
    waiting = current_waits(store, jobs, now)
    store.release_retries(now)
    store.release_reanalyses(now)
    store.set_cursor(RETRY_CURSOR, repr(now))
    return waiting


def until(at: float, now: float) -> str:
    """``14:32 (in 15 min)``; another day's date and time when not today."""
    local, today = time.localtime(at), time.localtime(now)
    if local[:3] == today[:3]:
        clock = time.strftime("%H:%M", local)
    elif at - now < 6 * _DAY:
        clock = time.strftime("%a %H:%M", local)
    else:
        clock = time.strftime("%Y-%m-%d %H:%M", local)
    return f"{clock} (in {_span(at - now)})"


def _span(seconds: float) -> str:
    s = max(seconds, 0.0)
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 2 * _DAY:
        return f"{s / 3600:.1f} h"
    return f"{s / _DAY:.0f} days"


def _tracks(n: int) -> str:
    return f"{n} track waits" if n == 1 else f"{n} tracks wait"


def wait_lines(waits: Waits, now: float, *, why: bool = True, hint: bool = True) -> list[str]:
    """One line per wait, each with until when and (``hint``) how to skip it; ``why``: with
    the newest error behind the tracks' wait."""
    end = f": {SKIP_HINT}" if hint else ""
    lines = []
    if (fetch := waits.fetch) is not None:
        line = f"{_tracks(fetch.tracks)} to be fetched again until {until(fetch.last_at, now)}"
        if fetch.tracks > 1 and fetch.last_at - fetch.first_at >= 60:
            line += f", the first at {time.strftime('%H:%M', time.localtime(fetch.first_at))}"
        if why and fetch.error:
            line += f", after: {_clip(fetch.error, 160)}"
        lines.append(line + end)
    lines += [
        f"{job} backs off after failing, until {until(at, now)}{end}" for job, at in waits.sources
    ]
    return lines


def short_lines(waits: Waits, now: float) -> Sequence[str]:
    """The waits in a few words each, for the dashboard."""
    lines = []
    if (fetch := waits.fetch) is not None:
        lines.append(
            f"{_tracks(fetch.tracks)} to retry until {until(fetch.last_at, now)}: tastebud retry"
        )
    lines += [
        f"{job} backs off until {until(at, now)}: tastebud retry" for job, at in waits.sources
    ]
    return lines


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
