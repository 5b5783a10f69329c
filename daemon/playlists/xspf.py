"""XSPF v1 (http://xspf.org/ns/0/), written and read with ElementTree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from daemon.playlists.entry import (
    CREATOR,
    META_NS,
    RECORDING_PREFIX,
    PlaylistEntry,
    float_or_none,
    int_or_none,
    mbid_of,
    xml_text,
)

__all__ = ["XSPF_META", "XSPF_NS", "parse_xspf", "write_xspf"]

XSPF_NS = "http://xspf.org/ns/0/"
XSPF_META = ("track_id", "standing", "model_version", "feed", "rank")
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _add(parent: ET.Element, name: str, value: object, rel: str = "") -> None:
    child = ET.SubElement(parent, name, {"rel": META_NS + rel} if rel else {})
    child.text = xml_text(str(value))


def write_xspf(entries: Sequence[PlaylistEntry], title: str, date: str) -> str:
    """The entries as an XSPF document; ``\\r`` in text is kept as ``&#13;``."""
    # Unprefixed names under a plain xmlns attribute: the whole document is in XSPF's namespace.
    root = ET.Element("playlist", {"version": "1", "xmlns": XSPF_NS})
    _add(root, "title", title)
    _add(root, "creator", CREATOR)
    if date:
        _add(root, "date", date)
    tracks = ET.SubElement(root, "trackList")
    for e in entries:
        _xspf_track(ET.SubElement(tracks, "track"), e)
    ET.indent(root, space="  ")
    text = ET.tostring(root, encoding="unicode")
    # ElementTree leaves a carriage return in text as it is; a parser would read it as \n.
    return _DECLARATION + text.replace("\r", "&#13;") + "\n"


def _xspf_track(node: ET.Element, e: PlaylistEntry) -> None:
    if e.url:
        _add(node, "location", e.url)
    if e.recording_mbid:
        _add(node, "identifier", RECORDING_PREFIX + e.recording_mbid)
    for name, value in (("title", e.title), ("creator", e.artist), ("album", e.album)):
        if value is not None:
            _add(node, name, value)
    if annotation := _annotation(e):
        _add(node, "annotation", annotation)
    if e.tags:
        _add(node, "meta", ";".join(e.tags), "tags")
    if e.because is not None:
        _add(node, "meta", e.because, "because")
    if e.duration is not None:
        _add(node, "duration", round(e.duration * 1000))
    for key in XSPF_META:
        if (value := getattr(e, key)) is not None:
            _add(node, "meta", repr(value) if key == "standing" else value, key)


def _annotation(e: PlaylistEntry) -> str:
    """The tags, then why the track is queued (which ends with the tags when they agree)."""
    tags = ", ".join(e.tags)
    if not e.because:
        return tags
    return e.because if e.because.endswith(tags) else f"{tags} · {e.because}"


def parse_xspf(text: str) -> list[PlaylistEntry]:
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
        track_id=int_or_none(meta.get("track_id")),
        artist=text("creator"),
        title=text("title"),
        url=text("location"),
        duration=int(duration) / 1000 if duration else None,
        standing=float_or_none(meta.get("standing", meta.get("score"))),
        model_version=int_or_none(meta.get("model_version")),
        feed=meta.get("feed"),
        tags=tuple(meta["tags"].split(";")) if meta.get("tags") else (),
        album=text("album"),
        recording_mbid=mbid_of(identifiers),
        because=meta.get("because"),
    )
