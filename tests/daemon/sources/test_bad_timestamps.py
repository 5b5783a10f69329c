"""One listen with an impossible time is skipped with a reason; the other listens are stored."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from daemon.cli import main
from daemon.config import Secret
from daemon.net import MalformedPayloadError, RetryPolicy, make_client
from daemon.sources import PollContext
from daemon.sources._parse import as_timestamp
from daemon.sources.lastfm import LastfmConfig, LastfmHistory
from daemon.sources.listenbrainz import ListenBrainzConfig, ListenBrainzHistory
from daemon.sources.takeout import parse_entry
from store import ListenIn, Store

POLICY = RetryPolicy(attempts=1, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)
GOOD = [1_600_000_000 + 60 * i for i in range(11)]
# As they appear in the JSON text: what Python's json module reads them as is the point.
BAD = {
    "overflow": "1e999",
    "nan": "NaN",
    "2**63": str(2**63),
    "string": '"yesterday"',
    "null": "null",
    "fraction": "1600000000.5",
    "negative": "-60",
    "future": str(int(time.time()) + 3 * 86400),
}


def _listen_text(stamp: str, n: int) -> str:
    meta = {"artist_name": "Sault", "track_name": f"Song {n}", "recording_msid": f"m{n}"}
    return f'{{"listened_at": {stamp}, "track_metadata": {json.dumps(meta)}}}'


def _listens_text(bad: str) -> list[str]:
    return [_listen_text(str(t), n) for n, t in enumerate(GOOD)] + [_listen_text(bad, 99)]


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_as_timestamp_refuses_it(bad: str) -> None:
    with pytest.raises(MalformedPayloadError, match="listened_at"):
        as_timestamp(json.loads(bad), "listened_at")


def test_as_timestamp_takes_whole_seconds_as_number_float_or_string() -> None:
    assert as_timestamp(1_600_000_000, "t") == as_timestamp("1600000000", "t") == 1_600_000_000
    assert as_timestamp(1_600_000_000.0, "t") == 1_600_000_000
    assert as_timestamp(1_000_086_400, "t", now=1_000_000_000) == 1_000_086_400
    with pytest.raises(MalformedPayloadError, match="more than a day ahead"):
        as_timestamp(1_000_086_401, "t", now=1_000_000_000)


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_import_of_an_export_keeps_the_good_listens(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "listens.jsonl"
    export.write_text("\n".join(_listens_text(bad)) + "\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndir = "{tmp_path}"\n')
    assert main(["--config", str(config), "import", str(export)]) == 0
    out, err = capsys.readouterr()
    assert "imported 11 listens, 0 duplicates, 1 skipped" in out
    assert re.search(r"skipped 1: malformed: .*listened_at", out)
    assert "Traceback" not in err
    with Store.open(tmp_path / "tastebud.db") as store:
        assert sorted(t for _, t, _ in store.listens()) == GOOD


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_listenbrainz_api_page_keeps_the_good_listens(bad: str, store: Store) -> None:
    listens = list(reversed(_listens_text(bad)))  # newest first, the bad one first
    body = '{"payload": {"count": 12, "listens": [' + ",".join(listens) + "]}}"

    def api(req: httpx.Request) -> httpx.Response:
        if req.url.path.endswith("/listens"):
            return httpx.Response(200, content=body.encode())
        return httpx.Response(200, json={"feedback": []})

    conf = ListenBrainzConfig(user="ana", url="http://127.0.0.1:9")
    with make_client(transport=httpx.MockTransport(api)) as client:
        counts = ListenBrainzHistory(conf).poll(store, PollContext(client, POLICY))
    assert counts == {"listens": 11, "duplicates": 0, "skipped": 1, "feedback": 0}
    assert sorted(t for _, t, _ in store.listens()) == GOOD
    assert store.get_cursor("history:listenbrainz:ana") == str(GOOD[-1])


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_listenbrainz_feedback_with_a_bad_created_is_skipped(bad: str, store: Store) -> None:
    items = [f'{{"created": {t}, "recording_mbid": "mb-{t}", "score": 1}}' for t in GOOD]
    items.append(f'{{"created": {bad}, "recording_mbid": "mb-bad", "score": 1}}')

    def api(req: httpx.Request) -> httpx.Response:
        if req.url.path.endswith("/listens"):
            return httpx.Response(200, json={"payload": {"count": 0, "listens": []}})
        chosen = items if req.url.params["score"] == "1" else []
        return httpx.Response(200, content=('{"feedback": [' + ",".join(chosen) + "]}").encode())

    conf = ListenBrainzConfig(user="ana", url="http://127.0.0.1:9")
    with make_client(transport=httpx.MockTransport(api)) as client:
        counts = ListenBrainzHistory(conf).poll(store, PollContext(client, POLICY))
    assert counts["feedback"] == 11
    assert store.get_cursor("history:listenbrainz:ana:feedback") == str(GOOD[-1])


def _scrobble_text(uts: str, n: int) -> str:
    item: dict[str, Any] = {"artist": {"#text": "Lera Lynn"}, "name": f"Track {n}"}
    return json.dumps(item)[:-1] + f', "date": {{"uts": {uts}}}}}'


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_lastfm_page_keeps_the_good_scrobbles(bad: str, store: Store) -> None:
    tracks = [_scrobble_text(f'"{t}"', n) for n, t in enumerate(GOOD)] + [_scrobble_text(bad, 99)]
    attr = '"@attr": {"page": "1", "totalPages": "1"}'
    body = '{"recenttracks": {"track": [' + ",".join(tracks) + "], " + attr + "}}"

    def api(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body.encode())

    conf = LastfmConfig(user="ana", url="http://127.0.0.1:9/", api_key=Secret("k"), feedback=False)
    with make_client(transport=httpx.MockTransport(api)) as client:
        counts = LastfmHistory(conf).poll(store, PollContext(client, POLICY))
    assert (counts["listens"], counts["skipped"]) == (11, 1)
    assert sorted(t for _, t, _ in store.listens()) == GOOD


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1960-01-01"])
def test_takeout_entry_outside_1970_to_tomorrow_is_skipped(when: str) -> None:
    entry = {
        "header": "YouTube Music",
        "title": "Watched Song",
        "titleUrl": "https://www.youtube.com/watch?v=abcdefghijk",
        "subtitles": [{"name": "Artist - Topic"}],
        "time": when,
    }
    assert isinstance(parse_entry({**entry, "time": "2022-04-25T18:09:04.784Z"}, "t"), ListenIn)
    reason = parse_entry(entry, "t")
    assert isinstance(reason, str)
    assert reason.startswith("malformed")
