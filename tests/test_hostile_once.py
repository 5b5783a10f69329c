"""``tastebud once`` against servers that misbehave on purpose (endless, trickle, huge,
deeply nested, garbage) beside a good directory feed: it ends in bounded time, each bad
source fails with one line, and the good feed's tracks are analysed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.audio_helpers import synth, write_audio
from tests.hostile import endless, fixed, hostile_server, nested, trickle


@pytest.mark.slow
def test_once_against_hostile_servers_ends_in_bounded_time(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(2):
        write_audio(src / f"Good Artist - Good Song {i}.mp3", synth(65.0, seed=i))
    with hostile_server() as s:
        s.add("/1/user/nested/listens", fixed(nested(200_000)))
        s.add("/1/user/garbage/listens", fixed(b"\xff\xfe\x1b[2J garbage"))
        s.add("/1/user/endless/listens", endless("application/json", b"[1," * 4096))
        s.add("/1/user/trickle/listens", trickle(every_s=0.5))
        s.add("/1/user/huge/listens", fixed(b"[" + b"1," * 3_000_000 + b"1]"))
        feed = s.add("/feed.xml", trickle(b"<rss>" + b" " * 100_000, every_s=0.5))
        users = ("nested", "garbage", "endless", "trickle", "huge")
        history = "".join(
            f'[[history]]\ntype = "listenbrainz"\nuser = "{u}"\nurl = "{s.url("")}"\n'
            for u in users
        )
        config = tmp_path / "config.toml"
        config.write_text(
            f'[storage]\ndir = "{tmp_path / "state"}"\n'
            "[fetch]\nmin_duration_s = 1\nrequest_deadline_s = 2\npoll_deadline_s = 6\n"
            "max_answer_mb = 4\nsocket_timeout_s = 3\nhost_delay_s = 0\n"
            f"{history}"
            f'[[feeds]]\ntype = "url"\nname = "trickle"\nurl = "{feed}"\n'
            f'[[feeds]]\ntype = "directory"\nname = "good"\npath = "{src}"\n'
        )
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "daemon.cli", "--config", str(config), "once"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        took = time.monotonic() - started
    assert took < 120, done.stderr[-3000:]
    assert done.returncode == 1  # the bad sources failed
    assert "Traceback" not in done.stderr
    assert "\x1b" not in done.stdout + done.stderr
    for user in users:
        assert f"history:listenbrainz:{user}: failed" in done.stdout
    assert "feed:trickle: failed" in done.stdout
    with sqlite3.connect(tmp_path / "state" / "tastebud.db") as db:
        (ready,) = db.execute(
            "SELECT count(*) FROM tracks WHERE artist = 'Good Artist' AND state = 'ready'"
        ).fetchone()
    assert ready == 2, done.stderr[-3000:]
