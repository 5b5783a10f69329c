"""The preview: a track's audio from the library folder or the cache, with range requests,
and nothing outside those folders whatever the path, the manifest or a link says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from store import Store
from tests.daemon.web.webapi import Api, Scene


def test_a_library_file_plays_with_its_type(api: Api, scene: Scene) -> None:
    response = api.get(f"/api/tracks/{scene.playable}/audio")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/ogg"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.content == scene.audio.read_bytes()


def test_range_requests(api: Api, scene: Scene) -> None:
    data = scene.audio.read_bytes()
    part = api.get(f"/api/tracks/{scene.playable}/audio", headers={"Range": "bytes=100-299"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-299/{len(data)}"
    assert part.content == data[100:300]
    tail = api.get(f"/api/tracks/{scene.playable}/audio", headers={"Range": "bytes=-50"})
    assert tail.status_code == 206
    assert tail.content == data[-50:]
    beyond = api.get(
        f"/api/tracks/{scene.playable}/audio", headers={"Range": f"bytes={len(data) + 10}-"}
    )
    assert beyond.status_code == 416


def test_a_cached_file_plays(api: Api, scene: Scene) -> None:
    other = scene.pop.candidate_ids[2]
    cache = scene.config.cache_dir / "audio"
    cache.mkdir(parents=True)
    (cache / f"{other}.mp3").write_bytes(b"ID3 not really an mp3")
    response = api.get(f"/api/tracks/{other}/audio")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/mpeg"
    assert next(r for r in api.get("/api/queue").json() if r["id"] == other)["audio"] is True


def test_a_track_without_a_file(api: Api, scene: Scene) -> None:
    response = api.get(f"/api/tracks/{scene.pop.candidate_ids[1]}/audio")
    assert response.status_code == 404
    assert "only those are served" in response.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/tracks/../../../../etc/passwd/audio",
        "/api/tracks/%2e%2e%2f%2e%2e%2fetc%2fpasswd/audio",
        "/api/tracks/..%2F..%2F..%2Fetc%2Fpasswd/audio",
        "/api/tracks/1%2F..%2F..%2Fconfig.toml/audio",
        "/api/tracks/-1/audio",
        "/api/tracks/1e3/audio",
        "/static/../config.toml",
        "/static/%2e%2e/%2e%2e/%2e%2e/config.toml",
        "/static/..%2F..%2F..%2Fapi.py",
    ],
)
def test_a_path_cannot_climb_out(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404, response.text[:200]
    assert b"[storage]" not in response.content
    assert b"root:" not in response.content


def test_a_manifest_entry_or_a_link_pointing_outside_is_ignored(
    api: Api, scene: Scene, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.ogg"
    secret.write_bytes(b"private audio")
    climbing, linked, absolute = scene.pop.candidate_ids[2:5]
    link = scene.config.library_dir / "link.ogg"
    os.symlink(secret, link)
    cache = scene.config.cache_dir / "audio"
    cache.mkdir(parents=True)
    os.symlink(secret, cache / f"{linked}.ogg")
    with Store.open(scene.config.db_path) as store:
        store.put_library_file(climbing, "../../secret.ogg", 13, kept=False)
        store.put_library_file(linked, "link.ogg", 13, kept=False)
        store.put_library_file(absolute, str(secret), 13, kept=False)
    for track in (climbing, linked, absolute):
        response = api.get(f"/api/tracks/{track}/audio")
        assert response.status_code == 404, track
        assert b"private audio" not in response.content


def test_a_file_that_is_not_audio_is_not_served(api: Api, scene: Scene) -> None:
    track = scene.pop.candidate_ids[2]
    (scene.config.library_dir / "notes.txt").write_text("not audio", encoding="utf-8")
    with Store.open(scene.config.db_path) as store:
        store.put_library_file(track, "notes.txt", 9, kept=False)
    assert api.get(f"/api/tracks/{track}/audio").status_code == 404
