"""ListenBrainz exports: a JSON array, JSON Lines, or the export zip (``listens/YYYY/MM.jsonl``).

Each listen object is shaped as the API returns it (``recording_msid`` may sit
inside ``track_metadata``); the demo and the benchmarks use this source. Files are read
within bounds (:mod:`daemon.sources._stream`): an array item by item, a line at most
1 MB, a zip's members within a budget.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from daemon.net import MalformedPayloadError
from daemon.sources._files import FileHistory, FileHistoryConfig, Parsed
from daemon.sources._parse import log_malformed
from daemon.sources._stream import (
    BAD,
    Text,
    archive_budget,
    budgeted,
    iter_json_array,
    iter_json_lines,
)
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
    """Every listen object of an export file; a line that is not JSON, too long or too
    deep yields :data:`~daemon.sources._stream.BAD`."""
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
                member = budgeted(f, archive_budget(path), f"{path}:{name}")
                yield from _iter_stream(member, f"{path}:{name}")


def _iter_zip(path: Path) -> Iterator[Any]:
    with zipfile.ZipFile(path) as archive:
        members = sorted(n for n in archive.namelist() if _LISTENS_MEMBER.search(n))
        if not members:
            raise MalformedPayloadError(
                f"{path}: zip holds no listens/YYYY/MM.jsonl files: is it a ListenBrainz export?"
            )
        budget = archive_budget(path)  # shared by every member
        for name in members:
            with archive.open(name) as f:
                yield from _iter_stream(budgeted(f, budget, f"{path}:{name}"), f"{path}:{name}")


def _iter_stream(f: IO[bytes], name: str) -> Iterator[Any]:
    with io.TextIOWrapper(f, encoding="utf-8-sig", errors="replace") as text:
        first = text.read(1)
        while first and first.isspace():
            first = text.read(1)
        if first != "[":
            yield from _with_first(first, text, name)
            return
        yield from iter_json_array(_Prepended("[", text), name)


def _with_first(first: str, text: Text, name: str) -> Iterator[Any]:
    """The JSON lines of ``text``, whose first character was read already."""
    yield from iter_json_lines(_Prepended(first, text), name)


class _Prepended:
    """A text stream with ``head`` put back before it."""

    def __init__(self, head: str, text: Text) -> None:
        self._head = head
        self._text = text

    def read(self, size: int = -1, /) -> str:
        head, self._head = self._head, ""
        if size < 0:
            return head + self._text.read()
        return head + self._text.read(max(0, size - len(head)))

    def readline(self, size: int = -1, /) -> str:
        head, self._head = self._head, ""
        if head.endswith("\n"):
            return head
        if size < 0:
            return head + self._text.readline()
        return head + self._text.readline(max(0, size - len(head)))


def parse_export_item(item: Any, source: str) -> Parsed:
    """One export listen as a listen, or the reason it was skipped."""
    if item is None or item is BAD:
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
