"""The library folder: remuxed and tagged files, rotation by the manifest, the M3U8."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import av
import mutagen
import numpy as np
import pytest
from rich.console import Console

from daemon.acquire.fetcher import fetcher_for
from daemon.config import Config, FetchConfig, LibraryConfig, StorageConfig
from daemon.dashboard.snapshot import load_snapshot
from daemon.dashboard.view import render
from daemon.listening.library import refresh_library
from daemon.sources.directory import DirectoryConfig
from store import Store, TrackRef
from tests.audio_helpers import synth, write_audio


def _config(tmp_path: Path, size: int = 3, max_gb: float = 10.0) -> Config:
    return Config(
        storage=StorageConfig(dir=str(tmp_path / "state")),
        fetch=FetchConfig(min_duration_s=1.0),
        library=LibraryConfig(dir=str(tmp_path / "lib"), size=size, max_gb=max_gb),
        feeds=(DirectoryConfig(name="src", path=str(tmp_path / "src")),),  # local files' home
    )


def _offer(store: Store, tmp_path: Path, name: str, ext: str, seed: int) -> int:
    """A ready feed track whose audio is a local file (no network)."""
    path = write_audio(tmp_path / "src" / f"{name}.{ext}", synth(3.0, seed=seed))
    ref = TrackRef("test", artist=f"Artist {name}", title=f"Song {name}", url=path.as_uri())
    store.add_feed_items("feed", [ref])
    (track,) = store.find_tracks(path.as_uri())
    store.mark_track(track.id, "ready")
    return track.id


def _refresh(store: Store, config: Config) -> dict[str, int]:
    return refresh_library(store, config, fetcher_for(config)).counts


@pytest.fixture
def tracks(tmp_path: Path, store: Store) -> dict[str, int]:
    (tmp_path / "src").mkdir()
    kinds = {"web": "webm", "aac": "m4a", "mp3": "mp3", "ogg": "ogg"}
    return {
        name: _offer(store, tmp_path, name, ext, i) for i, (name, ext) in enumerate(kinds.items())
    }


def test_top_tracks_are_remuxed_tagged_and_listed(
    tmp_path: Path, store: Store, tracks: dict[str, int]
) -> None:
    config = _config(tmp_path, size=4)
    assert _refresh(store, config)["added"] == 4
    lib = tmp_path / "lib"
    web = lib / "Artist web" / "Artist web - Song web.opus"
    with av.open(str(web)) as container:
        assert container.format.name == "ogg"  # Opus from WebM, packets copied into Ogg
    assert (lib / "Artist aac" / "Artist aac - Song aac.m4a").is_file()
    assert (lib / "Artist mp3" / "Artist mp3 - Song mp3.mp3").is_file()
    assert (lib / "Artist ogg" / "Artist ogg - Song ogg.opus").is_file()
    for path in lib.rglob("*.*"):
        if path.suffix == ".m3u8":
            continue
        tags = mutagen.File(path, easy=True)
        assert tags["album"] == ["tastebud"], path
        assert tags["artist"][0] == path.parent.name
        assert path.stat().st_mode & 0o777 == 0o644
        assert path.parent.stat().st_mode & 0o777 == 0o755
    opus = mutagen.File(web)
    assert opus["WEBSITE"] == [(tmp_path / "src" / "web.webm").as_uri()]
    assert opus["COMMENT"][0].startswith("tastebud standing")
    lines = (lib / "tastebud.m3u8").read_text().splitlines()
    paths = [ln for ln in lines if not ln.startswith("#")]
    assert paths[0] == "Artist web/Artist web - Song web.opus"


def test_rotation_deletes_only_its_files_and_keeps_liked_ones(
    tmp_path: Path, store: Store, tracks: dict[str, int]
) -> None:
    config = _config(tmp_path, size=4)
    _refresh(store, config)
    lib = tmp_path / "lib"
    foreign = lib / "Artist web" / "my own notes.txt"
    foreign.write_text("mine")
    store.add_feedback("like", "test", track=tracks["aac"])
    store.add_feedback("dislike", "test", track=tracks["web"])
    store.add_skips([(tracks["mp3"], 1.0, 2.0)], "mpd")
    counts = _refresh(store, config)
    assert (counts["removed"], counts["kept"]) == (2, 1)  # disliked and skipped; liked
    assert not (lib / "Artist web" / "Artist web - Song web.opus").exists()
    assert foreign.read_text() == "mine"  # never tastebud's to delete
    assert (lib / "keep" / "Artist aac" / "Artist aac - Song aac.m4a").is_file()
    assert not (lib / "Artist mp3").exists()  # skipped: its file and empty folder went
    assert {f.track_id for f in store.library_files()} == {tracks["aac"], tracks["ogg"]}


def test_max_gb_stops_adding_and_the_dashboard_shows_the_library(
    tmp_path: Path, store: Store, tracks: dict[str, int]
) -> None:
    config = _config(tmp_path, size=4, max_gb=1e-9)  # one file is already over the bound
    counts = _refresh(store, config)
    assert counts["added"] == 1
    snap = load_snapshot(store, config, tag_names=[], with_drift=False)
    assert snap.library is not None
    assert snap.library.files == 1
    console = Console(width=100, height=30, record=True, file=io.StringIO())
    console.print(render(snap, 100, 30))
    assert "library 1 files" in console.export_text()


def test_a_new_library_dir_gets_the_files_and_the_old_one_keeps_only_what_is_not_ours(
    tmp_path: Path, store: Store, tracks: dict[str, int]
) -> None:
    config = _config(tmp_path, size=4)
    _refresh(store, config)
    old = tmp_path / "lib"
    mine = old / "Artist web" / "my own notes.txt"
    mine.write_text("mine")
    store.add_feedback("like", "test", track=tracks["aac"])
    _refresh(store, config)  # the liked track's file moves to keep/
    new = tmp_path / "Music" / "tastebud"
    moved = replace(config, library=replace(config.library, dir=str(new)))
    counts = _refresh(store, moved)
    assert (counts["moved"], counts["added"], counts["removed"]) == (4, 0, 0)
    files = sorted(p.relative_to(new).as_posix() for p in new.rglob("*") if p.is_file())
    assert files == [
        "Artist mp3/Artist mp3 - Song mp3.mp3",
        "Artist ogg/Artist ogg - Song ogg.opus",
        "Artist web/Artist web - Song web.opus",
        "keep/Artist aac/Artist aac - Song aac.m4a",
        "tastebud.m3u8",
    ]
    listed = [ln for ln in (new / "tastebud.m3u8").read_text().splitlines() if ln[:1] != "#"]
    assert listed
    assert all((new / rel).is_file() for rel in listed)
    assert all((new / f.path).is_file() for f in store.library_files())
    assert (new / "Artist web").stat().st_mode & 0o777 == 0o755
    left = sorted(p.relative_to(old).as_posix() for p in old.rglob("*"))
    assert left == ["Artist web", "Artist web/my own notes.txt"]  # never tastebud's to move

    (new / "Artist mp3" / "Artist mp3 - Song mp3.mp3").unlink()  # deleted by hand
    again = _refresh(store, moved)
    assert (again["moved"], again["lost"], again["added"]) == (0, 1, 1)
    assert (new / "Artist mp3" / "Artist mp3 - Song mp3.mp3").is_file()


def test_a_wav_candidate_is_stored_losslessly_as_tagged_flac(tmp_path: Path, store: Store) -> None:
    (tmp_path / "src").mkdir()
    track_id = _offer(store, tmp_path, "wav", "wav", seed=7)
    counts = _refresh(store, _config(tmp_path, size=1))
    assert (counts["added"], counts["failed"]) == (1, 0)
    flac = tmp_path / "lib" / "Artist wav" / "Artist wav - Song wav.flac"
    tags = mutagen.File(flac)
    assert tags["ALBUM"] == ["tastebud"]
    assert tags["TITLE"] == ["Song wav"]
    assert tags["COMMENT"][0].startswith("tastebud standing")

    def samples(path: Path) -> np.ndarray:
        with av.open(str(path)) as container:
            return np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)

    wav = samples(tmp_path / "src" / "wav.wav")
    assert wav.dtype == np.int16
    np.testing.assert_array_equal(samples(flac), wav)  # lossless
    assert [f.track_id for f in store.library_files()] == [track_id]
