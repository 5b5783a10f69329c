"""The real daemon as a subprocess: READY, work, SIGHUP, SIGTERM, kill -9 recovery, lock.
The subprocess tests take seconds of fetching, training and waiting each: make test-slow."""

from __future__ import annotations

import functools
import signal
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from daemon.demo import DemoPlan, DemoTrack, make_corpus, write_history, write_rss
from daemon.service.once import run_recorded
from store import Store
from tests.audio_helpers import serve_in_thread
from tests.cli_helpers import run_cli, start_daemon, wait_until

CORPUS = {"piano-ballad": 2, "drum-and-bass": 2, "ambient-pad": 2}
SECONDS = 16.0


class _SlowHandler(SimpleHTTPRequestHandler):
    """Serves files in small chunks with pauses, so a download takes seconds."""

    delay = 0.0

    def log_message(self, format: str, *args: object) -> None:
        pass

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        while chunk := source.read(16 * 1024):
            outputfile.write(chunk)
            time.sleep(self.delay)


@pytest.fixture(scope="module")
def corpus(demo_candidates: Path) -> list[DemoTrack]:
    # The end-to-end test's corpus (same styles first, seconds and seed): made once a session.
    return make_corpus(demo_candidates, CORPUS, seconds=SECONDS)


@pytest.fixture
def site(tmp_path: Path, corpus: list[DemoTrack]) -> Iterator[tuple[str, type[_SlowHandler]]]:
    www = tmp_path / "www"
    (www / "audio").mkdir(parents=True)
    for t in corpus:
        (www / "audio" / t.path.name).write_bytes(t.path.read_bytes())
    handler = type("Handler", (_SlowHandler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(www)))
    serve_in_thread(server)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    feed = [t for t in corpus if not t.path.name.endswith("01" + t.path.suffix)]
    history = [
        DemoTrack(t.style, t.artist, t.title, www / "audio" / t.path.name)
        for t in corpus
        if t not in feed
    ]
    write_rss(feed, base, www / "feed.rss")
    plan = DemoPlan(
        early_styles=("piano-ballad", "drum-and-bass"),
        drift_style="ambient-pad",
        days=20,
        drift_days=5,
        listens_per_day=1,
    )
    write_history(plan, history, base, tmp_path / "listens.jsonl", time.time())
    yield base, handler
    server.shutdown()
    server.server_close()


def _config(tmp_path: Path, base: str, **fetch: float) -> Path:
    extra = "".join(f"{k} = {v}\n" for k, v in fetch.items())
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\ndir = "{tmp_path / "state"}"\n'
        f'[[history]]\ntype = "listenbrainz-export"\npath = "{tmp_path / "listens.jsonl"}"\n'
        f'[[feeds]]\ntype = "url"\nname = "feed"\nurl = "{base}/feed.rss"\n'
        "[fetch]\nmin_duration_s = 5.0\nhost_delay_s = 0.0\nsleep_requests_s = 0.0\n"
        f"batch_size = 50\n{extra}"
        "[model]\nsteps = 20\nmin_labels = 1\n"
        "[schedule]\nhistory_minutes = 0.02\nfeeds_minutes = 0.02\nfetch_minutes = 0.02\n"
        "train_minutes = 0.05\nplaylists_minutes = 0.05\nshutdown_timeout_s = 15.0\n"
    )
    return path


def _db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "tastebud.db"


def _states(tmp_path: Path) -> dict[str, int]:
    if not _db(tmp_path).exists():
        return {}
    with Store.open(_db(tmp_path)) as store:
        return store.state_counts()


def _partial_bytes(tmp_path: Path) -> bool:
    partial = tmp_path / "state" / "cache" / "audio" / ".partial"
    return any(p.is_file() and p.stat().st_size > 0 for p in partial.rglob("*"))


def _all_ready(tmp_path: Path) -> bool:
    states = _states(tmp_path)
    return states.get("ready", 0) == sum(CORPUS.values())


