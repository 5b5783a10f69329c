"""Playlist formats: round trips with hostile text, the XSPF schema, and real sample files."""

from __future__ import annotations

import dataclasses
import functools
import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from daemon.playlists import ExportError
from daemon.playlists.formats import (
    FORMATS,
    PlaylistEntry,
    format_playlist,
    m3u_text,
    parse_playlist,
    with_rank,
    xml_text,
)
from store import Because, Like

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
XSPF_DIR = SAMPLES / "playlists" / "xspf"
M3U_DIR = SAMPLES / "playlists" / "m3u"
DATE = "2026-11-21T05:42:00+00:00"

HOSTILE = [",", '"', "'", "\n", "\r\n", "\r", "#", "#EXTINF:1,", "&", "<", ">", "&amp;"]
HOSTILE += ["]]>", " - ", "é", "日本語", "🎵", "\t", "\x00", "\x0b", "\u2028", ";", "\ufeff", " "]
TAGS = ["rock", "electronic", "female vocalists", "Hip-Hop", "00s", "ambient", "chill"]

hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=4)), max_size=6).map(
    "".join
)
urls = st.builds(
    "https://www.youtube.com/watch?v={}&list=PL{}".format,
    st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=11),
    st.integers(0, 10**6),
)
entries = st.builds(
    PlaylistEntry,
    rank=st.just(0),
    track_id=st.integers(1, 10**9),
    artist=st.none() | hostile_text,
    title=st.none() | hostile_text,
    url=st.none() | urls,
    duration=st.none() | st.floats(0, 36_000, allow_nan=False),
    standing=st.none() | st.floats(-10, 10, allow_nan=False),
    model_version=st.none() | st.integers(1, 10_000),
    feed=st.none() | hostile_text,
    tags=st.lists(st.sampled_from(TAGS), max_size=3).map(tuple),
    album=st.none() | hostile_text,
    recording_mbid=st.none() | st.uuids().map(str),
)
likes = st.builds(
    Like,
    artist=st.none() | hostile_text,
    title=st.none() | hostile_text,
    track_id=st.integers(1, 10**9),
    last_played_at=st.none() | st.floats(0, 2e9, allow_nan=False),
    similarity=st.floats(-1, 1, allow_nan=False),
)
reasons = st.builds(
    Because,
    like=st.lists(likes, max_size=2).map(tuple),
    tags=st.lists(st.sampled_from(TAGS), max_size=3).map(tuple),
)


def _explained(e: PlaylistEntry, text: str | None, reason: Because | None) -> PlaylistEntry:
    return dataclasses.replace(e, because=text, reason=reason if text is not None else None)


entries = st.builds(_explained, entries, st.none() | hostile_text, st.none() | reasons)
playlists = st.lists(entries, max_size=8).map(with_rank)


def _ms(duration: float | None) -> float | None:
    return None if duration is None else round(duration * 1000) / 1000


def _blank_is_none(e: PlaylistEntry) -> PlaylistEntry:
    """As CSV keeps it: blank text is None, and a reason only as its text."""
    texts = ("artist", "title", "feed", "album", "url", "recording_mbid", "because")
    return dataclasses.replace(e, reason=None, **{k: getattr(e, k) or None for k in texts})


def _as_xml(e: PlaylistEntry) -> PlaylistEntry:
    """As XSPF keeps it: XML-safe text, milliseconds, and a reason only as its text."""
    texts = ("artist", "title", "feed", "album", "because")
    changes = {k: xml_text(v) for k in texts if (v := getattr(e, k)) is not None}
    return dataclasses.replace(e, duration=_ms(e.duration), reason=None, **changes)


def _extinf_text(e: PlaylistEntry) -> str | None:
    return e.title if e.artist is None else f"{e.artist} - {e.title}"


@functools.cache
def _xspf_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(XSPF_DIR / "xspf-1_0.7.rng")))


# -- round trips -------------------------------------------------------------------------------


@given(playlists)
def test_json_round_trips_exactly(items: list[PlaylistEntry]) -> None:
    assert parse_playlist("json", format_playlist("json", items)) == items


