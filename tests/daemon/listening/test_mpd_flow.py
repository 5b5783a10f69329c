"""The issue's test: ``tastebud once`` fills the library folder and MPD's stored playlist;
a song heard through and one skipped while ``tastebud run`` watches become one listen and
one skip. A once and a daemon subprocess with a real MPD: make test-slow."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import mutagen
import pytest

from daemon.demo import DemoPlan, make_corpus, write_history, write_rss
from store import Store
from tests.audio_helpers import serve_in_thread
from tests.cli_helpers import run_cli, start_daemon, wait_until
from tests.mpd_helpers import MpdServer

CORPUS = {"piano-ballad": 2, "drum-and-bass": 2, "ambient-pad": 2}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def feed_site(tmp_path: Path, demo_candidates: Path) -> Iterator[str]:
    """The corpus's first track per style as history, the rest as an RSS feed."""
    corpus = make_corpus(demo_candidates, CORPUS, seconds=16.0)
    www = tmp_path / "www"
    (www / "audio").mkdir(parents=True)
    for t in corpus:
        (www / "audio" / t.path.name).write_bytes(t.path.read_bytes())
    handler = functools.partial(_Quiet, directory=str(www))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serve_in_thread(server)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    feed = [t for t in corpus if not t.path.stem.endswith("01")]
    write_rss(feed, base, www / "feed.rss")
    history = [t for t in corpus if t not in feed]
    plan = DemoPlan(early_styles=("piano-ballad",), drift_style="ambient-pad", days=10)
    write_history(plan, history, base, tmp_path / "listens.jsonl", time.time())
    yield base
    server.shutdown()
    server.server_close()


def _config(tmp_path: Path, base: str, mpd: MpdServer) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\ndir = "{tmp_path / "state"}"\n'
        f'[[history]]\ntype = "listenbrainz-export"\npath = "{tmp_path / "listens.jsonl"}"\n'
        f'[[feeds]]\ntype = "url"\nname = "feed"\nurl = "{base}/feed.rss"\n'
        "[fetch]\nmin_duration_s = 5.0\nhost_delay_s = 0.0\nsleep_requests_s = 0.0\n"
        "[model]\nsteps = 10\nmin_labels = 1\n"
        f'[library]\ndir = "{mpd.music / "tastebud"}"\nsize = 3\n'
        f'[mpd]\nhost = "127.0.0.1"\nport = {mpd.port}\n'
        "[schedule]\nshutdown_timeout_s = 15.0\n"
    )
    return path


def _played(db: Path) -> tuple[int, int]:
    with Store.open(db, readonly=True) as store:
        listens = sum(1 for _, _, source in store.listens() if source == "mpd")
        return listens, len(store.skips())


@pytest.mark.slow
def test_once_fills_the_library_and_mpd_and_run_learns_plays_and_skips(
    tmp_path: Path, feed_site: str, mpd_server: MpdServer
) -> None:
    config = _config(tmp_path, feed_site, mpd_server)
    log = tmp_path / "daemon.log"
    once = run_cli(config, "once")
    log.write_text(once.stdout + once.stderr)
    assert once.returncode == 0, log.read_text()[-3000:]
    library = mpd_server.music / "tastebud"
    files = sorted(library.rglob("*.opus")) + sorted(library.rglob("*.mp3"))
    files += sorted(library.rglob("*.flac"))
    assert len(files) == 3, log.read_text()[-3000:]
    for file in files:
        tags = mutagen.File(file, easy=True)
        assert tags["album"] == ["tastebud"]
        assert file.name == f"{tags['artist'][0]} - {tags['title'][0]}{file.suffix}"
        assert file.stat().st_mode & 0o777 == 0o644
    m3u8 = (library / "tastebud.m3u8").read_text().splitlines()
    assert sorted(line for line in m3u8 if not line.startswith("#")) == sorted(
        str(f.relative_to(library)) for f in files
    )
    client = mpd_server.client()
    stored = client.listplaylist("tastebud")
    assert sorted(stored) == sorted(f"tastebud/{f.relative_to(library)}" for f in files)

    try:
        with start_daemon(config, log=log) as daemon:
            wait_until(lambda: "watching MPD" in log.read_text(), 60, "the MPD watcher", log)
            client.clear()
            client.load("tastebud")
            client.play(0)
            wait_until(lambda: client.status().get("state") == "play", 10, "playback", log)
            first = client.currentsong()["id"]
            client.seekcur(float(client.status()["duration"]) - 1.5)  # heard through, quickly
            wait_until(
                lambda: client.currentsong().get("id") not in (None, first), 15, "song 2", log
            )
            time.sleep(1.0)
            client.next()  # left after about a second: a skip
            db = tmp_path / "state" / "tastebud.db"
            wait_until(lambda: _played(db) == (1, 1), 20, "one listen and one skip", log)
            stopped = daemon.stop(timeout=30)
    finally:
        client.disconnect()
    assert stopped.returncode == 0, stopped.log[-3000:]
    assert "Traceback" not in stopped.log
