"""Search ranking on recorded yt-dlp flat search results (``ytsearch5:``), no network."""

from __future__ import annotations

import json
from typing import Any

import pytest

from daemon.acquire.matching import VERSION_WORDS, best_match, candidate, score


def _entry(video_id: str, title: str, channel: str, duration: float | None, **extra: Any) -> dict:
    """One entry as yt-dlp's YouTube search writes it with ``extract_flat``."""
    return {
        "_type": "url",
        "ie_key": "Youtube",
        "id": video_id,
        "url": f"https://www.youtube.com/watch?v={video_id}",
        "title": title,
        "description": None,
        "duration": duration,
        "channel_id": "UC" + video_id * 2,
        "channel": channel,
        "channel_url": f"https://www.youtube.com/channel/UC{video_id * 2}",
        "uploader": channel,
        "thumbnails": [{"url": f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg"}],
        "timestamp": None,
        "release_timestamp": None,
        "availability": None,
        "view_count": 1_000_000,
        "live_status": extra.pop("live_status", None),
        "channel_is_verified": extra.pop("channel_is_verified", None),
        **extra,
    }


RECORDED = json.dumps(
    {
        "_type": "playlist",
        "id": "Daft Punk - Harder, Better, Faster, Stronger",
        "title": "Daft Punk - Harder, Better, Faster, Stronger",
        "extractor": "youtube:search",
        "entries": [
            _entry(
                "aaaaaaaaaa1",
                "Daft Punk - Harder, Better, Faster, Stronger (Official Video)",
                "Daft Punk",
                224.0,
                channel_is_verified=True,
            ),
            _entry("aaaaaaaaaa2", "Harder, Better, Faster, Stronger", "Daft Punk - Topic", 226.0),
            _entry(
                "aaaaaaaaaa3",
                "Daft Punk - Harder Better Faster Stronger (Live 2007)",
                "Concert Vault",
                300.0,
            ),
            _entry(
                "aaaaaaaaaa4", "Harder Better Faster Stronger (Nightcore)", "nightcore hub", 180.0
            ),
            _entry(
                "aaaaaaaaaa5",
                "Daft Punk - Harder Better Faster Stronger [Lyrics]",
                "Lyric Land",
                225.0,
            ),
        ],
    }
)


def _entries() -> list[dict]:
    return json.loads(RECORDED)["entries"]


def test_prefers_the_topic_channel() -> None:
    match = best_match(
        _entries(), artist="Daft Punk", title="Harder, Better, Faster, Stronger", duration=225.0
    )
    assert match is not None
    assert match.url.endswith("aaaaaaaaaa2")
    assert match.confidence > 0.9


def test_official_channel_beats_a_lyrics_upload() -> None:
    entries = [e for e in _entries() if e["id"] != "aaaaaaaaaa2"]
    match = best_match(entries, artist="Daft Punk", title="Harder Better Faster Stronger")
    assert match is not None
    assert match.url.endswith("aaaaaaaaaa1")


def test_other_versions_are_refused_unless_wanted() -> None:
    entries = [e for e in _entries() if e["id"] in ("aaaaaaaaaa3", "aaaaaaaaaa4")]
    assert best_match(entries, artist="Daft Punk", title="Harder Better Faster Stronger") is None
    live = best_match(
        entries, artist="Daft Punk", title="Harder Better Faster Stronger (Live 2007)"
    )
    assert live is not None
    assert live.url.endswith("aaaaaaaaaa3")


@pytest.mark.parametrize("word", VERSION_WORDS)
def test_each_version_word_is_refused(word: str) -> None:
    c = candidate(_entry("bbbbbbbbbb1", f"Artist - Song ({word.title()})", "Artist - Topic", 200.0))
    assert c is not None
    assert score(c, artist="Artist", title="Song", duration=200.0, tolerance_s=20) == 0
    wanted = f"Song ({word} version)"
    assert score(c, artist="Artist", title=wanted, duration=200.0, tolerance_s=20) > 0.6


def test_a_word_inside_another_word_is_not_a_version() -> None:
    c = candidate(_entry("bbbbbbbbbb2", "Olive Tree", "Discover - Topic", 200.0))
    assert c is not None
    assert score(c, artist="Discover", title="Olive Tree", duration=200.0, tolerance_s=20) > 0.9


def test_duration_outside_tolerance_is_refused() -> None:
    entries = [_entry("ccccccccccc", "Song", "Artist - Topic", 200.0)]
    assert (
        best_match(entries, artist="Artist", title="Song", duration=260.0, tolerance_s=20) is None
    )
    near = best_match(entries, artist="Artist", title="Song", duration=210.0, tolerance_s=20)
    exact = best_match(entries, artist="Artist", title="Song", duration=200.0, tolerance_s=20)
    assert near is not None
    assert exact is not None
    assert near.confidence < exact.confidence


def test_live_streams_are_refused() -> None:
    entries = [_entry("ddddddddddd", "Artist - Song", "Artist", 200.0, live_status="is_live")]
    assert best_match(entries, artist="Artist", title="Song") is None


def test_wrong_song_by_the_right_artist_is_below_threshold() -> None:
    entries = [
        _entry("eeeeeeeeeee", "Artist - A Completely Different Tune", "Artist - Topic", 200.0)
    ]
    match = best_match(entries, artist="Artist", title="Song Title")
    assert match is None or match.confidence < 0.6


def test_same_title_by_an_unknown_channel_is_below_threshold() -> None:
    entries = [_entry("fffffffffff", "Song Title", "Someone Else", 200.0)]
    match = best_match(entries, artist="Artist", title="Song Title", duration=200.0)
    assert match is not None
    assert match.confidence < 0.6


def test_vevo_channel_counts_as_the_artist() -> None:
    c = candidate(
        _entry("ggggggggggg", "Artist Name - Song (Official Video)", "ArtistNameVEVO", 200)
    )
    assert c is not None
    assert score(c, artist="Artist Name", title="Song", duration=200, tolerance_s=20) > 0.9


def test_entry_without_url_is_built_from_its_id() -> None:
    entry = _entry("hhhhhhhhhhh", "Song", "Artist - Topic", 200.0)
    entry["url"] = "hhhhhhhhhhh"
    c = candidate(entry)
    assert c is not None
    assert c.url == "https://www.youtube.com/watch?v=hhhhhhhhhhh"
