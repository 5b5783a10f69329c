"""With only a ListenBrainz history configured, ``tastebud once`` fills the queue from
discoveries: similar artists' top recordings and fresh releases found on loopback
ListenBrainz APIs, resolved by a search (a loopback feed of search results standing in
for ``ytsearch``), downloaded, analysed and queued."""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path

import pytest

from tests.audio_helpers import (
    LEAKED_SOCKET_WARNING,
    Route,
    loopback_server,
    rss_feed,
    synth,
    write_audio,
)
from tests.cli_helpers import run_cli
from tests.media_servers import FakeDiscovery, running

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)]

# (artist - title, the length ListenBrainz gives, as the search result says it)
DISCOVERED = {
    "Michael Jackson - world.execute(me);": 212.0,
    "a-ha - world.execute(me);": 212.0,
    "a-ha - Summer Moved On (Live at the Harbour)": 20.0,
    "Michael Jackson - String Theocracy": 174.0,
}
HEARD = ("Rick Astley - Never Gonna Give You Up", "Rick Astley - Together Forever")


def _listen(ts: int, label: str) -> dict[str, object]:
    artist, title = label.split(" - ", 1)
    meta = {"artist_name": artist, "track_name": title, "additional_info": {}}
    return {"listened_at": ts, "recording_msid": f"msid-{ts}", "track_metadata": meta}


def test_once_fills_the_queue_from_discoveries(tmp_path: Path) -> None:
    now = int(time.time())
    listens = [_listen(now - 3600 * (i + 1), label) for i, label in enumerate(HEARD)]
    with running(FakeDiscovery(listens)) as apis, loopback_server() as web:
        results = []
        for i, (label, length) in enumerate({**DISCOVERED, **dict.fromkeys(HEARD, 20.0)}.items()):
            audio = write_audio(tmp_path / f"{i}.ogg", synth(20.0, seed=i))
            results.append((label, web.add_file(audio, name=f"{i}.ogg"), "audio/ogg", length))
        web.add("search", Route(rss_feed(results), "application/rss+xml", []))
        config = tmp_path / "config.toml"
        config.write_text(
            f'[storage]\ndir = "{tmp_path / "state"}"\n'
            f'[[history]]\ntype = "listenbrainz"\nuser = "ana"\nurl = "{apis.base}"\n'
            f'[discover]\nlabs_url = "{apis.base}"\nper_day = 4\n'
            f'[fetch]\nsearch = "{web.url("search?q=")}"\nhost_delay_s = 0.0\n'
            "sleep_requests_s = 0.0\nmin_duration_s = 1.0\n"
            "[library]\nsize = 0\n",
            encoding="utf-8",
        )
        done = run_cli(config, "once", timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    queue = run_cli(config, "queue", "--json")
    rows = json.loads(queue.stdout)
    labels = {f"{row['artist']} - {row['title']}" for row in rows}
    assert labels == set(DISCOVERED), done.stderr[-6000:]
    assert {row["feed"] for row in rows} == {"discover:listenbrainz:ana"}
    doctor = run_cli(config, "doctor")
    assert "discover" in doctor.stdout + doctor.stderr
    gc.collect()
