"""A playlist entry, and what every playlist format shares (constants, text clean-up, ids)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from daemon.redact import clean
from store import Because

__all__ = [
    "CREATOR",
    "FORMATS",
    "META_NS",
    "RECORDING_PREFIX",
    "PlaylistEntry",
    "as_list",
    "because_json",
    "because_of",
    "float_or_none",
    "int_or_none",
    "m3u_text",
    "mbid_of",
    "with_rank",
    "xml_text",
]

FORMATS = ("m3u8", "xspf", "csv", "json", "jspf")
META_NS = "https://github.com/tastebud/tastebud#"
RECORDING_PREFIX = "https://musicbrainz.org/recording/"
CREATOR = "tastebud"

_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MBID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class PlaylistEntry:
    """One playlist track: what the queue knows of it, as the formats carry it."""

    rank: int
    track_id: int | None = None
    artist: str | None = None
    title: str | None = None
    url: str | None = None
    duration: float | None = None
    standing: float | None = None  # among the candidates, 0-1 (1 the best); "score" before
    model_version: int | None = None
    feed: str | None = None
    tags: tuple[str, ...] = ()
    album: str | None = None
    recording_mbid: str | None = None
    because: str | None = None  # why it is queued, as a sentence at the export's time
    reason: Because | None = None  # what that sentence says, as data (JSON and JSPF keep it)

    @property
    def display(self) -> str:
        """``Artist - Title``, else whichever of them is known, else the URL."""
        if self.artist and self.title:
            return f"{self.artist} - {self.title}"
        return self.title or self.artist or self.url or f"track {self.track_id}"


def m3u_text(text: str) -> str:
    """``text`` as it survives an M3U line: every line break becomes a space, any other
    control character U+FFFD (:func:`daemon.redact.clean`)."""
    return clean(_LINE_BREAKS.sub(" ", text), one_line=True)


def xml_text(text: str) -> str:
    """``text`` as it survives XML 1.0: characters XML cannot hold become U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def because_json(e: PlaylistEntry) -> dict[str, Any] | None:
    """The ``because`` object of JSON and JSPF: ``like``, ``tags`` and ``text``."""
    if e.reason is None:
        return None if e.because is None else {"text": e.because}
    return {**e.reason.fields(), "text": e.because}


def because_of(value: object) -> tuple[str | None, Because | None]:
    """(text, reason) of a ``because`` object :func:`because_json` wrote."""
    if not isinstance(value, dict):
        return None, None
    reason = Because.from_json(value) if "like" in value or "tags" in value else None
    return value.get("text"), reason


def as_list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def mbid_of(identifiers: Iterable[str]) -> str | None:
    for identifier in identifiers:
        if identifier.startswith(RECORDING_PREFIX):
            mbid = identifier.removeprefix(RECORDING_PREFIX)
            if _MBID.fullmatch(mbid):
                return mbid
    return None


def int_or_none(value: object) -> int | None:
    return None if value is None or value == "" else int(str(value))


def float_or_none(value: object) -> float | None:
    return None if value is None or value == "" else float(str(value))


def with_rank(entries: Iterable[PlaylistEntry]) -> list[PlaylistEntry]:
    """Entries renumbered 1..n in their order."""
    return [replace(e, rank=i + 1) for i, e in enumerate(entries)]
