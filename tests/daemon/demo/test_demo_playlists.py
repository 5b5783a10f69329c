"""The demo's playlists point at the corpus files once its loopback server is gone."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from daemon.demo.playlists import localize_playlist
from daemon.playlists.formats import PlaylistEntry, format_playlist, parse_playlist

BASE = "http://127.0.0.1:38111/audio"


def _entries(names: list[str]) -> list[PlaylistEntry]:
    return [
        PlaylistEntry(rank=i + 1, artist="Demo", title=n, url=f"{BASE}/{n}", duration=16.0)
        for i, n in enumerate(names)
    ]


def _as_path(location: str, fmt: str) -> Path:
    if fmt == "xspf":
        assert location.startswith("file:///")
        return Path(url2pathname(urlsplit(location).path))
    return Path(location)


@pytest.mark.parametrize("fmt", ["m3u8", "xspf", "csv", "json", "jspf"])
def test_demo_playlists_point_at_the_corpus_files(tmp_path: Path, fmt: str) -> None:
    audio = tmp_path / "www" / "audio"
    audio.mkdir(parents=True)
    names = ["ambient-pad-01.opus", "piano ballad-02.mp3", "brass-chords-03.flac"]
    for name in names:
        (audio / name).write_bytes(b"audio")
    playlist = tmp_path / f"top20.{fmt}"
    playlist.write_text(format_playlist(fmt, [*_entries(names), *_entries(["gone.opus"])]))
    assert localize_playlist(playlist, audio) == 3
    parsed = parse_playlist(fmt, playlist.read_text(encoding="utf-8"))
    assert [p.title for p in parsed] == [*names, "gone.opus"]
    uri_fmt = "xspf" if fmt in ("xspf", "jspf") else fmt
    local = [_as_path(p.url or "", uri_fmt) for p in parsed[:3]]
    assert local == [(audio / n).resolve() for n in names]
    assert all(p.is_file() for p in local)
    assert parsed[3].url == f"{BASE}/gone.opus"  # no file for it: left as it was
