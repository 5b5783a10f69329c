"""A media server's stream URL gets that server's credentials at download time, and only
that server's; nothing else is touched."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from daemon.acquire.servers import ServerAudio, complete_url, server_audio
from daemon.config import Config, Secret, SubsonicConfig
from daemon.sources import JellyfinConfig, ListenBrainzConfig, SubsonicHistoryConfig


def test_each_server_completes_its_own_urls_only() -> None:
    jellyfin = JellyfinConfig(url="http://jf.lan:8096/", user="ana", token=Secret("jf-key-123"))
    subsonic = SubsonicHistoryConfig()  # [subsonic]'s url, user and password
    main = SubsonicConfig(url="https://music.lan/nd", user="ana", password=Secret("pw-456"))
    config = Config(history=(jellyfin, subsonic, ListenBrainzConfig(user="ana")), subsonic=main)
    servers = server_audio(config)
    assert [s.prefix for s in servers] == ["http://jf.lan:8096/", "https://music.lan/nd/rest/"]

    url, headers = complete_url("http://jf.lan:8096/Audio/ab12/stream?static=true", servers)
    assert url == "http://jf.lan:8096/Audio/ab12/stream?static=true"
    assert 'Token="jf-key-123"' in headers["Authorization"]

    url, headers = complete_url("https://music.lan/nd/rest/stream?id=7&format=raw", servers)
    query = parse_qs(urlsplit(url).query)
    assert headers == {}
    assert query["id"] == ["7"]
    assert query["u"] == ["ana"]
    assert "pw-456" not in url  # a salted token, never the password
    again, _ = complete_url("https://music.lan/nd/rest/stream?id=7&format=raw", servers)
    assert parse_qs(urlsplit(again).query)["s"] != query["s"]  # a fresh salt each time

    for other in (
        "https://www.youtube.com/watch?v=abc",
        "https://music.lan/other/rest/stream?id=7",
        "http://jf.lan:8097/Audio/ab12/stream",
        "http://jf.lan.evil.example:8096/Audio/ab12/stream",
    ):
        assert complete_url(other, servers) == (other, {})


def test_a_server_without_url_offers_nothing() -> None:
    assert server_audio(Config(history=(SubsonicHistoryConfig(),))) == []
    assert not ServerAudio("http://a/").owns("https://a/x")
