"""Recording MBIDs for tracks known by name only, from ListenBrainz's metadata lookup on a
loopback stand-in: a JSPF export keeps the tracks it finds (cached: asked once), a match
whose names disagree is not taken, and liked tracks are pushed with the MBID found."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from daemon.cli import main
from daemon.net import RetryPolicy, make_client
from daemon.sources import PollContext
from daemon.sources.listenbrainz import ListenBrainzConfig, ListenBrainzHistory
from store import Store, TrackRef

MBIDS = {  # (artist, recording) ListenBrainz matches -> its answer
    ("Boards of Canada", "Roygbiv"): {
        "recording_mbid": "7E4BB014-51D5-4943-ADB1-683E066A5220",
        "recording_name": "Roygbiv",
        "artist_credit_name": "Boards of Canada",
        "release_mbid": "f8e4b3a6-8b0a-4a7b-9b33-3c3c5e9b5b1a",
        "release_name": "Music Has the Right to Children",
        "artist_mbids": ["69158f97-4c07-4c4e-baf8-4e4ab1ed666e"],
    },
    ("Aphex Twin", "Xtal"): {  # a loose match: another recording, not taken
        "recording_mbid": "11111111-2222-3333-4444-555555555555",
        "recording_name": "Avril 14th",
        "artist_credit_name": "Aphex Twin",
    },
}


class FakeListenBrainz(ThreadingHTTPServer):
    """/1/metadata/lookup/ as documented (``{}`` for no match, 400 without a name), and what
    a listenbrainz source's poll asks."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lookups: list[tuple[str, str]] = []
        self.pushed: list[dict[str, Any]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeListenBrainz

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/1/metadata/lookup/":
            artist, title = query.get("artist_name"), query.get("recording_name")
            if not artist or not title:
                self._json(400, {"code": 400, "error": "artist_name is invalid"})
                return
            self.server.lookups.append((artist, title))
            self._json(200, MBIDS.get((artist, title), {}))
        elif url.path == "/1/user/ana/listens":
            self._json(200, {"payload": {"count": 0, "listens": [], "user_id": "ana"}})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/1/feedback/recording-feedback":
            self.server.pushed.append(body)
            self._json(200, {"status": "ok"})
        else:
            self._json(404, {"error": "not found"})


@pytest.fixture
def listenbrainz() -> Iterator[FakeListenBrainz]:
    server = FakeListenBrainz()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _queue(store: Store, names: list[tuple[str, str]]) -> list[int]:
    refs = [
        TrackRef("feed", artist=a, title=t, url=f"https://yt/{i}") for i, (a, t) in enumerate(names)
    ]
    store.add_feed_items("feed", refs)
    ids = [store.find_tracks(r.url or "")[0].id for r in refs]
    for track_id in ids:
        store.mark_track(track_id, "ready")
    store.put_scores(None, [(t, 1.0 - i / 10) for i, t in enumerate(ids)])
    return ids


def test_a_jspf_export_looks_up_recording_ids_once(
    tmp_path: Path, listenbrainz: FakeListenBrainz, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\ndir = "{tmp_path / "state"}"\n'
        f'[[history]]\ntype = "listenbrainz"\nuser = "ana"\nurl = "{listenbrainz.base}"\n'
    )
    with Store.open(tmp_path / "state" / "tastebud.db") as store:
        _queue(store, [("Boards of Canada", "Roygbiv"), ("Aphex Twin", "Xtal"), ("Nobody", "Nix")])
    out = tmp_path / "top.jspf"
    args = ["--config", str(config), "export", "--format", "jspf", "--out", str(out)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "recording ids looked up at ListenBrainz: 1 found, 2 unknown" in err
    assert "left out 2 of 3 tracks without a MusicBrainz recording id" in err
    (track,) = json.loads(out.read_text())["playlist"]["track"]
    assert track["identifier"] == [
        "https://musicbrainz.org/recording/7e4bb014-51d5-4943-adb1-683e066a5220"
    ]
    assert len(listenbrainz.lookups) == 3
    assert main(args) == 0  # again: every answer, a miss too, comes from the cache
    assert len(listenbrainz.lookups) == 3


def test_a_like_of_a_track_without_ids_is_pushed_with_the_mbid_found(
    store: Store, listenbrainz: FakeListenBrainz
) -> None:
    (track_id,) = _queue(store, [("Boards of Canada", "Roygbiv")])
    store.give_feedback("like", "dashboard", track=track_id)
    conf = ListenBrainzConfig(
        user="ana",
        url=listenbrainz.base,
        token="s3cret",
        push_feedback=True,
        feedback=False,
    )
    policy = RetryPolicy(attempts=1, backoff_s=0.0, min_interval_s=0.0)
    with make_client() as client:
        counts = ListenBrainzHistory(conf).poll(store, PollContext(client, policy))
    assert counts["pushed"] == 1
    assert listenbrainz.pushed == [
        {"score": 1, "recording_mbid": "7e4bb014-51d5-4943-adb1-683e066a5220"}
    ]
    assert store.track_ids_of(track_id)["recording_mbid"] == "7e4bb014-51d5-4943-adb1-683e066a5220"


def test_without_a_listenbrainz_source_nothing_is_asked(
    tmp_path: Path, listenbrainz: FakeListenBrainz, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n')
    with Store.open(tmp_path / "state" / "tastebud.db") as store:
        _queue(store, [("Boards of Canada", "Roygbiv")])
    out = tmp_path / "top.jspf"
    assert main(["--config", str(config), "export", "--format", "jspf", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "recording ids are not looked up: no ListenBrainz source in the config" in err
    assert listenbrainz.lookups == []
