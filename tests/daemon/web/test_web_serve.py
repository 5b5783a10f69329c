"""The server for real: ``tastebud web`` in the foreground and the same server inside
``tastebud run`` with ``[web] enabled``, over loopback HTTP; what is refused at start."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from store import Store
from tests.cli_helpers import run_cli, start_daemon, wait_until
from tests.daemon.web.webapi import TOKEN, make_scene
from tests.populate import write_config

URL = re.compile(r"(http://127\.0\.0\.1:\d+/)")


@contextmanager
def _serving(
    config: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stop: signal.Signals = signal.SIGTERM,
    code: int = 0,
) -> Iterator[str]:
    """Start ``tastebud --config CONFIG ARGS`` and yield the URL it logs; stop it (``stop``),
    expecting exit ``code``."""
    log_path = config.parent / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "--config", str(config), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            # started with SIGINT ignored, as a parent may leave it: Ctrl-C must still stop it
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    try:
        wait_until(lambda: "web page on" in log_path.read_text(), 120, "the web page", log_path)
        yield URL.findall(log_path.read_text())[-1]
        proc.send_signal(stop)
        assert proc.wait(timeout=60) == code, log_path.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = log_path.read_text()
    assert "Traceback" not in out
    assert TOKEN not in out


def _page_token(html: str) -> str:
    match = re.search(r'name="tastebud-page" content="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_tastebud_web_serves_the_queue_on_loopback(tmp_path: Path) -> None:
    scene = make_scene(tmp_path, '[web]\nlisten = "127.0.0.1:0"\n')
    env = {"TASTEBUD_WEB_TOKEN": TOKEN}
    with _serving(scene.config_path, "web", env=env) as url, httpx.Client(base_url=url) as http:
        page = http.get("/")
        assert page.status_code == 200
        assert "Feed Artist 0" in page.text
        assert TOKEN not in page.text
        queue = http.get("/api/queue?limit=3").json()
        assert [r["id"] for r in queue] == scene.pop.candidate_ids[:1] + [
            r["id"] for r in queue[1:]
        ]
        audio = http.get(f"/api/tracks/{scene.playable}/audio", headers={"Range": "bytes=0-9"})
        assert audio.status_code == 206
        assert audio.content == scene.audio.read_bytes()[:10]
        like = http.post(
            "/api/feedback",
            json={"action": "like", "track": "#1"},
            headers={"X-Tastebud-Page": _page_token(page.text)},
        )
        assert like.json()["track"] == scene.playable
        assert http.get("/api/queue?limit=1").json()[0]["id"] != scene.playable
        bearer = http.post(
            "/api/feedback",
            json={"action": "undo"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert bearer.status_code == 200


def test_ctrl_c_stops_tastebud_web_as_every_command(tmp_path: Path) -> None:
    _, path = write_config(tmp_path, '[web]\nlisten = "127.0.0.1:0"\n')
    with _serving(path, "web", stop=signal.SIGINT, code=130) as url:
        assert httpx.get(url + "api/changes").status_code == 503  # no database yet
    assert "tastebud: interrupted" in (tmp_path / "serve.log").read_text()


def test_tastebud_web_refuses_a_wide_listen_without_a_token(tmp_path: Path) -> None:
    _, path = write_config(tmp_path)
    done = run_cli(path, "web", "--listen", "0.0.0.0:8398")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "0.0.0.0:8398 is not a loopback address and [web] token is not set" in done.stderr
    bad = run_cli(path, "web", "--listen", "8398")
    assert bad.returncode == 1
    assert "--listen '8398' is not HOST:PORT" in bad.stderr


def test_a_taken_port_is_one_line(tmp_path: Path) -> None:
    import socket

    _, path = write_config(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = run_cli(path, "web", "--listen", f"127.0.0.1:{port}")
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize("listen", ["0.0.0.0:8398", "[::]:8398"])
def test_the_daemon_refuses_to_start_with_a_wide_listen_and_no_token(
    tmp_path: Path, listen: str
) -> None:
    _, path = write_config(tmp_path, f'[web]\nenabled = true\nlisten = "{listen}"\n')
    done = run_cli(path, "run")
    assert done.returncode == 1
    assert "is not a loopback address and [web] token is not set" in done.stderr
    assert not (tmp_path / "state" / "tastebud.db").exists()


@pytest.mark.slow  # a daemon subprocess
def test_the_daemon_serves_the_page_when_enabled(tmp_path: Path) -> None:
    config, path = write_config(
        tmp_path,
        '[web]\nenabled = true\nlisten = "127.0.0.1:0"\n[schedule]\nshutdown_timeout_s = 15.0\n',
    )
    with start_daemon(path) as daemon:
        wait_until(lambda: "web page on" in daemon.log_text(), 60, "the web page", daemon.log)
        url = URL.findall(daemon.log_text())[-1]
        with httpx.Client(base_url=url) as http:
            _check_the_daemons_page(http)
        stopped = daemon.stop()
    assert stopped.returncode == 0, stopped.log[-3000:]
    assert "Traceback" not in stopped.log
    with Store.open(config.db_path, readonly=True) as store:
        assert store.runs(limit=1)  # the daemon ran its jobs beside the page


def _check_the_daemons_page(http: httpx.Client) -> None:
    page = http.get("/")
    assert page.status_code == 200
    assert "daemon running" in page.text
    status = http.get("/api/status").json()
    assert status["daemon"]["running"] is True
    undo = http.post(
        "/api/feedback",
        json={"action": "undo"},
        headers={"X-Tastebud-Page": _page_token(page.text)},
    )
    assert undo.status_code == 404
    assert "nothing to undo" in undo.json()["error"]


PROBE = """
import asyncio, sys
import httpx
from daemon.config import load_config
from daemon.sources import config_schemas
from daemon.web import Access, create_app

app = create_app(load_config(sys.argv[1], sources=config_schemas()), Access("127.0.0.1"))

async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for url in sys.argv[2:]:
            assert (await client.get(url)).status_code == 200, url

asyncio.run(main())
print("HEAVY:", ",".join(sorted(m for m in ("torch", "yt_dlp", "av") if m in sys.modules)))
"""


def test_the_page_and_the_api_load_no_torch(tmp_path: Path) -> None:
    """Like the dashboard, the web server never imports torch, yt-dlp or PyAV."""
    scene = make_scene(tmp_path)
    seed = scene.pop.candidate_ids[0]
    urls = ["/", "/api/queue", "/api/status", f"/api/mix?seed={seed}", "/api/export?format=xspf"]
    urls += [f"/parts/track/{seed}", "/parts/side", f"/api/tracks/{seed}/audio"]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(scene.config_path), *urls],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.rsplit("HEAVY:", 1)[1].strip() == ""


def test_a_retry_inside_the_daemon_brings_its_jobs_forward(tmp_path: Path) -> None:
    import datetime as dt

    from daemon.service.daemon import Daemon

    config, _ = write_config(tmp_path)
    daemon = Daemon(config)
    daemon.scheduler = daemon._make_scheduler()
    daemon._schedule_all(first_delay=3600.0)
    daemon.scheduler.start(paused=True)
    try:
        daemon.run_soon(["fetch", "poll-feeds"])
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
        for name in ("fetch", "poll-feeds"):
            assert daemon.scheduler.get_job(name).next_run_time < soon
        assert daemon.scheduler.get_job("train").next_run_time > soon
    finally:
        daemon.scheduler.shutdown(wait=False)
