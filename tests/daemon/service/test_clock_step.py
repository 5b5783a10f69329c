"""The wall clock steps back a day (NTP, a manual ``date``) while ``tastebud run`` runs: the
real daemon loop notices it against the monotonic clock, reschedules, and its jobs go on.

In-process: the wall clock that the daemon, the store and APScheduler read (``time.time``
and ``datetime.now``) is stepped; the monotonic clock, which times every wait, runs on.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.service.daemon import Daemon
from daemon.service.sdnotify import Notifier
from store import Store
from tests.populate import write_config

DAY_S = 86_400.0
# every module that reads the wall clock through ``datetime.now`` while the daemon schedules
_SCHEDULING_MODULES = (
    "apscheduler.schedulers.base",
    "apscheduler.triggers.interval",
    "apscheduler.executors.base",
    "daemon.service.daemon",
)
_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1)


class SteppedWall:
    """The real wall clock plus ``offset`` seconds, as ``time.time`` and ``datetime.now``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        real_time = time.time
        self.time: Callable[[], float] = lambda: real_time() + self.offset
        wall = self

        class SteppedDatetime(dt.datetime):
            @classmethod
            def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:
                return dt.datetime.fromtimestamp(wall.time(), tz)

        monkeypatch.setattr(time, "time", self.time)
        for module in _SCHEDULING_MODULES:
            monkeypatch.setattr(f"{module}.datetime", SteppedDatetime)


@pytest.fixture
def signals_kept() -> Iterator[None]:
    """The daemon installs its signal handlers in this process: give pytest's back."""
    kept = {signum: signal.getsignal(signum) for signum in _SIGNALS}
    yield
    for signum, handler in kept.items():
        signal.signal(signum, handler)


def _history_runs(db: Path, *, started_before: float = float("inf")) -> int:
    """poll-history's finished runs, those started before ``started_before`` (wall clock)."""
    with Store.open(db, readonly=True) as store:
        runs = store.runs("poll-history")
    return sum(run.status == "ok" and run.started_at < started_before for run in runs)


def _wait_for(check: Callable[[], bool], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _step_back_then_stop(daemon: Daemon, wall: SteppedWall, after: list[int]) -> None:
    """After a first run: step the wall clock back a day, count the runs started since, stop."""
    db = daemon.config.db_path
    try:
        if _wait_for(lambda: daemon.jobs is not None and _history_runs(db) >= 1, 10):
            wall.offset = -DAY_S

            def since_step() -> int:  # started since the step: a day before the first run
                return _history_runs(db, started_before=wall.time() + DAY_S / 2)

            _wait_for(lambda: since_step() >= 1, 15)  # room for a loaded machine
            after.append(since_step())
    finally:
        daemon.stopped_by = signal.SIGTERM
        daemon.stop.set()


@pytest.mark.usefixtures("signals_kept")
def test_jobs_go_on_running_after_the_wall_clock_steps_back_a_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # poll-history every second (the scheduler's shortest interval), the rest not in the test
    config, _ = write_config(
        tmp_path,
        "[schedule]\nhistory_minutes = 0.01\nfeeds_minutes = 600\nfetch_minutes = 600\n"
        "train_minutes = 600\nplaylists_minutes = 600\n",
    )
    wall = SteppedWall(monkeypatch)
    # a watchdog every 0.2 s: the daemon's loop looks at the clocks that often
    daemon = Daemon(config, notifier=Notifier({"WATCHDOG_USEC": "400000"}))
    after: list[int] = []
    stepper = threading.Thread(target=_step_back_then_stop, args=(daemon, wall, after))
    stepper.start()
    try:
        assert daemon.serve() == 0
    finally:
        daemon.stop.set()
        stepper.join(20)
    assert after, "poll-history never ran before the step"
    assert after[0] >= 1, "no job ran after the wall clock stepped back a day"
    assert "the clock stepped by -86400 s: rescheduling every job" in caplog.text
