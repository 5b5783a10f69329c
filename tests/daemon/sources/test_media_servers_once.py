"""``tastebud once`` with only a Jellyfin and a Navidrome history: listens, likes and
dislikes from each, and every heard track analysed from the server's own audio (no
search: ``[fetch] search`` is empty), the credentials never stored."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.audio_helpers import LEAKED_SOCKET_WARNING, synth, write_audio
from tests.cli_helpers import run_cli
from tests.media_servers import FakeJellyfin, FakeSubsonic, running

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)]

TOKEN = "jf-once-SECRET-51aa"
PASSWORD = "nd-once-SECRET-c3d9"


def test_once_learns_from_jellyfin_and_navidrome_and_analyses_their_audio(
    tmp_path: Path,
) -> None:
    with (
        running(FakeJellyfin(TOKEN)) as jellyfin,
        running(FakeSubsonic("ana", PASSWORD)) as navidrome,
    ):
        for i, item in enumerate(jellyfin.items):
            jellyfin.audio[item["Id"]] = write_audio(tmp_path / f"j{i}.flac", synth(20.0, seed=i))
        for i, song in enumerate(navidrome.songs):
            navidrome.audio[song["id"]] = write_audio(
                tmp_path / f"s{i}.ogg", synth(20.0, seed=10 + i)
            )
        config = tmp_path / "config.toml"
        config.write_text(
            f'[storage]\ndir = "{tmp_path / "state"}"\n'
            f'[[history]]\ntype = "jellyfin"\nurl = "{jellyfin.base}"\nuser = "ana"\n'
            f'token = "{TOKEN}"\n'
            f'[[history]]\ntype = "subsonic"\nurl = "{navidrome.base}"\nuser = "ana"\n'
            f'password = "{PASSWORD}"\n'
            '[fetch]\nsearch = ""\nhost_delay_s = 0.0\nsleep_requests_s = 0.0\n'
            "min_duration_s = 1.0\n[library]\nsize = 0\n",
            encoding="utf-8",
        )
        done = run_cli(config, "once", timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    with sqlite3.connect(tmp_path / "state" / "tastebud.db") as conn:
        states = dict(conn.execute("SELECT title, state FROM tracks").fetchall())
        listens = conn.execute("SELECT source, count(*) FROM listens GROUP BY source").fetchall()
        feedback = conn.execute(
            "SELECT t.title, f.kind, f.origin FROM feedback f JOIN tracks t ON t.id = f.track_id"
        ).fetchall()
        urls = [u for (u,) in conn.execute("SELECT url FROM tracks")]
        dump = "\n".join(conn.iterdump())
    assert states == dict.fromkeys(
        ["Roygbiv", "Windowlicker", "Sunday", "Wildfires", "Hold On"], "ready"
    ), log[-4000:]
    assert dict(listens) == {"jellyfin:ana": 2, "subsonic": 2}
    assert ("Roygbiv", "like", "jellyfin") in feedback
    assert ("Sunday", "like", "subsonic") in feedback
    assert ("Wildfires", "dislike", "subsonic") in feedback
    assert all(u.startswith((jellyfin.base, navidrome.base)) for u in urls)
    assert TOKEN not in dump
    assert PASSWORD not in dump
    assert not re.search(r"[?&][tsup]=", " ".join(urls))  # no Subsonic credential stored
    assert TOKEN not in log
    assert PASSWORD not in log
