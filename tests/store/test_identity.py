"""Match keys and URL identity."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from store.identity import match_key, normalize_text, normalize_url, youtube_video_id


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Beyoncé", "Halo"), ("BEYONCE", "halo")),
        (("Daft Punk", "One More Time (Official Video)"), ("daft punk", "One More Time")),
        (("Daft Punk - Topic", "Get Lucky [Lyrics]"), ("Daft Punk", "Get Lucky")),
        (("Calvin Harris", "Feel So Close (feat. Someone)"), ("Calvin Harris", "Feel So Close")),
        (("Calvin Harris", "Summer ft. Someone"), ("calvin harris", "summer")),
        (("AC/DC", "Back In Black!"), ("ac dc", "back in black")),
    ],
)
def test_same_recording_same_key(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert match_key(*a) == match_key(*b)


def test_different_versions_keep_different_keys() -> None:
    assert match_key("Nina Simone", "Sinnerman (Live)") != match_key("Nina Simone", "Sinnerman")
    assert match_key("A", "") is None
    assert match_key(None, "T") is None


@given(st.text(max_size=40))
def test_normalization_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@example("0", "FT\x1b0")
@example("Artist", "Song ft!Guest")
@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_match_key_is_idempotent(artist: str, title: str) -> None:
    key = match_key(artist, title)
    if key is not None:
        a, t = key.split("|")
        assert match_key(a, t) == key


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVM",
        "https://youtu.be/dQw4w9WgXcQ?t=3",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ",
    ],
)
def test_youtube_ids(url: str) -> None:
    assert youtube_video_id(url) == "dQw4w9WgXcQ"
    assert normalize_url(url) == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def test_other_urls() -> None:
    assert youtube_video_id("https://example.com/watch?v=dQw4w9WgXcQ") is None
    assert youtube_video_id("https://www.youtube.com/watch?v=short") is None
    assert normalize_url("HTTP://Example.COM/a/B.ogg#frag") == "http://example.com/a/B.ogg"
