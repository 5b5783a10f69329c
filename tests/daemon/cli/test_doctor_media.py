"""``doctor`` on media servers and discovery: a Jellyfin server that answers and takes
the API key, one that refuses it, a Jellyfin history without a token, and where
discoveries come from."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from daemon.cli.doctor import run_checks
from daemon.config import Config, Secret
from daemon.sources import JellyfinConfig, LastfmConfig, ListenBrainzConfig
from tests.media_servers import FakeJellyfin, running

TOKEN = "jf-doctor-SECRET-77"


@pytest.fixture
def jellyfin() -> Iterator[FakeJellyfin]:
    with running(FakeJellyfin(TOKEN)) as server:
        yield server


def _check(config: Config, name: str) -> tuple[bool, str, str]:
    [check] = [c for c in run_checks(config) if c.name == name]
    return check.ok, check.detail, check.fix


def test_jellyfin_answers_and_takes_the_key(jellyfin: FakeJellyfin) -> None:
    source = JellyfinConfig(url=jellyfin.base, user="ana", token=Secret(TOKEN))
    ok, detail, _ = _check(Config(history=(source,)), "history jellyfin:ana")
    assert ok
    assert "Jellyfin 10.9.11" in detail


def test_a_refused_key_and_a_missing_one_say_the_fix(jellyfin: FakeJellyfin) -> None:
    wrong = JellyfinConfig(url=jellyfin.base, user="ana", token=Secret("nope-nope-1"))
    ok, detail, fix = _check(Config(history=(wrong,)), "history jellyfin:ana")
    assert not ok
    assert "HTTP 401" in detail
    assert "API Keys" in fix
    assert "nope-nope-1" not in detail + fix
    none = JellyfinConfig(url=jellyfin.base, user="ana")
    ok, detail, fix = _check(Config(history=(none,)), "history jellyfin:ana")
    assert not ok
    assert "token" in detail
    assert "TASTEBUD_JELLYFIN_TOKEN" in fix


def test_doctor_says_where_discoveries_come_from() -> None:
    config = Config(
        history=(ListenBrainzConfig(user="ana"), LastfmConfig(user="bo", api_key=Secret("k")))
    )
    ok, detail, _ = _check(config, "discover")
    assert ok
    assert "ListenBrainz listenbrainz:ana" in detail
    assert "Last.fm lastfm:bo" in detail
    _, detail, _ = _check(Config(history=(LastfmConfig(user="bo"),)), "discover")
    assert detail.startswith("off: needs")
