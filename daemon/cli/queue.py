"""``tastebud queue [--limit N] [--json]``: the ranked queue with the handles feedback takes.

Each row shows the rank (``#N`` for ``tastebud feedback``), the track id, the
standing (among the candidates, 0-1: 1 the best), artist, title and why: the
listened tracks it is closest to and its most probable musicnn tags (only the tags
for a track not explained yet), numbered exactly as the dashboard numbers them.
``--json`` gives the tags as ``why`` and the whole reason as ``because``. On a
terminal each row fits its width (long names and the why are cut with "…"); into a
pipe or file they are printed whole. The database is opened read-only.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from typing import Any

from rich.cells import cell_len, set_cell_size

from daemon.config import Config
from daemon.feedback import current_queue
from daemon.playlists import load_tag_names, top_tags
from daemon.redact import json_text
from daemon.representation import active_backbone
from store import QueueEntry, Store

__all__ = ["cmd_queue", "queue_rows"]

_COLUMNS = ("#", "id", "standing", "artist", "title", "why")
_WHY_MIN = 24


def queue_rows(store: Store, config: Config, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` queue entries as plain records (what ``--json`` prints)."""
    queue = current_queue(store, config, limit)
    backbone = active_backbone(store, config)
    tags = top_tags(store, backbone, [e.track.id for e in queue], load_tag_names(backbone))
    now = time.time()
    return [_record(e, tags.get(e.track.id, ()), now) for e in queue]


def _record(entry: QueueEntry, why: tuple[str, ...], now: float) -> dict[str, Any]:
    track = entry.track
    return {
        "rank": entry.rank,
        "id": track.id,
        "standing": entry.score,
        "artist": track.artist,
        "title": track.title,
        "url": track.url,
        "feed": entry.feed,
        "why": list(why),
        "because": entry.because.as_json(now) if entry.because else None,
    }


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    standing = f"{row['standing']:.3f}" if row["standing"] is not None else "-"
    title = row["title"] or row["url"] or ""
    why = row["because"]["text"] if row["because"] else ", ".join(row["why"])
    return (f"#{row['rank']}", str(row["id"]), standing, row["artist"] or "", title, why)


def _table(rows: list[dict[str, Any]], width: int | None = None) -> list[str]:
    """The rows as aligned columns; with ``width`` (a terminal's), each line fits it: long
    artists and titles are cut, and why gets the rest of the line."""
    cells = [_COLUMNS, *(_cells(r) for r in rows)]
    widths = [max(cell_len(c[i]) for c in cells) for i in range(len(_COLUMNS) - 1)]
    if width is not None:
        widths = _fit(widths, width)
    right = {0, 1, 2}  # rank, id and standing align right
    lines = []
    for row in cells:
        padded = [
            _pad(_cut(c, w), w, i in right)
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        ]
        why = row[-1] if width is None else _cut(row[-1], width - sum(widths) - 2 * len(widths))
        lines.append("  ".join([*padded, why]).rstrip())
    return lines


def _fit(widths: list[int], width: int) -> list[int]:
    """Artist and title shrink (to 12 and 16 at least) until why has 24 cells or more."""
    fitted = list(widths)
    for i, least in ((3, 12), (4, 16)):
        spare = width - sum(fitted) - 2 * len(fitted) - _WHY_MIN
        if spare < 0:
            fitted[i] = max(least, fitted[i] + spare)
    return fitted


def _cut(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)).rstrip() + "…" if width > 0 else ""


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(width - cell_len(text), 0)
    return gap + text if right else text + gap


def cmd_queue(config: Config, args: argparse.Namespace) -> int:
    """Print the queue as a table, or as JSON with ``--json``."""
    rows: list[dict[str, Any]] = []
    if config.db_path.exists():
        with Store.open(config.db_path, readonly=True) as store:
            rows = queue_rows(store, config, args.limit)
    if args.json:
        print(json_text(rows, ensure_ascii=False, indent=1))
    elif rows:
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        print("\n".join(_table(rows, width)))
    else:
        print("queue: empty (`tastebud dashboard` or `tastebud doctor` says why)")
    return 0