@given(playlists)
def test_csv_round_trips_with_blank_cells_as_none(items: list[PlaylistEntry]) -> None:
    assert parse_playlist("csv", format_playlist("csv", items)) == [
        _blank_is_none(e) for e in items
    ]


@given(playlists)
def test_jspf_round_trips_with_millisecond_durations(items: list[PlaylistEntry]) -> None:
    parsed = parse_playlist("jspf", format_playlist("jspf", items, title="t", date=DATE))
    assert parsed == [dataclasses.replace(e, duration=_ms(e.duration)) for e in items]


@given(playlists)
def test_xspf_round_trips_and_validates(items: list[PlaylistEntry]) -> None:
    text = format_playlist("xspf", items, title="x & <y>\r\n", date=DATE)
    _xspf_schema().assertValid(etree.fromstring(text.encode("utf-8")))
    assert parse_playlist("xspf", text) == [_as_xml(e) for e in items]


@given(playlists)
def test_m3u8_round_trips_the_normalised_extinf_line(items: list[PlaylistEntry]) -> None:
    text = format_playlist("m3u8", items)
    parsed = parse_playlist("m3u8", text)
    kept = [e for e in items if e.url]
    assert text.startswith("#EXTM3U\n")
    assert len(text.splitlines()) == 1 + 2 * len(kept)
    assert [_extinf_text(p) for p in parsed] == [m3u_text(e.display) for e in kept]
    assert [p.url for p in parsed] == [e.url for e in kept]
    assert [p.duration for p in parsed] == [
        None if e.duration is None else float(round(e.duration)) for e in kept
    ]


