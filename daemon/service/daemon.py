"""The daemon behind ``tastebud run``: scheduled jobs, graceful lifecycle, systemd integration.

It schedules the job table's jobs with APScheduler 3 and keeps the main thread
for signals, config reloads and the systemd watchdog. ``SIGHUP`` reloads the config;
``SIGUSR1`` (sent by ``tastebud retry``) runs the polls and the fetch job now.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING, Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from daemon.config import Config, load_config
from daemon.redact import config_secrets, remember_secrets
from daemon.service.jobs import Jobs
from daemon.service.lock import StateLock
from daemon.service.once import run_recorded
from daemon.service.sdnotify import Notifier
from daemon.service.table import JOBS, job
from daemon.sources import config_schemas
from daemon.supervise import ClockWatch
from store import Store, TastebudError

if TYPE_CHECKING:
    from daemon.listening import MpdWatcher

__all__ = ["STALL_LIMIT_S", "Companion", "CompanionFactory", "Daemon"]

logger = logging.getLogger(__name__)

STALL_LIMIT_S = 900.0
WAKE_JOBS = ("poll-history", "poll-feeds", "fetch")  # what SIGUSR1 (tastebud retry) runs now


class Companion(Protocol):
    """A server that runs beside the jobs (the web page): bound when made, started once the
    daemon is up, told of a reloaded config, stopped on shutdown."""

    def start(self) -> None:
        """Start serving."""

    def update(self, config: Config) -> None:
        """Serve with a reloaded config from now on."""

    def stop(self) -> None:
        """Stop serving."""


CompanionFactory = Callable[[Config, Callable[[Sequence[str]], None]], Companion]
"""Makes the ``[web]`` companion from the config and a trigger that runs jobs now."""


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


class Daemon:
    """The long-running process behind ``tastebud run``."""

    def __init__(
        self,
        config: Config,
        *,
        notifier: Notifier | None = None,
        web: CompanionFactory | None = None,
    ) -> None:
        self.config = config
        self._make_web = web
        self.notifier = notifier or Notifier()
        self.stop = threading.Event()
        self.reload_requested = threading.Event()
        self.wake_requested = threading.Event()
        self.stopped_by: int | None = None  # the signal that stopped it
        self.activity = _Activity()
        self.lock = StateLock(config.state_dir)
        self.store: Store | None = None
        self.jobs: Jobs | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.watcher: MpdWatcher | None = None
        self.web: Companion | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def serve(self) -> int:
        """Start, run until SIGTERM/SIGINT, stop gracefully; returns the exit code: 0 after
        SIGTERM (a service manager's stop), 130 after SIGINT (Ctrl-C), as the shell says."""
        self.lock.acquire()
        try:
            self._start()
            self._loop()
        finally:
            self._shutdown()
        return self._exit_code()

    def _exit_code(self) -> int:
        return 128 + signal.SIGINT if self.stopped_by == signal.SIGINT else 0

    def _start(self) -> None:
        self._bind_web()
        self.store = Store.open(self.config.db_path)
        self.jobs = Jobs(self.config, self.store, self.stop, touch=self._touch_current)
        self.jobs.recover()
        self._install_signals()
        self.scheduler = self._make_scheduler()
        self._schedule_all()
        # READY=1 first: once started, a job's STATUS= line could reach systemd before it
        self.notifier.ready(f"running; state in {self.config.state_dir}")
        self.scheduler.start()
        self._start_watcher()
        if self.web is not None:
            self.web.start()
        logger.info(
            "tastebud daemon started (pid %d), state in %s", os.getpid(), self.config.state_dir
        )

    def _start_watcher(self) -> None:
        """Watch MPD for plays and skips while the daemon runs (when ``[mpd] host`` is set)."""
        if self.config.mpd.host and self.store is not None:
            from daemon.listening import MpdWatcher

            self.watcher = MpdWatcher(self.config, self.store)
            self.watcher.start()

    def _bind_web(self) -> None:
        """With ``[web] enabled``, the web page's socket, bound (or refused) before anything."""
        if self.config.web.enabled and self._make_web is not None:
            self.web = self._make_web(self.config, self.run_soon)

    def run_soon(self, names: Sequence[str]) -> None:
        """Run these scheduled jobs now (the web page's retry), each at most once at a time."""
        if self.scheduler is None or self.stop.is_set():
            return
        for name in names:
            self.scheduler.modify_job(name, next_run_time=_utc_in(0.0))

    def _follow_mpd(self, changed: bool) -> None:
        """After a reload: a changed ``[mpd]`` stops the watcher and starts the new one (none
        without a host); otherwise the watcher reads the new config."""
        if not changed:
            if self.watcher is not None:
                self.watcher.config = self.config
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
            logger.info("stopped watching MPD: [mpd] changed")
        self._start_watcher()

    def _loop(self) -> None:
        tick = min(1.0, self.notifier.watchdog_interval or 1.0)
        clock = ClockWatch()
        while not self.stop.wait(tick):  # Event.wait times out by the monotonic clock
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self._reload()
            if (step := clock.stepped()) is not None:
                # the scheduler plans by the wall clock: stepped back a day, nothing would run
                logger.warning("the clock stepped by %+.0f s: rescheduling every job", step)
                self._schedule_all()
            if self.wake_requested.is_set():
                self.wake_requested.clear()
                self._wake()
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
        if self.watcher is not None:
            self.watcher.stop()
        if self.web is not None:
            self.web.stop()
        bound = self.config.schedule.shutdown_timeout_s
        if not self.activity.wait_idle(bound):
            logger.warning(
                "jobs still running after %.0f s, leaving them: %s",
                bound,
                ", ".join(self.activity.running),
            )
            self._close(wait=False)
            os._exit(self._exit_code())  # an unfinished item is recovered at the next start
        self._close()
        logger.info("tastebud daemon stopped")

    def _close(self, wait: bool = True) -> None:
        if self.jobs is not None:
            self.jobs.close(wait)
        if self.store is not None:
            self.store.close()
        self.lock.release()
        self.notifier.close()

    # -- signals and reload ------------------------------------------------------------------

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)
        signal.signal(signal.SIGUSR1, self._on_usr1)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        logger.info("received %s: stopping", signal.Signals(signum).name)
        self.stopped_by = signum
        self.stop.set()

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self.reload_requested.set()

    def _on_usr1(self, signum: int, frame: FrameType | None) -> None:
        self.wake_requested.set()

    def _wake(self) -> None:
        """``tastebud retry`` ended the waits: poll and fetch now, not at the next runs."""
        assert self.scheduler is not None
        for name in WAKE_JOBS:
            self.scheduler.modify_job(name, next_run_time=_utc_in(0.0))
        logger.info("woken by tastebud retry: %s run now", ", ".join(WAKE_JOBS))

    def _reload(self) -> None:
        self.notifier.reloading()
        try:
            config = load_config(self.config.path, sources=config_schemas())
        except TastebudError as exc:
            logger.error("reload failed, keeping the old config: %s", exc)
            # READY=1 again, or systemd waits for the reload to end and then kills it
            self.notifier.send("READY=1", "STATUS=running (reload failed, old config kept)")
            return
        except Exception:  # a bug in loading must not stop the daemon either
            logger.exception("reload failed unexpectedly, keeping the old config")
            self.notifier.send("READY=1", "STATUS=running (reload failed, old config kept)")
            return
        old, self.config = self.config, config
        if self.jobs is not None:
            self.jobs.config = config
        if self.web is not None:
            self.web.update(config)
        self._follow_mpd(old.mpd != config.mpd)
        logging.getLogger().setLevel(config.daemon.log_level.upper())
        remember_secrets(config_secrets(config))
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

    def _schedule_all(self, first_delay: float | None = 0.0) -> None:
        assert self.scheduler is not None
        for spec in JOBS:
            kwargs: dict[str, object] = {}
            if first_delay is not None:
                kwargs["next_run_time"] = _utc_in(spec.first_delay_s + first_delay)
            self.scheduler.add_job(
                self._run_job,
                "interval",
                args=[spec.name],
                id=spec.name,
                name=spec.name,
                seconds=max(spec.interval_s(self.config.schedule), 1.0),
                replace_existing=True,
                **kwargs,
            )

    def _run_job(self, name: str) -> None:
        if self.stop.is_set() or self.jobs is None or self.store is None:
            return
        self.activity.begin(name)
        self.notifier.status(f"running {name}")
        try:
            run_recorded(self.store, name, partial(job(name).run, self.jobs))
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


def _utc_in(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
