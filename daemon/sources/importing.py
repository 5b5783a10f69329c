"""Importing a Takeout or ListenBrainz export once (``tastebud import FILE``).

What is imported is told from its content: a Google Takeout zip or folder (its
``watch-history.json``), the file itself, a ListenBrainz export zip (its listens and
the loves and hates of its ``feedback.jsonl``), or a JSON / JSON Lines file of listens.
``--type`` decides a plain file the content does not tell; a ``--type`` that
contradicts the content is refused in one line naming the type that fits.

Shows a progress bar on stderr and prints a summary: imported, duplicates, and
skipped entries by reason. Listens are stored under the source name of the
file type (``takeout`` or ``listenbrainz-export``), the same name an unnamed
``[[history]]`` table of that type uses, so importing twice stores nothing new.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from daemon.net import MalformedPayloadError
from daemon.sources._files import ImportSummary, Parsed, ingest_stream
from daemon.sources._parse import as_dict
from daemon.sources._stream import archive_budget, budgeted
from daemon.sources.lb_export import (
    is_export_member,
    iter_export,
    iter_feedback,
    parse_export_item,
)
from daemon.sources.listenbrainz import feedback_ref
from daemon.sources.takeout import load_takeout, parse_entry
from store import FeedbackKind, Store

__all__ = [
    "IMPORT_TYPES",
    "detect_type",
    "format_summary",
    "import_file",
    "located",
    "sniff_type",
]

logger = logging.getLogger(__name__)

IMPORT_TYPES = ("takeout", "listenbrainz-export")
_SNIFF_BYTES = 65536
TAKEOUT_FILE = "watch-history.json"
_SCORES: dict[object, FeedbackKind] = {1: "like", -1: "dislike"}
_LOOKED_FOR = (
    "looked for a Google Takeout zip or folder holding YouTube and YouTube Music/history/"
    f"{TAKEOUT_FILE}, that file itself, a ListenBrainz export zip (listens/YYYY/MM.jsonl, "
    "feedback.jsonl), or a JSON / JSON Lines file of listens (listened_at, track_metadata)"
)


_NAMES = {"takeout": "Google Takeout", "listenbrainz-export": "ListenBrainz export"}


def _unknown(path: Path, hint: str = "") -> MalformedPayloadError:
    """Nothing known found; ``--type`` helps only a plain file, whose content it names."""
    fix = (
        "pass --type takeout|listenbrainz-export"
        if path.is_file() and not zipfile.is_zipfile(path)
        else "check that this is the export you downloaded"
    )
    return MalformedPayloadError(f"{path}: cannot tell what this is: {_LOOKED_FOR}{hint}; {fix}")


def _agree(path: Path, kind: str | None, found: str, evidence: str) -> str:
    """``found``, unless ``--type`` says otherwise: then one line naming both."""
    if kind is not None and kind != found:
        raise MalformedPayloadError(
            f"{path}: --type {kind} does not fit: this is a {_NAMES[found]} ({evidence}): "
            f"pass --type {found}, or leave --type out"
        )
    return found


def sniff_type(path: Path) -> str | None:
    """``takeout`` or ``listenbrainz-export`` as a file's first entries say, else None."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if '"titleUrl"' in head or '"header"' in head:
        return "takeout"
    if '"listened_at"' in head or '"track_metadata"' in head:
        return "listenbrainz-export"
    return None


def detect_type(path: Path) -> str:
    """``takeout`` or ``listenbrainz-export``, told from a file's content."""
    if (found := sniff_type(path)) is None:
        raise _unknown(path)
    return found


def _takeout_member(names: list[str]) -> str | None:
    found = [n for n in names if n == TAKEOUT_FILE or n.endswith("/" + TAKEOUT_FILE)]
    return min(found, key=len) if found else None


def _html_hint(names: list[str]) -> str:
    if any(n.endswith("watch-history.html") for n in names):
        return " (this Takeout holds watch-history.html: export it again choosing JSON)"
    return ""


@contextmanager
def located(path: Path, kind: str | None = None) -> Iterator[tuple[str, Path]]:
    """(type, file to read) for what was passed: a file, a zip, or a Takeout folder; a
    Takeout zip's ``watch-history.json`` is read from a temporary copy. ``kind``
    (``--type``) decides a plain file whose content does not tell; one that contradicts
    what the content is is an error."""
    if path.is_dir():
        names = [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()]
        if (member := _takeout_member(names)) is None:
            raise _unknown(path, _html_hint(names))
        yield _agree(path, kind, "takeout", f"it holds {member}"), path / member
        return
    if not zipfile.is_zipfile(path):
        found = sniff_type(path)
        if found is not None:
            _agree(path, kind, found, "its first entries say so")
        elif kind is None:
            raise _unknown(path)
        yield kind or str(found), path
        return
    with _zip_member(path, kind) as located_member:
        yield located_member


@contextmanager
def _zip_member(path: Path, kind: str | None) -> Iterator[tuple[str, Path]]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        member = _takeout_member(names)
        export = any(is_export_member(n) for n in names)
        if member is None and not export:
            raise _unknown(path, _html_hint(names))
        if member is not None and (kind == "takeout" or not export):
            _agree(path, kind, "takeout", f"it holds {member}")
            with tempfile.TemporaryDirectory(prefix="tastebud-import-") as tmp:
                yield "takeout", _extract(archive, member, path, Path(tmp))
            return
        _agree(path, kind, "listenbrainz-export", "it holds listens/YYYY/MM.jsonl")
    yield "listenbrainz-export", path


def _extract(archive: zipfile.ZipFile, member: str, path: Path, tmp: Path) -> Path:
    """``member`` copied into ``tmp`` within the archive's expansion budget; a full disk
    is one line."""
    target = tmp / "watch-history.json"
    try:
        with archive.open(member) as f, target.open("wb") as out:
            shutil.copyfileobj(budgeted(f, archive_budget(path), f"{path}:{member}"), out)
    except OSError as exc:
        raise MalformedPayloadError(
            f"{path}: cannot unpack {member} into {tmp.parent}: {exc.strerror}: free space "
            "there or unzip the file yourself and import watch-history.json"
        ) from None
    return target


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
        if kind == "listenbrainz-export":
            summary.feedback = _import_feedback(store, path, kind, summary)
        outcome.counts = summary.counts()
    return summary


def _import_feedback(store: Store, path: Path, kind: str, summary: ImportSummary) -> int:
    """An export's loves (score 1: like) and hates (-1: dislike); returns how many are new."""
    events = []
    for item in iter_feedback(path):
        feedback = _SCORES.get(as_dict(item).get("score"))
        if feedback is None:
            summary.skipped["feedback neither love nor hate"] += 1
            continue
        try:
            ref, created = feedback_ref(item, kind)
        except MalformedPayloadError as exc:
            summary.skipped[f"malformed: {exc}"] += 1
            continue
        events.append((feedback, "listenbrainz", ref, None, created))
    return store.add_feedback_many(events).inserted


def format_summary(summary: ImportSummary, path: Path, kind: str) -> str:
    """The lines ``tastebud import`` prints."""
    skipped = sum(summary.skipped.values())
    lines = [
        f"{path.name} ({kind}): imported {summary.imported} listens, "
        f"{summary.duplicates} duplicates, {skipped} skipped"
        + (f", {summary.feedback} loves and hates" if summary.feedback else "")
    ]
    lines += [f"  skipped {n}: {reason}" for reason, n in summary.skipped.most_common()]
    return "\n".join(lines)
