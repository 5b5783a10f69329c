"""``tastebud export`` and the [[playlists]] refresh, on a real populated SQLite file."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import Config
from daemon.playlists.export import playlist_entries, playlist_path, refresh_playlists
from daemon.playlists.formats import FORMATS, parse_playlist
from store import Store, TrackRef
from tests.populate import Population, populate
from tests.populate import write_config as _config

TAGS = tuple(f"tag{i}" for i in range(50))


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Config, Path, Population]:
    config, path = _config(tmp_path)
    with Store.open(config.db_path) as store:
        pop = populate(store)
    return config, path, pop


def _expected_order(store: Store, config: Config, limit: int) -> list[int]:
    queue = store.queue(limit, per_artist=config.queue.per_artist, window=config.queue.window)
    return [q.track.id for q in queue]


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_writes_the_queue_and_marks_it_exported(
    filled: tuple[Config, Path, Population], tmp_path: Path, fmt: str
) -> None:
    config, path, pop = filled
    out = tmp_path / f"mine.{fmt}"
    assert main(["--config", str(path), "export", "--format", fmt, "--out", str(out)]) == 0
    parsed = parse_playlist(fmt, out.read_text(encoding="utf-8"))
    with Store.open(config.db_path) as store:
        expected = _expected_order(store, config, 50)
        states = store.queue_states()
    if fmt == "jspf":  # ListenBrainz takes only tracks with a recording MBID
        expected = [tid for tid in expected if tid == pop.mbid_track_id]
    urls = {pop.candidates[tid].url: tid for tid in pop.candidate_ids}
    assert [urls[p.url] for p in parsed] == expected
    assert [p.rank for p in parsed] == list(range(1, len(expected) + 1))
    assert {tid for tid, s in states.items() if s["exported_to"] == "mine"} == set(expected)
    assert pop.disliked_id not in expected
    assert pop.blocked_id not in expected
    assert not list(out.parent.glob(".*.tmp"))


def test_json_export_carries_standings_tags_and_mbids(
    filled: tuple[Config, Path, Population], capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, pop = filled
    assert main(["--config", str(path), "export", "--format", "json", "--limit", "8"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 8
    for row in rows:
        assert row["standing"] == pytest.approx(pop.scores[row["track_id"]])
        assert row["model_version"] == pop.champion
        assert row["feed"] == "discover"
        assert len(row["tags"]) == 3
    assert [r["standing"] for r in rows] == sorted((r["standing"] for r in rows), reverse=True)
    by_id = {r["track_id"]: r for r in rows}
    assert by_id[pop.mbid_track_id]["recording_mbid"] == pop.candidates[pop.mbid_track_id].ids.get(
        "recording_mbid"
    )
    with Store.open(config.db_path) as store:
        assert not any(s["exported_at"] for s in store.queue_states().values())
        reasons = store.reasons([r["track_id"] for r in rows])
    for row in rows:
        because = reasons[row["track_id"]]
        assert row["because"]["like"] == because.fields()["like"]
        assert row["because"]["tags"] == list(because.tags)
        assert row["because"]["text"] == because.text(pop.now)  # ages in whole units


@pytest.mark.parametrize("fmt", ["xspf", "csv", "jspf"])
def test_every_export_but_m3u8_says_why(
    filled: tuple[Config, Path, Population], tmp_path: Path, fmt: str
) -> None:
    config, path, pop = filled
    out = tmp_path / f"why.{fmt}"
    assert main(["--config", str(path), "export", "--format", fmt, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    parsed = parse_playlist(fmt, text)
    assert parsed
    with Store.open(config.db_path) as store:
        reasons = store.reasons([p.track_id for p in parsed if p.track_id])
    for entry in parsed:
        assert entry.because == reasons[entry.track_id].text(pop.now)
    if fmt == "xspf":
        assert f"<annotation>{parsed[0].because}</annotation>" in text


def test_min_standing_leaves_out_lower_standings(filled: tuple[Config, Path, Population]) -> None:
    config, _, pop = filled
    with Store.open(config.db_path) as store:
        entries = playlist_entries(store, config, limit=50, min_standing=0.6, tag_names=TAGS)
    assert entries
    assert all(e.standing is not None and e.standing >= 0.6 for e in entries)
    kept = {tid for tid, s in pop.scores.items() if s >= 0.6}
    assert {e.track_id for e in entries} <= kept
    assert [e.rank for e in entries] == list(range(1, len(entries) + 1))


def test_export_without_database_says_how_to_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, path = _config(tmp_path)
    assert main(["--config", str(path), "export"]) == 1
    err = capsys.readouterr().err
    assert "no database at" in err
    assert "tastebud run" in err
    assert len(err.strip().splitlines()) == 1


def test_refresh_playlists_writes_stable_files(tmp_path: Path) -> None:
    extra = (
        '[[playlists]]\nname = "top"\nformat = "xspf"\nlimit = 3\n'
        f'[[playlists]]\nname = "all"\nformat = "csv"\npath = "{tmp_path / "all.csv"}"\n'
    )
    config, _ = _config(tmp_path, extra)
    with Store.open(config.db_path) as store:
        populate(store)
        first = refresh_playlists(store, config)
        states = store.queue_states()
        second = refresh_playlists(store, config)
        assert store.queue_states() == states  # a refresh keeps each track's first export
    assert first == second == [config.state_dir / "playlists" / "top.xspf", tmp_path / "all.csv"]
    assert playlist_path(config, config.playlists[0]) == first[0]
    top = parse_playlist("xspf", first[0].read_text(encoding="utf-8"))
    every = parse_playlist("csv", first[1].read_text(encoding="utf-8"))
    assert len(top) == 3
    assert [e.track_id for e in every[:3]] == [e.track_id for e in top]
    exported = {tid: s["exported_to"] for tid, s in states.items()}
    assert {tid for tid, where in exported.items() if where == "top"} == {e.track_id for e in top}
    assert {tid for tid, where in exported.items() if where == "all"} == {
        e.track_id for e in every[3:]
    }


def test_refresh_goes_on_after_a_failing_playlist(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    extra = (
        f'[[playlists]]\nname = "bad"\npath = "{blocker / "x.m3u8"}"\n'
        '[[playlists]]\nname = "good"\n'
    )
    config, _ = _config(tmp_path, extra)
    with Store.open(config.db_path) as store:
        populate(store)
        with pytest.raises(Exception, match="playlists not written: bad"):
            refresh_playlists(store, config)
    assert (config.state_dir / "playlists" / "good.m3u8").exists()


def test_export_while_another_connection_writes(tmp_path: Path) -> None:
    config, path = _config(tmp_path)
    with Store.open(config.db_path) as store:
        populate(store, n_candidates=8)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        with Store.open(config.db_path) as w:
            for i in range(300):
                if stop.is_set():
                    return
                ref = TrackRef(source="feed", artist=f"Live {i}", title="x", url=f"https://l/{i}")
                w.add_feed_items("live", [ref])
                tid = w.find_tracks(ref.url or "")[0].id
                w.mark_track(tid, "ready")
                w.put_scores(None, [(tid, 0.99)])
                written.append(tid)
                stop.wait(0.002)  # the daemon writes in bursts, not in a busy loop

    thread = threading.Thread(target=writer)
    thread.start()
    exports = 0
    try:
        while thread.is_alive() or exports < 10:
            exports += 1
            out = tmp_path / "live.xspf"
            args = ["--config", str(path), "export", "--format", "xspf", "--out", str(out)]
            assert main([*args, "--limit", "40", "--name", "live"]) == 0
            parsed = parse_playlist("xspf", out.read_text(encoding="utf-8"))
            assert len(parsed) >= 6
            assert len({p.url for p in parsed}) == len(parsed)
    finally:
        stop.set()
        thread.join()
    assert len(written) == 300
    with Store.open(config.db_path) as store:
        assert any(s["exported_to"] == "live" for s in store.queue_states().values())
