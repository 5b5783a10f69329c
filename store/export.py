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
- ``xspf``: XSPF v1 (http://xspf.org/ns/0/), valid against its RELAX NG schema.
  Characters XML 1.0 cannot hold (most C0 controls, lone surrogates, U+FFFE/F)
  become U+FFFD; ``\\r`` is kept as ``&#13;``. Our own fields (rank, score, ...)
  travel in ``<meta rel="https://github.com/tastebud/tastebud#...">``.
- ``csv``: one header row, then one row per track; an empty cell reads back as
  None; tags are joined with ``;`` (a tag name must not hold one).
- ``json``: a list of objects; every field survives exactly.
- ``jspf``: JSON XSPF (https://www.xspf.org/jspf) as ListenBrainz imports it:
  ``identifier`` lists the ``https://musicbrainz.org/recording/<mbid>`` URL when
  the recording MBID is known (ListenBrainz keeps only such tracks), durations
  are in milliseconds, and our fields sit in the MusicBrainz track extension's
  ``additional_metadata``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from store.errors import ExportError

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

FORMATS = ("m3u8", "xspf", "csv", "json", "jspf")
XSPF_NS = "http://xspf.org/ns/0/"
META_NS = "https://github.com/tastebud/tastebud#"
RECORDING_PREFIX = "https://musicbrainz.org/recording/"
JSPF_PLAYLIST_EXTENSION = "https://musicbrainz.org/doc/jspf#playlist"
JSPF_TRACK_EXTENSION = "https://musicbrainz.org/doc/jspf#track"
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
    score: float | None = None
    model_version: int | None = None
    feed: str | None = None
    tags: tuple[str, ...] = ()
    album: str | None = None
    recording_mbid: str | None = None

    @property
    def display(self) -> str:
        """``Artist - Title``, else whichever of them is known, else the URL."""
        if self.artist and self.title:
            return f"{self.artist} - {self.title}"
        return self.title or self.artist or self.url or f"track {self.track_id}"


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


def m3u_text(text: str) -> str:
    """``text`` as it survives an M3U line: every line break becomes a space."""
    return _LINE_BREAKS.sub(" ", text)


def xml_text(text: str) -> str:
    """``text`` as it survives XML 1.0: characters XML cannot hold become U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


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


# -- XSPF ------------------------------------------------------------------------------------

_XSPF_META = ("track_id", "score", "model_version", "feed", "rank")


def _xml_escape(text: str) -> str:
    text = xml_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;").replace('"', "&quot;")


def _xml_element(name: str, value: object, attrs: str = "") -> str:
    return f"<{name}{attrs}>{_xml_escape(str(value))}</{name}>"


def _write_xspf(entries: Sequence[PlaylistEntry], title: str, date: str) -> str:
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<playlist version="1" xmlns="{XSPF_NS}">',
        "  " + _xml_element("title", title),
        "  " + _xml_element("creator", CREATOR),
    ]
    if date:
        head.append("  " + _xml_element("date", date))
    body = [_xspf_track(e) for e in entries]
    return "\n".join([*head, "  <trackList>", *body, "  </trackList>", "</playlist>"]) + "\n"


def _xspf_track(e: PlaylistEntry) -> str:
    parts: list[str] = []
    if e.url:
        parts.append(_xml_element("location", e.url))
    if e.recording_mbid:
        parts.append(_xml_element("identifier", RECORDING_PREFIX + e.recording_mbid))
    for name, value in (("title", e.title), ("creator", e.artist), ("album", e.album)):
        if value is not None:
            parts.append(_xml_element(name, value))
    if e.tags:
        parts.append(_xml_element("annotation", ", ".join(e.tags)))
        parts.append(_xml_element("meta", ";".join(e.tags), f' rel="{META_NS}tags"'))
    if e.duration is not None:
        parts.append(_xml_element("duration", round(e.duration * 1000)))
    for key in _XSPF_META:
        if (value := getattr(e, key)) is not None:
            text = repr(value) if key == "score" else value
            parts.append(_xml_element("meta", text, f' rel="{META_NS}{key}"'))
    return "    <track>\n" + "".join(f"      {p}\n" for p in parts) + "    </track>"


def _parse_xspf(text: str) -> list[PlaylistEntry]:
    root = ET.fromstring(text)
    ns = {"x": XSPF_NS}
    return [
        _xspf_entry(i + 1, node, ns)
        for i, node in enumerate(root.findall("x:trackList/x:track", ns))
    ]


def _xspf_entry(position: int, node: ET.Element, ns: dict[str, str]) -> PlaylistEntry:
    def text(name: str) -> str | None:
        child = node.find(f"x:{name}", ns)
        return None if child is None else (child.text or "")

    meta = {
        m.get("rel", "").removeprefix(META_NS): m.text or ""
        for m in node.findall("x:meta", ns)
        if m.get("rel", "").startswith(META_NS)
    }
    identifiers = [i.text or "" for i in node.findall("x:identifier", ns)]
    duration = text("duration")
    return PlaylistEntry(
        rank=int(meta.get("rank", position)),
        track_id=_int_or_none(meta.get("track_id")),
        artist=text("creator"),
        title=text("title"),
        url=text("location"),
        duration=int(duration) / 1000 if duration else None,
        score=_float_or_none(meta.get("score")),
        model_version=_int_or_none(meta.get("model_version")),
        feed=meta.get("feed"),
        tags=tuple(meta["tags"].split(";")) if meta.get("tags") else (),
        album=text("album"),
        recording_mbid=_mbid_of(identifiers),
    )


# -- CSV -------------------------------------------------------------------------------------

_CSV_FIELDS = tuple(f.name for f in fields(PlaylistEntry))


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
    rows = [{**asdict(e), "tags": list(e.tags)} for e in entries]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def _parse_json(text: str) -> list[PlaylistEntry]:
    rows = json.loads(text)
    if not isinstance(rows, list):
        raise ValueError("expected a list of tracks")
    return [_entry_from_mapping(row) for row in rows]


def _entry_from_mapping(row: dict[str, Any]) -> PlaylistEntry:
    tags = row.get("tags") or ()
    return PlaylistEntry(
        rank=int(row["rank"]),
        track_id=_int_or_none(row.get("track_id")),
        artist=row.get("artist"),
        title=row.get("title"),
        url=row.get("url"),
        duration=_float_or_none(row.get("duration")),
        score=_float_or_none(row.get("score")),
        model_version=_int_or_none(row.get("model_version")),
        feed=row.get("feed"),
        tags=tuple(tags.split(";")) if isinstance(tags, str) else tuple(tags),
        album=row.get("album"),
        recording_mbid=row.get("recording_mbid"),
    )


# -- JSPF ------------------------------------------------------------------------------------


def _write_jspf(entries: Sequence[PlaylistEntry], title: str, date: str) -> str:
    playlist: dict[str, Any] = {"title": title, "creator": CREATOR}
    if date:
        playlist["date"] = date
    playlist["extension"] = {JSPF_PLAYLIST_EXTENSION: {"public": False}}
    playlist["track"] = [_jspf_track(e, date) for e in entries]
    return json.dumps({"playlist": playlist}, ensure_ascii=False, indent=2) + "\n"


def _jspf_track(e: PlaylistEntry, date: str) -> dict[str, Any]:
    track: dict[str, Any] = {}
    for key, value in (("title", e.title), ("creator", e.artist), ("album", e.album)):
        if value is not None:
            track[key] = value
    if e.recording_mbid:
        track["identifier"] = [RECORDING_PREFIX + e.recording_mbid]
    if e.url:
        track["location"] = [e.url]
    if e.duration is not None:
        track["duration"] = round(e.duration * 1000)
    ours = {k: v for k, v in asdict(e).items() if k in (*_XSPF_META, "tags")}
    ours["tags"] = list(e.tags)
    extension: dict[str, Any] = {"added_by": CREATOR, "additional_metadata": {CREATOR: ours}}
    if date:
        extension["added_at"] = date
    track["extension"] = {JSPF_TRACK_EXTENSION: extension}
    return track


def _parse_jspf(text: str) -> list[PlaylistEntry]:
    tracks = json.loads(text)["playlist"].get("track", [])
    return [_jspf_entry(i + 1, t) for i, t in enumerate(tracks)]


def _jspf_entry(position: int, track: dict[str, Any]) -> PlaylistEntry:
    extension = track.get("extension", {}).get(JSPF_TRACK_EXTENSION, {})
    ours = extension.get("additional_metadata", {}).get(CREATOR, {})
    duration = track.get("duration")
    return PlaylistEntry(
        rank=int(ours.get("rank", position)),
        track_id=ours.get("track_id"),
        artist=track.get("creator"),
        title=track.get("title"),
        url=next(iter(_as_list(track.get("location"))), None),
        duration=duration / 1000 if duration is not None else None,
        score=ours.get("score"),
        model_version=ours.get("model_version"),
        feed=ours.get("feed"),
        tags=tuple(ours.get("tags", ())),
        album=track.get("album"),
        recording_mbid=_mbid_of(_as_list(track.get("identifier"))),
    )


# -- helpers ---------------------------------------------------------------------------------


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _mbid_of(identifiers: Iterable[str]) -> str | None:
    for identifier in identifiers:
        if identifier.startswith(RECORDING_PREFIX):
            mbid = identifier.removeprefix(RECORDING_PREFIX)
            if _MBID.fullmatch(mbid):
                return mbid
    return None


def _int_or_none(value: object) -> int | None:
    return None if value is None or value == "" else int(str(value))


def _float_or_none(value: object) -> float | None:
    return None if value is None or value == "" else float(str(value))


_Writer = Callable[[Sequence[PlaylistEntry], str, str], str]
_WRITERS: dict[str, _Writer] = {
    "m3u8": _write_m3u8,
    "xspf": _write_xspf,
    "csv": _write_csv,
    "json": _write_json,
    "jspf": _write_jspf,
}
_PARSERS: dict[str, Callable[[str], list[PlaylistEntry]]] = {
    "m3u8": _parse_m3u8,
    "xspf": _parse_xspf,
    "csv": _parse_csv,
    "json": _parse_json,
    "jspf": _parse_jspf,
}


def with_rank(entries: Iterable[PlaylistEntry]) -> list[PlaylistEntry]:
    """Entries renumbered 1..n in their order."""
    return [replace(e, rank=i + 1) for i, e in enumerate(entries)]
