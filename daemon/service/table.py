"""The job table: each daemon job declared once.

``tastebud run`` schedules every job at its ``[schedule]`` interval,
``tastebud once`` runs those with a ``once`` call in table order, and the
dashboard lists them all under their label with their next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from daemon.config import ScheduleConfig
from daemon.service.jobs import Counts, Jobs

__all__ = ["JOBS", "JobSpec", "job", "once_steps"]

MINUTE = 60.0
HOUR = 3600.0


@dataclass(frozen=True)
class JobSpec:
    """One job: what runs, how often, when first, its place in ``once``, its label."""

    name: str
    run: Callable[[Jobs], Counts]  # the scheduled call
    interval: str  # the [schedule] field holding its interval
    unit_s: float  # seconds per unit of that field
    first_delay_s: float  # seconds after start before its first scheduled run
    once: Callable[[Jobs, int | None], Counts] | None  # its call in `once`, None: not run there
    label: str  # what the dashboard shows

    def interval_s(self, schedule: ScheduleConfig) -> float:
        """Seconds between two scheduled runs."""
        return float(getattr(schedule, self.interval)) * self.unit_s


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        "poll-history",
        Jobs.poll_history,
        "history_minutes",
        MINUTE,
        0.0,
        lambda jobs, _: jobs.poll_history(),
        "poll-history",
    ),
    JobSpec(
        "poll-feeds",
        Jobs.poll_feeds,
        "feeds_minutes",
        MINUTE,
        1.0,
        lambda jobs, _: jobs.poll_feeds(),
        "poll-feeds",
    ),
    JobSpec(
        "fetch",
        Jobs.fetch,
        "fetch_minutes",
        MINUTE,
        3.0,
        lambda jobs, limit: jobs.fetch(limit=limit),
        "fetch",
    ),
    JobSpec(
        "train",
        Jobs.train,
        "train_minutes",
        MINUTE,
        6.0,
        lambda jobs, _: jobs.train(force=True),
        "train",
    ),
    JobSpec(
        "playlists",
        Jobs.playlists,
        "playlists_minutes",
        MINUTE,
        9.0,
        lambda jobs, _: jobs.playlists(),
        "playlists",
    ),
    JobSpec(
        "library",
        Jobs.library,
        "playlists_minutes",
        MINUTE,
        12.0,
        lambda jobs, _: jobs.library(),
        "library",
    ),
    JobSpec("maintenance", Jobs.maintenance, "maintenance_hours", HOUR, 60.0, None, "maintenance"),
)
_BY_NAME = {spec.name: spec for spec in JOBS}


def job(name: str) -> JobSpec:
    """The job called ``name``."""
    return _BY_NAME[name]


def once_steps(jobs: Jobs, fetch_limit: int | None) -> list[tuple[str, Callable[[], Counts]]]:
    """``tastebud once``'s steps in order: (name, call)."""
    return [
        (spec.name, _bind(spec.once, jobs, fetch_limit)) for spec in JOBS if spec.once is not None
    ]


def _bind(
    call: Callable[[Jobs, int | None], Counts], jobs: Jobs, limit: int | None
) -> Callable[[], Counts]:
    return lambda: call(jobs, limit)
