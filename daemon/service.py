"""The daemon: scheduled jobs, graceful lifecycle, systemd integration.

``tastebud run`` schedules the jobs with APScheduler 3 and keeps the main thread
for signals, config reloads and the systemd watchdog. ``tastebud once`` runs one
cycle of the same jobs in order and exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from daemon.config import Config, load_config
from daemon.jobs import Jobs
from daemon.lock import StateLock
from daemon.sdnotify import Notifier
from store import Store, TastebudError

__all__ = ["Daemon", "cmd_once", "cmd_run", "run_once"]

logger = logging.getLogger(__name__)

STALL_LIMIT_S = 900.0
JobFn = Callable[[], dict[str, int]]


@dataclass
class _Activity:
    """Which jobs run now, and when each last made progress (for the watchdog)."""

    running: dict[str, float] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def begin(self, name: str) -> None:
        with self.cond:
            self.running[name] = time.monotonic()

    def touch(self, name: str) -> None:
        with self.cond:
            if name in self.running:
                self.running[name] = time.monotonic()

    def end(self, name: str) -> None:
        with self.cond:
            self.running.pop(name, None)
            self.cond.notify_all()

    def stalled(self, limit: float) -> list[str]:
        now = time.monotonic()
        with self.cond:
            return [n for n, at in self.running.items() if now - at > limit]

    def wait_idle(self, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: not self.running, timeout)


def run_recorded(store: Store, name: str, fn: JobFn) -> bool:
    """Run a job, record it in the runs table, log a failure; True when it succeeded.

    A database that cannot record the run (full disk, say) is logged, not raised:
    the next run tries again.
    """
    try:
        run_id = store.start_run(name)
    except TastebudError as exc:
        logger.error("job %s not started: %s", name, exc)
        return False
    try:
        counts = fn()
    except TastebudError as exc:
        logger.error("job %s failed: %s", name, exc)
        _finish(store, run_id, name, "failed", {}, str(exc))
        return False
    except Exception as exc:
        logger.exception("job %s crashed", name)
        _finish(store, run_id, name, "failed", {}, f"{type(exc).__name__}: {exc}")
        return False
    logger.info("job %s done: %s", name, counts or "nothing to do")
    return _finish(store, run_id, name, "ok", counts, None)


def _finish(
    store: Store, run_id: int, name: str, status: str, counts: dict[str, int], error: str | None
) -> bool:
    try:
        store.finish_run(run_id, status, counts, error)
    except TastebudError as exc:
        logger.error("job %s: cannot record its run: %s", name, exc)
        return False
    return True


class Daemon:
    """The long-running process behind ``tastebud run``."""

    def __init__(self, config: Config, *, notifier: Notifier | None = None) -> None:
        self.config = config
        self.notifier = notifier or Notifier()
        self.stop = threading.Event()
        self.reload_requested = threading.Event()
        self.activity = _Activity()
        self.lock = StateLock(config.state_dir)
        self.store: Store | None = None
        self.jobs: Jobs | None = None
        self.scheduler: BackgroundScheduler | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def serve(self) -> int:
        """Start, run until SIGTERM/SIGINT, stop gracefully; returns the exit code."""
        self.lock.acquire()
        try:
            self._start()
            self._loop()
        finally:
            self._shutdown()
        return 0

    def _start(self) -> None:
        self.store = Store.open(self.config.db_path)
        self.jobs = Jobs(self.config, self.store, self.stop, touch=self._touch_current)
        self.jobs.recover()
        self._install_signals()
        self.scheduler = self._make_scheduler()
        self._schedule_all()
        # READY=1 first: once started, a job's STATUS= line could reach systemd before it
        self.notifier.ready(f"running; state in {self.config.state_dir}")
        self.scheduler.start()
        logger.info(
            "tastebud daemon started (pid %d), state in %s", os.getpid(), self.config.state_dir
        )

    def _loop(self) -> None:
        tick = min(1.0, self.notifier.watchdog_interval or 1.0)
        while not self.stop.wait(tick):
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self._reload()
            self._heartbeat()

    def _heartbeat(self) -> None:
        stalled = self.activity.stalled(STALL_LIMIT_S)
        if stalled:
            logger.warning(
                "jobs without progress for %.0f s: %s", STALL_LIMIT_S, ", ".join(stalled)
            )
            return  # no WATCHDOG=1: systemd restarts a stuck daemon
        self.notifier.watchdog()

    def _shutdown(self) -> None:
        self.stop.set()
        self.notifier.stopping()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        bound = self.config.schedule.shutdown_timeout_s
        if not self.activity.wait_idle(bound):
            logger.warning(
                "jobs still running after %.0f s, leaving them: %s",
                bound,
                ", ".join(self.activity.running),
            )
            self._close()
            os._exit(0)  # an unfinished item is recovered at the next start
        self._close()
        logger.info("tastebud daemon stopped")

    def _close(self) -> None:
        if self.store is not None:
            self.store.close()
        self.lock.release()
        self.notifier.close()

    # -- signals and reload ------------------------------------------------------------------

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        logger.info("received %s: stopping", signal.Signals(signum).name)
        self.stop.set()

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self.reload_requested.set()

    def _reload(self) -> None:
        self.notifier.reloading()
        try:
            config = load_config(self.config.path)
        except TastebudError as exc:
            logger.error("reload failed, keeping the old config: %s", exc)
            self.notifier.status("running (reload failed, old config kept)")
            return
        self.config = config
        if self.jobs is not None:
            self.jobs.config = config
        logging.getLogger().setLevel(config.daemon.log_level.upper())
        self._schedule_all(first_delay=None)
        logger.info("configuration reloaded from %s", config.path)
        self.notifier.send("READY=1", "STATUS=running (config reloaded)")

    # -- scheduling --------------------------------------------------------------------------

    def _make_scheduler(self) -> BackgroundScheduler:
        defaults = {
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": self.config.schedule.misfire_grace_s,
        }
        return BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(3)}, job_defaults=defaults, timezone="UTC"
        )

    def _intervals(self) -> dict[str, tuple[float, float]]:
        """job -> (interval seconds, first-run delay seconds)."""
        s = self.config.schedule
        return {
            "poll-history": (s.history_minutes * 60, 0.0),
            "poll-feeds": (s.feeds_minutes * 60, 1.0),
            "fetch": (s.fetch_minutes * 60, 3.0),
            "train": (s.train_minutes * 60, 6.0),
            "playlists": (s.playlists_minutes * 60, 9.0),
            "maintenance": (s.maintenance_hours * 3600, 60.0),
        }

    def _schedule_all(self, first_delay: float | None = 0.0) -> None:
        assert self.scheduler is not None
        for name, (interval, delay) in self._intervals().items():
            kwargs: dict[str, object] = {}
            if first_delay is not None:
                kwargs["next_run_time"] = _utc_in(delay + first_delay)
            self.scheduler.add_job(
                self._run_job,
                "interval",
                args=[name],
                id=name,
                name=name,
                seconds=max(interval, 1.0),
                replace_existing=True,
                **kwargs,
            )

    def _run_job(self, name: str) -> None:
        if self.stop.is_set() or self.jobs is None or self.store is None:
            return
        self.activity.begin(name)
        self.notifier.status(f"running {name}")
        try:
            run_recorded(self.store, name, self.jobs.by_name(name))
        finally:
            self.activity.end(name)
            self.notifier.status(
                "idle"
                if not self.activity.running
                else "running " + ", ".join(self.activity.running)
            )

    def _touch_current(self) -> None:
        for name in list(self.activity.running):
            self.activity.touch(name)


def _utc_in(seconds: float) -> object:
    import datetime as dt

    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def run_once(config: Config, *, fetch_limit: int | None = None) -> bool:
    """One full cycle in order: poll, fetch all, train, score, export. True if all succeeded."""
    stop = threading.Event()
    with StateLock(config.state_dir), Store.open(config.db_path) as store:
        jobs = Jobs(config, store, stop)
        jobs.recover()
        steps: list[tuple[str, JobFn]] = [
            ("poll-history", jobs.poll_history),
            ("poll-feeds", jobs.poll_feeds),
            ("fetch", lambda: jobs.fetch(limit=fetch_limit)),
            ("train", lambda: jobs.train(force=True)),
            ("playlists", jobs.playlists),
        ]
        results = [run_recorded(store, name, fn) for name, fn in steps]
    return all(results)


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    """``tastebud run``."""
    return Daemon(config).serve()


def cmd_once(config: Config, args: argparse.Namespace) -> int:
    """``tastebud once``: exit 1 if a step failed (each failure is logged)."""
    ok = run_once(config, fetch_limit=None)
    return 0 if ok else 1