@settings(max_examples=30)
@given(playlists, st.sampled_from(FORMATS))
def test_parse_never_raises_anything_but_export_error_on_garbage(
    items: list[PlaylistEntry], fmt: str
) -> None:
    text = format_playlist(fmt, items)
    broken = text[: len(text) // 2] + "<\x01{,"
    try:
        parse_playlist(fmt, broken)
    except ExportError:
        pass


def test_m3u8_replaces_every_line_break_with_a_space() -> None:
    entry = PlaylistEntry(rank=1, artist="A\r\nB", title="C\u2028D\x85E", url="https://x/1")
    text = format_playlist("m3u8", [entry])
    assert text == "#EXTM3U\n#EXTINF:-1,A  B - C D E\nhttps://x/1\n"


def test_xml_text_keeps_what_xml_can_hold() -> None:
    assert xml_text("a\tb\nc\rd é 🎵") == "a\tb\nc\rd é 🎵"
    assert xml_text("a\x00b\x0bc\ufffe") == "a\ufffdb\ufffdc\ufffd"


def test_json_has_the_documented_fields() -> None:
    entry = PlaylistEntry(
        rank=1, track_id=7, artist="A", title="T", url="https://x", tags=("rock",)
    )
    (row,) = json.loads(format_playlist("json", [entry]))
    wanted = {"rank", "track_id", "artist", "title", "url", "duration", "standing"}
    assert wanted | {"model_version", "feed", "tags", "because"} <= set(row)
    assert row["tags"] == ["rock"]
    assert row["because"] is None


def test_each_format_but_m3u8_says_why_a_track_is_there() -> None:
    reason = Because((Like("Boards of Canada", "Roygbiv", 3, 1.0e9, 0.91),), ("ambient",))
    text = "sounds like Boards of Canada - Roygbiv, played 3 d ago · ambient"
    mbid = "7e4bb014-51d5-4943-adb1-683e066a5220"
    entry = PlaylistEntry(
        rank=1, artist="A", title="T", tags=("ambient",), because=text, reason=reason
    )
    entry = dataclasses.replace(entry, url="https://x", recording_mbid=mbid)
    (row,) = json.loads(format_playlist("json", [entry]))
    assert row["because"] == {**reason.fields(), "text": text}
    assert row["because"]["like"][0]["artist"] == "Boards of Canada"
    jspf = json.loads(format_playlist("jspf", [entry]))["playlist"]["track"][0]
    ours = jspf["extension"]["https://musicbrainz.org/doc/jspf#track"]["additional_metadata"]
    assert ours["tastebud"]["because"] == row["because"]
    assert f"<annotation>{text}</annotation>" in format_playlist("xspf", [entry])
    retagged = dataclasses.replace(entry, tags=("rock",))
    assert f"<annotation>rock · {text}</annotation>" in format_playlist("xspf", [retagged])
    header, line = format_playlist("csv", [entry]).splitlines()
    assert "because" in header.split(",")
    assert text in line
    assert "Roygbiv" not in format_playlist("m3u8", [entry])


def test_jspf_has_the_listenbrainz_shape() -> None:
    mbid = "7e4bb014-51d5-4943-adb1-683e066a5220"
    entry = PlaylistEntry(rank=1, artist="A", title="T", url="https://x", recording_mbid=mbid)
    playlist = json.loads(format_playlist("jspf", [entry], title="mine", date=DATE))["playlist"]
    assert playlist["title"] == "mine"
    assert playlist["date"] == DATE
    (track,) = playlist["track"]
    assert track["identifier"] == [f"https://musicbrainz.org/recording/{mbid}"]
    assert track["location"] == ["https://x"]
    assert "https://musicbrainz.org/doc/jspf#track" in track["extension"]


def test_unknown_format_is_an_export_error() -> None:
    with pytest.raises(ExportError, match="unknown playlist format 'pls'"):
        format_playlist("pls", [])
    with pytest.raises(ExportError, match="not a valid xspf"):
        parse_playlist("xspf", "<playlist")


# -- real files --------------------------------------------------------------------------------


def test_schema_check_rejects_the_official_failing_sample() -> None:
    bad = etree.parse(str(XSPF_DIR / "fail-playlist-missingversion.xspf"))
    assert not _xspf_schema().validate(bad)
    for good in ("playlist-extensive.xspf", "track-extensive.xspf"):
        assert _xspf_schema().validate(etree.parse(str(XSPF_DIR / good)))


def test_parses_the_official_xspf_samples() -> None:
    assert parse_playlist("xspf", (XSPF_DIR / "playlist-extensive.xspf").read_text()) == []
    (track,) = parse_playlist("xspf", (XSPF_DIR / "track-extensive.xspf").read_text())
    assert (track.artist, track.title) == ("Frank Sinatra", "My Way")
    assert track.album == "Frank Sinatra's Greatest Hits"
    assert track.url == "http://example.com/my.mp3"
    assert track.duration == pytest.approx(19.2)
    assert track.recording_mbid is None  # its identifier is a magnet link
    assert track.rank == 1


def test_parses_the_listenbrainz_jspf_sample() -> None:
    text = (SAMPLES / "listenbrainz" / "lb_playlist_jspf_response.json").read_text()
    first, second = parse_playlist("jspf", text)
    assert (first.artist, first.title, first.album) == (
        "Mili",
        "world.execute(me);",
        "Miracle Milk",
    )
    assert first.recording_mbid == "9980309d-3480-4e7e-89ce-fce971a452be"
    assert first.duration == pytest.approx(211.912)
    assert second.title == "イザナ平原/夜"
    assert second.rank == 2
    assert second.url is None


def test_parses_real_m3u_samples() -> None:
    quodlibet = parse_playlist("m3u8", (M3U_DIR / "quodlibet_test.m3u8").read_text())
    assert [p.url for p in quodlibet] == [
        "lame.mp3",
        "test.wav",
        "sine-110hz.flac",
        "non_existing_audio_file.mp3",
        "image.jpg",
    ]
    sine = quodlibet[2]
    assert (sine.artist, sine.title, sine.duration) == ("Quod Libet", "110Hz test track", 2.0)
    assert (quodlibet[0].artist, quodlibet[0].title) == (None, "lame.mp3")
    mopidy = parse_playlist("m3u8", (M3U_DIR / "mopidy_two-ext.m3u").read_text())
    assert [(p.title, p.duration) for p in mopidy] == [("song1", None), ("song2", 60.0)]
