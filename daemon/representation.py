"""Which representation ranks the queue while a new one reaches the store by re-analysis.

Tracks are ranked on the features of one pretrained backbone (``[model] backbone``),
stored per track under its key. When the configured backbone changes, the tracks get its
features only as they are fetched again (:mod:`daemon.acquire.reanalysis`), so the
**active** backbone, the one training, rescoring and the queue's tags read, is:

- the configured one once its features cover at least :data:`COVERAGE` of the tracks that
  have features under any key (listened and liked tracks and candidates alike);
- until then, the backbone whose features cover the most tracks: the old one keeps ranking.

:func:`active_backbone` is the one place that decides it; :func:`reanalysis_progress` says
how far the re-analysis is, in the line ``tastebud status``, the dashboard and the web
page show; :func:`note_active` (the daemon's jobs) logs the switch once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from classifier import MODEL_NAMES, feature_key
from daemon.config import Config
from store import Coverage, Store

__all__ = [
    "ACTIVE_CURSOR",
    "COVERAGE",
    "Reanalysis",
    "active_backbone",
    "note_active",
    "reanalysis_progress",
]

logger = logging.getLogger(__name__)

COVERAGE = 0.95
ACTIVE_CURSOR = "representation:active"  # the backbone that ranked at the last job


def _active(coverage: Coverage, configured: str) -> str:
    """The backbone that ranks, given how many tracks each key covers."""
    if coverage.of(feature_key(configured)) >= COVERAGE * coverage.tracks:
        return configured
    order = [configured, *(name for name in MODEL_NAMES if name != configured)]
    return max(order, key=lambda name: coverage.of(feature_key(name)))  # ties: the first


def active_backbone(store: Store, config: Config) -> str:
    """The backbone whose features rank the queue now (see the module's rule)."""
    return _active(store.feature_coverage(), config.model.backbone)


@dataclass(frozen=True)
class Reanalysis:
    """How far the configured backbone's features have reached the tracks."""

    backbone: str  # the configured backbone, being analysed
    ranks: str  # the active one
    covered: int  # tracks with the configured backbone's features
    tracks: int  # tracks with features under any key
    pending: int  # ready tracks still to re-analyse
    waiting: int  # of them, those waiting after a failed try
    error: str | None  # the newest failure
    per_cycle: int  # ``[fetch] reanalyse_per_cycle``

    @property
    def percent(self) -> int:
        """The share covered, in whole percent, rounded down (95 means the switch is due)."""
        return 100 * self.covered // self.tracks if self.tracks else 0

    def line(self) -> str:
        """``re-analysis for MTT_musicnn: 1,234 of 10,000 tracks (12%); MSD_musicnn ranks
        until 95%``, and what holds it up."""
        line = (
            f"re-analysis for {self.backbone}: {self.covered:,} of {self.tracks:,} tracks "
            f"({self.percent}%); {self.ranks} ranks"
        )
        if self.ranks != self.backbone:
            line += f" until {COVERAGE:.0%}"
        if self.waiting:
            line += f"; {self.waiting:,} failed, tried again later"
        if not self.per_cycle:
            line += "; off ([fetch] reanalyse_per_cycle = 0)"
        return line

    def as_json(self) -> dict[str, Any]:
        """The numbers, and the line."""
        return {
            "backbone": self.backbone,
            "ranks": self.ranks,
            "covered": self.covered,
            "tracks": self.tracks,
            "pending": self.pending,
            "waiting": self.waiting,
            "error": self.error,
            "per_cycle": self.per_cycle,
            "line": self.line(),
        }


def reanalysis_progress(
    store: Store, config: Config, *, now: float | None = None
) -> Reanalysis | None:
    """How far the re-analysis under the configured backbone is; None when no track waits
    for it."""
    backbone = config.model.backbone
    wait = store.reanalysis_wait(feature_key(backbone), now=time.time() if now is None else now)
    if not wait.pending:
        return None
    coverage = store.feature_coverage()
    return Reanalysis(
        backbone,
        _active(coverage, backbone),
        coverage.of(feature_key(backbone)),
        coverage.tracks,
        wait.pending,
        wait.waiting,
        wait.error,
        config.fetch.reanalyse_per_cycle,
    )


def note_active(store: Store, active: str) -> bool:
    """Remember which backbone ranks; log one line when it is not the one that ranked at
    the last job (across restarts). True when it changed."""
    before = store.get_cursor(ACTIVE_CURSOR)
    if before == active:
        return False
    store.set_cursor(ACTIVE_CURSOR, active)
    if before is not None:
        covered = store.feature_coverage()
        logger.info(
            "the queue is ranked on %s features now, not %s: they cover %s of %s tracks",
            active,
            before,
            f"{covered.of(feature_key(active)):,}",
            f"{covered.tracks:,}",
        )
    return before is not None
