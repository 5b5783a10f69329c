"""``tastebud status``: the queue, model and pipeline in a few lines."""

from __future__ import annotations

import argparse
import time

from daemon.config import Config
from store import Store

__all__ = ["cmd_status", "status_lines"]


def _ago(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    minutes = (now - ts) / 60
    if minutes < 90:
        return f"{minutes:.0f} min ago"
    return f"{minutes / 60:.1f} h ago" if minutes < 48 * 60 else f"{minutes / 1440:.0f} days ago"


def _model_line(store: Store, now: float) -> str:
    champion = store.champion()
    if champion is None:
        return "model: untrained (ranking by feed order and similarity to your likes)"
    auc = champion.metrics.get("roc_auc")
    auc_text = f", validation ROC-AUC {auc:.3f}" if isinstance(auc, int | float) else ""
    return (
        f"model: version {champion.version}, trained {_ago(champion.created_at, now)}, "
        f"{champion.n_labels} labels{auc_text}"
    )


def status_lines(store: Store, config: Config, now: float | None = None) -> list[str]:
    """The lines ``tastebud status`` prints."""
    now = now or time.time()
    counts = store.state_counts()
    tracks = ", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "none"
    lines = [f"database: {store.path}", f"tracks: {tracks}", _model_line(store, now)]
    queue = store.queue(5, per_artist=config.queue.per_artist, window=config.queue.window)
    lines.append(f"queue: top {len(queue)}" if queue else "queue: empty")
    for entry in queue:
        score = f"{entry.score:.3f}" if entry.score is not None else "  -  "
        lines.append(f"  {entry.rank:>2}. {score}  {entry.track.label}")
    for run in store.runs(limit=5):
        error = f": {run.error}" if run.error else ""
        lines.append(f"run {run.job}: {run.status} {_ago(run.started_at, now)}{error}")
    return lines


def cmd_status(config: Config, args: argparse.Namespace) -> int:
    """Print the status; says how to start when there is no database yet."""
    if not config.db_path.exists():
        print(f"no database at {config.db_path} yet: run `tastebud once` or `tastebud run`")
        return 0
    with Store.open(config.db_path) as store:
        for line in status_lines(store, config):
            print(line)
    return 0