@pytest.mark.slow
def test_daemon_lifecycle(tmp_path: Path, site: tuple[str, type[_SlowHandler]]) -> None:
    base, _ = site
    config = _config(tmp_path, base)
    with start_daemon(config, env={"WATCHDOG_USEC": "2000000"}) as daemon:
        assert len(daemon.ready) == 1  # READY=1 comes before any job's STATUS= line
        wait_until(
            lambda: _all_ready(tmp_path), 180, "every track fetched and embedded", daemon.log
        )
        daemon.notifications("WATCHDOG=1")  # STATUS lines come between

        second = run_cli(config, "run", timeout=60)
        assert second.returncode == 1
        assert f"pid {daemon.pid}" in second.stderr

        config.write_text(config.read_text() + "[fetch]\nbatch_size = 0\n")
        daemon.send(signal.SIGHUP)
        wait_until(
            lambda: "reload failed" in daemon.log_text(), 30, "the reload to fail", daemon.log
        )
        assert daemon.running()  # an invalid config keeps the old one

        started = time.monotonic()
        stopped = daemon.stop(timeout=30)
    assert stopped.returncode == 0, stopped.log[-3000:]
    assert time.monotonic() - started < 25
    assert "reload failed, keeping the old config" in stopped.log
    assert "Traceback" not in stopped.log
    with Store.open(_db(tmp_path)) as store:
        assert store.integrity_check() == "ok"
        assert {r.job for r in store.runs(limit=200)} >= {"poll-history", "poll-feeds", "fetch"}


@pytest.mark.slow
def test_kill_9_during_fetch_loses_nothing(
    tmp_path: Path, site: tuple[str, type[_SlowHandler]]
) -> None:
    base, handler = site
    handler.delay = 0.2  # about 3 s a file: the kill lands mid-download
    config = _config(tmp_path, base)
    with start_daemon(config) as daemon:
        wait_until(
            lambda: _states(tmp_path).get("fetching", 0) > 0, 120, "a fetch in progress", daemon.log
        )
        wait_until(lambda: _partial_bytes(tmp_path), 60, "a download under way", daemon.log)
        daemon.kill()
    handler.delay = 0.0
    with start_daemon(config) as daemon:
        wait_until(lambda: _all_ready(tmp_path), 180, "recovery after kill -9", daemon.log)
        stopped = daemon.stop()
    assert stopped.returncode == 0, stopped.log[-3000:]
    with Store.open(_db(tmp_path)) as store:
        assert store.integrity_check() == "ok"
        tracks = store.tracks()
        assert len(tracks) == sum(CORPUS.values())
        assert len({t.url for t in tracks}) == len(tracks)
        assert len(store.embedded_ids("MSD_musicnn")) == len(tracks)
        assert any(r.status == "aborted" for r in store.runs(limit=200))
    partial = [p for p in (tmp_path / "state").rglob("*") if p.name.endswith((".part", ".tmp"))]
    assert partial == []


@pytest.mark.slow
def test_once_trains_promotes_scores_and_fills_the_queue(
    tmp_path: Path, site: tuple[str, type[_SlowHandler]]
) -> None:
    base, _ = site
    config = _config(tmp_path, base)
    done = run_cli(config, "once")
    assert done.returncode == 0, done.stderr[-3000:]
    with Store.open(_db(tmp_path)) as store:
        champion = store.champion()
        assert champion is not None
        queue = store.queue(10)
        assert len(queue) == 3  # the feed's three tracks, none listened
        assert all(e.score is not None for e in queue)
        assert {r.job for r in store.runs(limit=50)} >= {
            "poll-history",
            "poll-feeds",
            "fetch",
            "train",
            "playlists",
        }
        assert all(r.status == "ok" for r in store.runs(limit=5))


def test_a_job_whose_run_cannot_be_recorded_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Store.open(tmp_path / "t.db") as store:

        def makes_writes_fail() -> dict[str, int]:
            store.conn.execute("PRAGMA query_only = ON")  # every write now fails
            return {"items": 1}

        assert not run_recorded(store, "fetch", makes_writes_fail)
        assert not run_recorded(store, "train", dict)
        store.conn.execute("PRAGMA query_only = OFF")
        assert [r.status for r in store.runs()] == ["running"]  # the first, never finished
    messages = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert messages[0].startswith(f"job fetch: cannot record its run: database {tmp_path}")
    assert messages[1].startswith("job train not started: database")
