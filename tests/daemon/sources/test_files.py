"""File history: Google Takeout, ListenBrainz exports, and ``tastebud import``."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.cli import main
from daemon.cli.importing import cmd_import
from daemon.config import Config, StorageConfig
from daemon.net import MalformedPayloadError, make_client
from daemon.sources import PollContext
from daemon.sources.importing import detect_type, import_file, located
from daemon.sources.lb_export import ExportConfig, ExportHistory, iter_export
from daemon.sources.takeout import (
    SKIP_AD,
    SKIP_NOT_MUSIC,
    SKIP_REMOVED,
    TakeoutConfig,
    TakeoutHistory,
)
from store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
MUSIC = SAMPLES / "youtube" / "takeout_watch_history_youtube_music.json"
RAW = SAMPLES / "youtube" / "takeout_watch_history_youtube_raw.json"
EXPORT = SAMPLES / "listenbrainz" / "lb_listens_export.jsonl"


def _ctx() -> PollContext:
    return PollContext(make_client(transport=httpx.MockTransport(lambda r: httpx.Response(599))))


def _import(store: Store, path: Path, kind: str, include_youtube: bool = False) -> Any:
    return import_file(store, path, kind, include_youtube=include_youtube, quiet=True)


def test_takeout_music_sample(store: Store) -> None:
    summary = _import(store, MUSIC, "takeout")
    assert (summary.imported, summary.duplicates, sum(summary.skipped.values())) == (12, 0, 0)
    (track,) = store.find_tracks("https://www.youtube.com/watch?v=-e8Nfjl_AKk")
    assert (track.artist, track.title) == ("Sault", "Solar")
    assert store.track_ids_of(track.id)["youtube"] == "-e8Nfjl_AKk"
    times = sorted(t for _, t, _ in store.listens())
    assert times[-1] == 1650910144  # 2022-04-25T18:09:04.784Z
    assert store.find_tracks("Nobuo Uematsu - Eyes on Me (Final Fantasy VIII)")


def test_takeout_raw_sample_counts_removed_videos_and_ads(store: Store) -> None:
    default = _import(store, RAW, "takeout")
    assert default.imported == 0
    assert default.skipped == {SKIP_NOT_MUSIC: 30}
    summary = _import(store, RAW, "takeout", include_youtube=True)
    assert summary.imported == 22
    assert summary.skipped == {SKIP_REMOVED: 6, SKIP_AD: 2}
    (track,) = store.find_tracks("https://www.youtube.com/watch?v=jfKfPfyJRdk")
    assert track.artist == "Lofi Girl"
    assert track.title == "lofi hip hop radio 📚 beats to relax/study to"
    (split,) = store.find_tracks("https://www.youtube.com/watch?v=Qr1PgL79deQ")
    assert split.artist == "Chill Synth / Synthwave / Chillwave Mix"


def test_takeout_without_title_url_and_with_missing_fields(store: Store, tmp_path: Path) -> None:
    entries = [
        {"header": "YouTube Music", "title": "Watched a video that has been removed",
         "time": "2023-01-01T00:00:00Z"},
        {"header": "YouTube Music", "title": "Watched Jóga",
         "titleUrl": "https://music.youtube.com/watch?v=AAAAAAAAAAA",
         "subtitles": [{"name": "Björk - Topic"}], "time": "2023-01-02T10:00:00.5Z"},
        {"header": "YouTube Music", "title": "Watched No time",
         "titleUrl": "https://www.youtube.com/watch?v=BBBBBBBBBBB"},
        "not an object",
    ]  # fmt: skip
    path = tmp_path / "watch-history.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    summary = _import(store, path, "takeout")
    assert summary.imported == 1
    assert summary.skipped == {
        SKIP_REMOVED: 1,
        "malformed: no valid time": 1,
        "malformed: entry is not an object": 1,
    }
    assert store.find_tracks("Björk - Jóga")


def test_export_jsonl_sample_and_zip_layout(store: Store, tmp_path: Path) -> None:
    items = list(iter_export(EXPORT))
    assert len(items) == 2
    summary = _import(store, EXPORT, "listenbrainz-export")
    assert summary.imported == 2
    (golden,) = store.find_tracks("The Stranglers - Golden Brown")
    ids = store.track_ids_of(golden.id)
    assert ids["recording_mbid"] == "c7d0bf6e-b2aa-4ffa-bded-2448415b39b0"
    assert ids["recording_msid"] == "03dcc65c-0e01-4f25-aa1f-0f469d10e2ad"  # inside track_metadata
    assert golden.url is None
    assert golden.duration == pytest.approx(206.76)

    archive = tmp_path / "listenbrainz_ana.zip"
    lines = EXPORT.read_text().splitlines()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("user.json", '{"user_name": "ana"}')
        z.writestr("listens/2025/6.jsonl", lines[0] + "\n")
        z.writestr("listens/2025/7.jsonl", lines[1] + "\n{broken\n")
    with located(archive) as (kind, _):
        assert kind == "listenbrainz-export"
    again = _import(store, archive, "listenbrainz-export")
    assert (again.imported, again.duplicates) == (0, 2)
    assert again.skipped == {"malformed: invalid JSON line": 1}


def test_export_json_array_with_unicode_and_missing_fields(store: Store, tmp_path: Path) -> None:
    listens = [
        {"listened_at": 1, "track_metadata": {"artist_name": "坂本龍一", "track_name": "戦メリ"}},
        {"listened_at": 2, "track_metadata": {"artist_name": "No track name"}},
        {"track_metadata": {"artist_name": "A", "track_name": "No time"}},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(listens, ensure_ascii=False), encoding="utf-8")
    summary = _import(store, path, "listenbrainz-export")
    assert summary.imported == 1
    assert sum(summary.skipped.values()) == 2
    assert store.find_tracks("坂本龍一 - 戦メリ")


def test_detect_type(tmp_path: Path) -> None:
    assert detect_type(MUSIC) == "takeout"
    assert detect_type(EXPORT) == "listenbrainz-export"
    other = tmp_path / "x.json"
    other.write_text('{"hello": 1}')
    with pytest.raises(MalformedPayloadError, match="pass --type"):
        detect_type(other)


def test_file_sources_reread_only_when_the_file_changes(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "watch-history.json"
    shutil.copy(MUSIC, path)
    source = TakeoutHistory(TakeoutConfig(path=str(path)))
    assert source.poll(store, _ctx())["listens"] == 12
    assert source.poll(store, _ctx()) == {"unchanged": 1}
    data = json.loads(path.read_text())
    data.insert(0, {**data[0], "time": "2022-04-26T09:00:00Z"})
    path.write_text(json.dumps(data))
    assert source.poll(store, _ctx()) == {"listens": 1, "duplicates": 12, "skipped": 0}

    export = ExportHistory(ExportConfig(path=str(EXPORT)))
    assert export.poll(store, _ctx())["listens"] == 2


def test_cmd_import_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = Config(storage=StorageConfig(dir=str(tmp_path / "state")))
    args = argparse.Namespace(file=RAW, type=None, include_youtube=True)
    assert cmd_import(config, args) == 0
    out = capsys.readouterr().out
    assert "imported 22 listens, 0 duplicates, 8 skipped" in out
    assert f"skipped 6: {SKIP_REMOVED}" in out
    assert f"skipped 2: {SKIP_AD}" in out
    assert cmd_import(config, args) == 0
    assert "imported 0 listens, 22 duplicates" in capsys.readouterr().out
    with Store.open(config.db_path) as store:
        assert [r.status for r in store.runs("import:takeout")] == ["ok", "ok"]


def test_cli_import_of_a_missing_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndir = "{tmp_path}"\n')
    code = main(["--config", str(config), "import", str(tmp_path / "nope.json")])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "no such file" in err


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2_000_000_000), st.text(min_size=1, max_size=12)),
        max_size=25,
    )
)
def test_importing_twice_equals_importing_once(rows: list[tuple[int, str]]) -> None:
    listens = [
        {"listened_at": ts, "track_metadata": {"artist_name": "Ärtist", "track_name": f"{name}!"}}
        for ts, name in rows
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.jsonl"
        path.write_text("\n".join(json.dumps(x) for x in listens), encoding="utf-8")
        with Store.open(Path(tmp) / "a.db") as once, Store.open(Path(tmp) / "b.db") as twice:
            _import(once, path, "listenbrainz-export")
            _import(twice, path, "listenbrainz-export")
            second = _import(twice, path, "listenbrainz-export")
            assert second.imported == 0
            assert sorted(once.listens()) == sorted(twice.listens())
