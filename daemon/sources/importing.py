"""Importing a Takeout or ListenBrainz export file once (``tastebud import FILE``).

Shows a progress bar on stderr and prints a summary: imported, duplicates, and
skipped entries by reason. Listens are stored under the source name of the
file type (``takeout`` or ``listenbrainz-export``), the same name an unnamed
``[[history]]`` table of that type uses, so importing twice stores nothing new.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from daemon.sources._files import ImportSummary, Parsed, ingest_stream
from daemon.sources.lb_export import iter_export, parse_export_item
from daemon.sources.takeout import load_takeout, parse_entry
from store import MalformedPayloadError, Store

__all__ = ["IMPORT_TYPES", "detect_type", "format_summary", "import_file"]

logger = logging.getLogger(__name__)

IMPORT_TYPES = ("takeout", "listenbrainz-export")
_SNIFF_BYTES = 65536


def detect_type(path: Path) -> str:
    """``takeout`` or ``listenbrainz-export``, guessed from the file's content."""
    if zipfile.is_zipfile(path):
        return "listenbrainz-export"
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if '"titleUrl"' in head or '"header"' in head:
        return "takeout"
    if '"listened_at"' in head or '"track_metadata"' in head:
        return "listenbrainz-export"
    raise MalformedPayloadError(
        f"{path}: neither a Takeout watch-history.json nor a ListenBrainz export: "
        "pass --type takeout|listenbrainz-export"
    )


def _parsed(path: Path, kind: str, include_youtube: bool) -> tuple[Iterator[Parsed], int | None]:
    if kind == "takeout":
        entries = load_takeout(path)
        parsed = (parse_entry(e, kind, include_youtube=include_youtube) for e in entries)
        return parsed, len(entries)
    return (parse_export_item(item, kind) for item in iter_export(path)), None


def import_file(
    store: Store, path: Path, kind: str, *, include_youtube: bool = False, quiet: bool = False
) -> ImportSummary:
    """Import one file into ``store`` (progress bar on stderr unless ``quiet``)."""
    parsed, total = _parsed(path, kind, include_youtube)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    progress = Progress(
        *columns, TimeElapsedColumn(), console=Console(stderr=True), disable=quiet, transient=True
    )
    with store.recorded_run(f"import:{kind}") as outcome, progress:
        task = progress.add_task(f"importing {path.name}", total=total)
        summary = ingest_stream(store, parsed, kind, progress=lambda n: progress.advance(task, n))
        outcome.counts = summary.counts()
    return summary


def format_summary(summary: ImportSummary, path: Path, kind: str) -> str:
    """The lines ``tastebud import`` prints."""
    skipped = sum(summary.skipped.values())
    lines = [
        f"{path.name} ({kind}): imported {summary.imported} listens, "
        f"{summary.duplicates} duplicates, {skipped} skipped"
    ]
    lines += [f"  skipped {n}: {reason}" for reason, n in summary.skipped.most_common()]
    return "\n".join(lines)
