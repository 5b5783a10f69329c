"""JSPF, JSON XSPF (https://www.xspf.org/jspf), as ListenBrainz imports it.

ListenBrainz rejects a whole JSPF playlist when one track lacks an ``identifier``
holding a recording MBID URI; :func:`importable` keeps only the tracks that have one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from daemon.playlists.entry import (
    CREATOR,
    RECORDING_PREFIX,
    PlaylistEntry,
    as_list,
    because_json,
    because_of,
    mbid_of,
)
from daemon.playlists.xspf import XSPF_META
from daemon.redact import json_text

__all__ = [
    "JSPF_PLAYLIST_EXTENSION",
    "JSPF_TRACK_EXTENSION",
    "importable",
    "parse_jspf",
    "write_jspf",
]

JSPF_PLAYLIST_EXTENSION = "https://musicbrainz.org/doc/jspf#playlist"
JSPF_TRACK_EXTENSION = "https://musicbrainz.org/doc/jspf#track"


def importable(entries: Sequence[PlaylistEntry]) -> tuple[list[PlaylistEntry], int]:
    """The entries ListenBrainz accepts (a valid recording MBID), ranked 1..n again, and how
    many were left out."""
    kept = [
        e
        for e in entries
        if e.recording_mbid and mbid_of([RECORDING_PREFIX + e.recording_mbid]) is not None
    ]
    ranked = [dataclasses.replace(e, rank=i + 1) for i, e in enumerate(kept)]
    return ranked, len(entries) - len(kept)


def write_jspf(entries: Sequence[PlaylistEntry], title: str, date: str) -> str:
    playlist: dict[str, Any] = {"title": title, "creator": CREATOR}
    if date:
        playlist["date"] = date
    playlist["extension"] = {JSPF_PLAYLIST_EXTENSION: {"public": False}}
    playlist["track"] = [_jspf_track(e, date) for e in entries]
    return json_text({"playlist": playlist}, ensure_ascii=False, indent=2) + "\n"


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
    ours = {k: v for k, v in asdict(e).items() if k in (*XSPF_META, "tags")}
    ours["tags"] = list(e.tags)
    ours["because"] = because_json(e)
    extension: dict[str, Any] = {"added_by": CREATOR, "additional_metadata": {CREATOR: ours}}
    if date:
        extension["added_at"] = date
    track["extension"] = {JSPF_TRACK_EXTENSION: extension}
    return track


def parse_jspf(text: str) -> list[PlaylistEntry]:
    tracks = json.loads(text)["playlist"].get("track", [])
    return [_jspf_entry(i + 1, t) for i, t in enumerate(tracks)]


def _jspf_entry(position: int, track: dict[str, Any]) -> PlaylistEntry:
    extension = track.get("extension", {}).get(JSPF_TRACK_EXTENSION, {})
    ours = extension.get("additional_metadata", {}).get(CREATOR, {})
    duration = track.get("duration")
    because, reason = because_of(ours.get("because"))
    return PlaylistEntry(
        rank=int(ours.get("rank", position)),
        track_id=ours.get("track_id"),
        artist=track.get("creator"),
        title=track.get("title"),
        url=next(iter(as_list(track.get("location"))), None),
        duration=duration / 1000 if duration is not None else None,
        standing=ours.get("standing", ours.get("score")),
        model_version=ours.get("model_version"),
        feed=ours.get("feed"),
        tags=tuple(ours.get("tags", ())),
        album=track.get("album"),
        recording_mbid=mbid_of(as_list(track.get("identifier"))),
        because=because,
        reason=reason,
    )
