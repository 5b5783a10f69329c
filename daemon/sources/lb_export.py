"""ListenBrainz exports: a JSON array, JSON Lines, or the export zip (``listens/YYYY/MM.jsonl``).

Each listen object is shaped as the API returns it (``recording_msid`` may sit
inside ``track_metadata``); the demo and the benchmarks use this source.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from daemon.net import MalformedPayloadError
from daemon.sources._files import FileHistory, FileHistoryConfig, Parsed
from daemon.sources._parse import log_malformed
from daemon.sources.listenbrainz import parse_listen
from daemon.sources.registry import register

__all__ = [
    "ExportConfig",
    "ExportHistory",
    "is_export_member",
    "iter_export",
    "iter_feedback",
    "parse_export_item",
]

logger = logging.getLogger(__name__)

_LISTENS_MEMBER = re.compile(r"(^|/)listens(/.*)?\.jsonl?$")
_FEEDBACK_MEMBER = re.compile(r"(^|/)feedback\.jsonl$")
_BAD_LINE = "malformed: invalid JSON line"


def iter_export(path: Path) -> Iterator[Any]:
    """Every listen object of an export file; a line that is not JSON yields ``None``."""
    if zipfile.is_zipfile(path):
        yield from _iter_zip(path)
        return
    with path.open("rb") as f:
        yield from _iter_stream(f, str(path))


def is_export_member(name: str) -> bool:
    """Whether a zip member is part of a ListenBrainz export (its listens or feedback)."""
    return bool(_LISTENS_MEMBER.search(name) or _FEEDBACK_MEMBER.search(name))


def iter_feedback(path: Path) -> Iterator[Any]:
    """Every loved/hated item of an export zip's ``feedback.jsonl`` (none in other files)."""
    if not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as archive:
        for name in sorted(n for n in archive.namelist() if _FEEDBACK_MEMBER.search(n)):
            with archive.open(name) as f:
                yield from _iter_stream(f, f"{path}:{name}")


def _iter_zip(path: Path) -> Iterator[Any]:
    with zipfile.ZipFile(path) as archive:
        members = sorted(n for n in archive.namelist() if _LISTENS_MEMBER.search(n))
        if not members:
            raise MalformedPayloadError(
                f"{path}: zip holds no listens/YYYY/MM.jsonl files: is it a ListenBrainz export?"
            )
        for name in members:
            with archive.open(name) as f:
                yield from _iter_stream(f, f"{path}:{name}")


def _iter_stream(f: IO[bytes], name: str) -> Iterator[Any]:
    with io.TextIOWrapper(f, encoding="utf-8-sig") as text:
        first = text.read(1)
        while first and first.isspace():
            first = text.read(1)
        if first != "[":
            yield from _json_lines(_prepend(first, text))
            return
        try:
            data = json.loads(first + text.read())
        except json.JSONDecodeError as exc:
            raise MalformedPayloadError(f"{name}: not a valid JSON array ({exc})") from None
    yield from data


def _prepend(first: str, text: Iterable[str]) -> Iterator[str]:
    lines = iter(text)
    yield first + next(lines, "")
    yield from lines


def _json_lines(lines: Iterable[str]) -> Iterator[Any]:
    for line in lines:
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            yield None


def parse_export_item(item: Any, source: str) -> Parsed:
    """One export listen as a listen, or the reason it was skipped."""
    if item is None:
        return _BAD_LINE
    try:
        return parse_listen(item, source)
    except MalformedPayloadError as exc:
        return f"malformed: {exc}"


@dataclass(frozen=True)
class ExportConfig(FileHistoryConfig):
    """A ``[[history]] type = "listenbrainz-export"`` table."""

    type: str = "listenbrainz-export"


class ExportHistory(FileHistory[ExportConfig]):
    """A ``[[history]] type = "listenbrainz-export"`` source: re-read when the file changes."""

    def read(self) -> Iterator[Parsed]:
        """Every listen of the export, parsed or with its skip reason."""
        for item in iter_export(self.path):
            parsed = parse_export_item(item, self.key)
            if isinstance(parsed, str):
                log_malformed(self.what, parsed, item)
            yield parsed


register(ExportHistory, ExportConfig)
