"""The real daemon as a subprocess: READY, work, SIGHUP, SIGTERM, kill -9 recovery, lock."""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from daemon.demo import DemoPlan, DemoTrack, make_corpus, write_history, write_rss
from daemon.service.once import run_recorded
from store import Store
from tests.cli_helpers import wait_until

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
    threading.Thread(target=server.serve_forever, daemon=True).start()
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


def _start(config: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """The daemon, its output appended to ``daemon.log`` beside the config."""
    with open(config.with_name("daemon.log"), "a", encoding="utf-8") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "--config", str(config), "run"],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )


def _log_path(config: Path) -> Path:
    return config.with_name("daemon.log")


def _log(config: Path) -> str:
    return _log_path(config).read_text(encoding="utf-8")


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


def test_daemon_lifecycle(tmp_path: Path, site: tuple[str, type[_SlowHandler]]) -> None:
    base, _ = site
    config = _config(tmp_path, base)
    sock_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(sock_path))
    notify.settimeout(60)
    proc = _start(config, {"NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "2000000"})
    try:
        first = notify.recv(4096).decode()
        assert "READY=1" in first
        wait_until(
            lambda: _all_ready(tmp_path), 180, "every track fetched and embedded", _log_path(config)
        )
        messages = [notify.recv(4096).decode() for _ in range(3)]
        while "WATCHDOG=1" not in messages and len(messages) < 500:
            messages.append(notify.recv(4096).decode())  # STATUS lines come between
        assert "WATCHDOG=1" in messages

        second = subprocess.run(
            [sys.executable, "-m", "daemon.cli", "--config", str(config), "run"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 1
        assert f"pid {proc.pid}" in second.stderr

        config.write_text(config.read_text() + "[fetch]\nbatch_size = 0\n")
        proc.send_signal(signal.SIGHUP)
        wait_until(
            lambda: "reload failed" in _log(config), 30, "the reload to fail", _log_path(config)
        )
        assert proc.poll() is None  # an invalid config keeps the old one

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        out = _log(config)
        assert proc.returncode == 0, out[-3000:]
        assert time.monotonic() - started < 25
        assert "reload failed, keeping the old config" in out
        assert "Traceback" not in out
    finally:
        notify.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with Store.open(_db(tmp_path)) as store:
        assert store.integrity_check() == "ok"
        assert {r.job for r in store.runs(limit=200)} >= {"poll-history", "poll-feeds", "fetch"}


def test_kill_9_during_fetch_loses_nothing(
    tmp_path: Path, site: tuple[str, type[_SlowHandler]]
) -> None:
    base, handler = site
    handler.delay = 0.2  # about 3 s a file: the kill lands mid-download
    config = _config(tmp_path, base)
    proc = _start(config)
    try:
        wait_until(
            lambda: _states(tmp_path).get("fetching", 0) > 0,
            120,
            "a fetch in progress",
            _log_path(config),
        )
        wait_until(lambda: _partial_bytes(tmp_path), 60, "a download under way", _log_path(config))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    handler.delay = 0.0
    proc = _start(config)
    try:
        wait_until(lambda: _all_ready(tmp_path), 180, "recovery after kill -9", _log_path(config))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0, _log(config)[-3000:]
    with Store.open(_db(tmp_path)) as store:
        assert store.integrity_check() == "ok"
        tracks = store.tracks()
        assert len(tracks) == sum(CORPUS.values())
        assert len({t.url for t in tracks}) == len(tracks)
        assert len(store.embedded_ids("MSD_musicnn")) == len(tracks)
        assert any(r.status == "aborted" for r in store.runs(limit=200))
    partial = [p for p in (tmp_path / "state").rglob("*") if p.name.endswith((".part", ".tmp"))]
    assert partial == []


def test_once_trains_promotes_scores_and_fills_the_queue(
    tmp_path: Path, site: tuple[str, type[_SlowHandler]]
) -> None:
    base, _ = site
    config = _config(tmp_path, base)
    done = subprocess.run(
        [sys.executable, "-m", "daemon.cli", "--config", str(config), "once"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
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
