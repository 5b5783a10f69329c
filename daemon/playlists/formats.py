"""Playlist formats: write the queue as M3U8, XSPF, CSV, JSON or JSPF, and read them back.

Pure text in, text out: no files, no database. Each writer takes
:class:`PlaylistEntry` rows (rank order) and each parser returns them, with the
fields the format cannot carry left as None.

What each format keeps, and the documented normalisations:

- ``m3u8``: ``#EXTINF:<whole seconds, -1 if unknown>,<Artist> - <Title>`` then
  the location (a track without one is left out). Line breaks (``\\n``, ``\\r``
  and every other character that :meth:`str.splitlines` breaks on) in the display
  text and the location become spaces, since M3U has no escaping. The parser
  splits the display text at the first `` - `` (an artist holding one is not
  recovered as such).
- ``xspf``: XSPF v1 (http://xspf.org/ns/0/), valid against its RELAX NG schema,
  written with ElementTree.
  Characters XML 1.0 cannot hold (most C0 controls, lone surrogates, U+FFFE/F)
  become U+FFFD; ``\\r`` is kept as ``&#13;``. Our own fields (rank, standing, ...)
  travel in ``<meta rel="https://github.com/tastebud/tastebud#...">``.
- ``csv``: one header row, then one row per track; an empty cell reads back as
  None; tags are joined with ``;`` (a tag name must not hold one); ``because`` is
  the reason as text (its parts, ``reason``, are left out).
- ``json``: a list of objects; every field survives exactly; ``because`` is an
  object (``like``, ``tags``, ``text``) holding the reason and its text.
- ``jspf``: JSON XSPF (https://www.xspf.org/jspf) as ListenBrainz imports it:
  ``identifier`` lists the ``https://musicbrainz.org/recording/<mbid>`` URL when
  the recording MBID is known, durations are in milliseconds, and our fields sit
  in the MusicBrainz track extension's ``additional_metadata``. ListenBrainz
  rejects the whole playlist when one track has no such identifier, so an export
  keeps only the tracks that have one (:func:`daemon.playlists.jspf.importable`).
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from typing import Any

from daemon.playlists.entry import (
    FORMATS,
    RECORDING_PREFIX,
    PlaylistEntry,
    because_json,
    because_of,
    float_or_none,
    int_or_none,
    m3u_text,
    with_rank,
    xml_text,
)
from daemon.playlists.errors import ExportError
from daemon.playlists.jspf import (
    JSPF_PLAYLIST_EXTENSION,
    JSPF_TRACK_EXTENSION,
    parse_jspf,
    write_jspf,
)
from daemon.playlists.xspf import XSPF_NS, parse_xspf, write_xspf
from daemon.redact import json_text

__all__ = [
    "FORMATS",
    "JSPF_PLAYLIST_EXTENSION",
    "JSPF_TRACK_EXTENSION",
    "RECORDING_PREFIX",
    "XSPF_NS",
    "PlaylistEntry",
    "format_playlist",
    "m3u_text",
    "parse_playlist",
    "with_rank",
    "xml_text",
]


def format_playlist(
    fmt: str, entries: Sequence[PlaylistEntry], *, title: str = "tastebud", date: str = ""
) -> str:
    """The playlist ``entries`` as text in format ``fmt``; ``date`` is ISO 8601 (XSPF/JSPF)."""
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise ExportError(f"unknown playlist format '{fmt}': use one of {', '.join(FORMATS)}")
    return writer(entries, title, date)


def parse_playlist(fmt: str, text: str) -> list[PlaylistEntry]:
    """Read a playlist in format ``fmt`` back into entries (rank = position when unknown)."""
    parser = _PARSERS.get(fmt)
    if parser is None:
        raise ExportError(f"unknown playlist format '{fmt}': use one of {', '.join(FORMATS)}")
    try:
        return parser(text)
    except (ValueError, KeyError, TypeError, AttributeError, ET.ParseError) as exc:
        raise ExportError(f"not a valid {fmt} playlist: {exc}") from exc


# -- M3U8 ------------------------------------------------------------------------------------


def _write_m3u8(entries: Sequence[PlaylistEntry], title: str, date: str) -> str:
    lines = ["#EXTM3U"]
    for e in (e for e in entries if e.url):
        seconds = round(e.duration) if e.duration is not None else -1
        lines.append(f"#EXTINF:{seconds},{m3u_text(e.display)}")
        lines.append(m3u_text(e.url or ""))
    return "\n".join(lines) + "\n"


def _parse_m3u8(text: str) -> list[PlaylistEntry]:
    out: list[PlaylistEntry] = []
    extinf: str | None = None
    for line in text.lstrip("\ufeff").split("\n"):
        line = line.removesuffix("\r")
        if line.startswith("#EXTINF:"):
            extinf = line[len("#EXTINF:") :]
        elif line.startswith("#") or not line.strip():
            continue
        else:
            out.append(_m3u_entry(len(out) + 1, extinf, line))
            extinf = None
    return out


def _m3u_entry(rank: int, extinf: str | None, location: str) -> PlaylistEntry:
    if extinf is None:
        return PlaylistEntry(rank=rank, url=location)
    seconds, _, display = extinf.partition(",")
    duration = float(seconds.split()[0]) if seconds.strip() else -1.0
    artist, sep, title = display.partition(" - ")
    return PlaylistEntry(
        rank=rank,
        artist=artist if sep else None,
        title=title if sep else display,
        url=location,
        duration=duration if duration >= 0 else None,
    )


# -- CSV -------------------------------------------------------------------------------------

_CSV_FIELDS = tuple(f.name for f in fields(PlaylistEntry) if f.name != "reason")


def _write_csv(entries: Sequence[PlaylistEntry], title: str, date: str) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_CSV_FIELDS)
    for e in entries:
        writer.writerow([_csv_cell(getattr(e, name)) for name in _CSV_FIELDS])
    return buffer.getvalue()


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(value)
    return repr(value) if isinstance(value, float) else str(value)


def _parse_csv(text: str) -> list[PlaylistEntry]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    return [_entry_from_mapping({k: (v or None) for k, v in row.items()}) for row in reader]


# -- JSON ------------------------------------------------------------------------------------


def _write_json(entries: Sequence[PlaylistEntry], title: str, date: str) -> str:
    rows = [_json_row(e) for e in entries]
    return json_text(rows, ensure_ascii=False, indent=2) + "\n"


def _json_row(e: PlaylistEntry) -> dict[str, Any]:
    row = {k: v for k, v in asdict(e).items() if k != "reason"}
    return {**row, "tags": list(e.tags), "because": because_json(e)}


def _parse_json(text: str) -> list[PlaylistEntry]:
    rows = json.loads(text)
    if not isinstance(rows, list):
        raise ValueError("expected a list of tracks")
    return [_entry_from_mapping(row) for row in rows]


def _entry_from_mapping(row: dict[str, Any]) -> PlaylistEntry:
    """An entry from a JSON object or a CSV row (``because`` an object, or its text)."""
    tags = row.get("tags") or ()
    because = row.get("because")
    text, reason = (because, None) if isinstance(because, str) else because_of(because)
    return PlaylistEntry(
        rank=int(row["rank"]),
        track_id=int_or_none(row.get("track_id")),
        artist=row.get("artist"),
        title=row.get("title"),
        url=row.get("url"),
        duration=float_or_none(row.get("duration")),
        standing=float_or_none(row.get("standing", row.get("score"))),
        model_version=int_or_none(row.get("model_version")),
        feed=row.get("feed"),
        tags=tuple(tags.split(";")) if isinstance(tags, str) else tuple(tags),
        album=row.get("album"),
        recording_mbid=row.get("recording_mbid"),
        because=text,
        reason=reason,
    )


_Writer = Callable[[Sequence[PlaylistEntry], str, str], str]
_WRITERS: dict[str, _Writer] = {
    "m3u8": _write_m3u8,
    "xspf": write_xspf,
    "csv": _write_csv,
    "json": _write_json,
    "jspf": write_jspf,
}
_PARSERS: dict[str, Callable[[str], list[PlaylistEntry]]] = {
    "m3u8": _parse_m3u8,
    "xspf": parse_xspf,
    "csv": _parse_csv,
    "json": _parse_json,
    "jspf": parse_jspf,
}
