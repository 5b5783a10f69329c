"""Each source's poll within its own deadline, so one slow source never starves another.

A request through :mod:`daemon.net` is bounded by its byte limit and deadline, but a
source may make many, and yt-dlp's feed listing (:mod:`daemon.sources.url_feed`) reads
with its own client, which nothing can cut mid-read. So :func:`poll_within` runs the poll
in a daemon worker thread and waits for it at most ``[fetch] poll_deadline_s``; a poll
still running then is abandoned and fails with :class:`PollDeadlineError` (recorded,
backed off, retried like any failed poll).

An abandoned poll is not killed (Python cannot stop a thread blocked in a read); what it
may still do is fenced: it reaches the store only through a :class:`StoreGate`, closed
when the poll is abandoned, so its next store call raises instead of writing after its
run was recorded as failed. A write already under way finishes first (closing the gate
waits for it): each write is a whole batch, and a batch stored without its cursor is
fetched again and deduplicated on the next poll. The poll's HTTP client is closed when
the polling ends, which fails the abandoned poll's next request; a listing blocked in
yt-dlp ends with its socket timeout or with the process (the thread is a daemon).
"""

from __future__ import annotations

import threading
from typing import Any, cast

from daemon.net import SourceUnavailableError
from daemon.sources.base import PollContext, Source
from daemon.supervise import worker_outcome
from store import Store

__all__ = ["PollDeadlineError", "StoreGate", "poll_within"]


class PollDeadlineError(SourceUnavailableError):
    """A source's poll did not end within ``poll_deadline_s``."""


class StoreGate:
    """The store as a poll sees it: every call passes until :meth:`close`, which waits for
    a call under way and makes every later one raise :class:`PollDeadlineError`."""

    def __init__(self, store: Store, what: str) -> None:
        self._store = store
        self._what = what
        self._lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Let no further call through (after the one under way, if any)."""
        with self._lock:
            self._closed = True

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def gated(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                if self._closed:
                    raise PollDeadlineError(f"{self._what}: abandoned poll stopped")
                return target(*args, **kwargs)

        return gated


def poll_within(
    source: Source, store: Store, ctx: PollContext, deadline_s: float, what: str
) -> dict[str, int]:
    """``source.poll(store, ctx)`` in a worker thread, waited for ``deadline_s`` seconds."""
    gate = StoreGate(store, what)
    result: list[dict[str, int]] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(source.poll(cast(Store, gate), ctx))
        except BaseException as exc:  # handed to the waiting thread
            failure.append(exc)

    worker = threading.Thread(target=work, name=f"poll {what}", daemon=True)
    worker.start()
    worker.join(deadline_s)
    if worker.is_alive():
        gate.close()
        raise PollDeadlineError(
            f"{what}: poll not finished within poll_deadline_s {deadline_s:g} s "
            "(the server is too slow or sends too much): abandoned; will retry on a later poll"
        )
    counts: dict[str, int] = worker_outcome(result, failure)
    return counts
