"""File-based history (Takeout, ListenBrainz exports): chunked ingestion and change detection.

A file source is read again only when its size or modification time changed;
listens are stored in chunks (one transaction each) and are idempotent, so a
re-read stores only what is new.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import ClassVar, Generic, TypeVar

from daemon.config import HistoryConfig
from daemon.net import SourceUnavailableError
from daemon.sources.base import PollContext
from store import ListenIn, Store

__all__ = [
    "CHUNK",
    "FileHistory",
    "FileHistoryConfig",
    "ImportSummary",
    "file_stamp",
    "ingest_stream",
]

logger = logging.getLogger(__name__)

CHUNK = 1000
Parsed = ListenIn | str  # a listen, or the reason an entry was skipped


@dataclass
class ImportSummary:
    """What one read of a file stored: imported, duplicates, skipped by reason."""

    imported: int = 0
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    feedback: int = 0  # loves and hates stored (a ListenBrainz export zip's feedback.jsonl)

    def counts(self) -> dict[str, int]:
        """Flat counts for the runs table."""
        counts = {
            "listens": self.imported,
            "duplicates": self.duplicates,
            "skipped": sum(self.skipped.values()),
        }
        return counts | ({"feedback": self.feedback} if self.feedback else {})


def file_stamp(path: Path, what: str) -> str:
    """``size:mtime_ns`` of a file, or :class:`SourceUnavailableError` naming it."""
    try:
        st = path.stat()
    except OSError as exc:
        raise SourceUnavailableError(
            f"{what}: cannot read {path} ({exc.strerror}): fix path in config.toml"
        ) from None
    return f"{st.st_size}:{st.st_mtime_ns}"


def ingest_stream(
    store: Store,
    parsed: Iterable[Parsed],
    source: str,
    *,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Store listens in chunks of ``chunk`` (one transaction each); count the skipped."""
    summary = ImportSummary()
    items = iter(parsed)
    while batch := list(islice(items, chunk)):
        listens = [p for p in batch if isinstance(p, ListenIn)]
        summary.skipped.update(p for p in batch if isinstance(p, str))
        result = store.add_listens(listens, source)
        summary.imported += result.inserted
        summary.duplicates += result.duplicates
        if progress:
            progress(len(batch))
    return summary


@dataclass(frozen=True)
class FileHistoryConfig(HistoryConfig):
    """What the file sources' tables share: the file."""

    required: ClassVar[tuple[str, ...]] = ("path",)
    path: str = ""


C = TypeVar("C", bound=FileHistoryConfig)


class FileHistory(Generic[C]):
    """Base of the file sources: re-read the file when it changed."""

    def __init__(self, config: C) -> None:
        self.config = config
        self.key = config.key
        self.path = Path(config.path).expanduser()
        self.what = f"{config.type} source {self.key!r}"

    def read(self) -> Iterator[Parsed]:
        """Every entry of the file, parsed or with its skip reason."""
        raise NotImplementedError

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """Import the file if it changed since the last poll."""
        cursor_name = f"history:{self.key}"
        stamp = file_stamp(self.path, self.what)
        if store.get_cursor(cursor_name) == stamp:
            return {"unchanged": 1}
        summary = ingest_stream(store, self.read(), self.key)
        store.set_cursor(cursor_name, stamp)
        for reason, n in summary.skipped.items():
            logger.info("%s: skipped %d entries: %s", self.what, n, reason)
        return summary.counts()
