"""Candidate feeds: yt-dlp-listed URLs (a loopback RSS feed), local folders, LB recommendations."""

from __future__ import annotations

import functools
import gc
import http.server
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from mutagen.flac import FLAC

from daemon.net import MalformedPayloadError, RetryPolicy, SourceUnavailableError, make_client
from daemon.sources import PollContext
from daemon.sources.directory import DirectoryConfig, DirectoryFeed
from daemon.sources.lb_recommendations import RecommendationsConfig, RecommendationsFeed, jspf_ref
from daemon.sources.url_feed import UrlFeed, UrlFeedConfig
from store import Store
from tests.audio_helpers import (
    LEAKED_SOCKET_WARNING,
    Route,
    loopback_server,
    serve_in_thread,
    write_audio,
)

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "listenbrainz"
POLICY = RetryPolicy(attempts=2, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Nouveautés</title><link>{base}/</link><description>new music</description>
<item><title>Björk - Jóga</title><guid>a</guid><itunes:duration>00:03:05</itunes:duration>
  <enclosure url="{base}/audio/joga.mp3" length="1000" type="audio/mpeg"/></item>
<item><title>Untitled Sketch</title><guid>b</guid>
  <enclosure url="{base}/audio/sketch.ogg" length="1000" type="audio/ogg"/></item>
<item><title>Third - Track</title><guid>c</guid>
  <enclosure url="{base}/audio/third.opus" length="1000" type="audio/ogg"/></item>
</channel></rss>
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def rss_server(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (root / "feed.xml").write_text(RSS.format(base=base), encoding="utf-8")
    thread = serve_in_thread(server)
    yield base
    server.shutdown()
    server.server_close()
    thread.join()


def _ctx(handler: Any = None) -> PollContext:
    handler = handler or (lambda r: httpx.Response(599))
    return PollContext(make_client(transport=httpx.MockTransport(handler)), POLICY)


def test_url_feed_lists_a_loopback_rss_feed_with_yt_dlp(store: Store, rss_server: str) -> None:
    feed = UrlFeed(UrlFeedConfig(url=f"{rss_server}/feed.xml", max_items=2))
    counts = feed.poll(store, _ctx())
    assert counts == {"items": 2, "duplicates": 0, "skipped": 0}
    (joga,) = store.find_tracks(f"{rss_server}/audio/joga.mp3")
    assert (joga.artist, joga.title, joga.duration) == ("Björk", "Jóga", 185.0)
    (sketch,) = store.find_tracks(f"{rss_server}/audio/sketch.ogg")
    assert (sketch.artist, sketch.title) == (None, "Untitled Sketch")
    assert not store.find_tracks(f"{rss_server}/audio/third.opus")  # beyond max_items
    assert len(store.candidate_ids()) == 2
    assert feed.poll(store, _ctx())["duplicates"] == 2


def test_url_feed_that_cannot_be_listed_is_a_source_error(store: Store, rss_server: str) -> None:
    feed = UrlFeed(UrlFeedConfig(url=f"{rss_server}/missing.xml"))
    with pytest.raises(SourceUnavailableError, match="yt-dlp cannot list"):
        feed.poll(store, _ctx())


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (RSS.replace("</channel></rss>", "</channel>"), "XML error: no element found"),
        ('<?xml version="1.0"?><html><body>moved</body></html>', "its root element is <html>"),
    ],
)
def test_url_feed_with_broken_xml_says_it_is_not_rss(
    store: Store, rss_server: str, tmp_path: Path, text: str, problem: str
) -> None:
    (tmp_path / "www" / "broken.xml").write_text(text.format(base=rss_server), encoding="utf-8")
    url = f"{rss_server}/broken.xml"
    feed = UrlFeed(UrlFeedConfig(url=url))
    with pytest.raises(MalformedPayloadError) as err:
        feed.poll(store, _ctx())
    assert f"{url} is not valid RSS/Atom ({problem}" in str(err.value)
    assert "Unsupported URL" not in str(err.value)
    assert store.candidate_ids() == []


def _tone(path: Path) -> None:
    t = np.linspace(0, 1.0, 8000, endpoint=False)
    write_audio(path, (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 8000)


def test_directory_feed_reads_tags_or_file_names(store: Store, tmp_path: Path) -> None:
    music = tmp_path / "Music" / "Ünïcode dir"
    music.mkdir(parents=True)
    tagged = music / "01 track.flac"
    _tone(tagged)
    tags = FLAC(tagged)
    tags["artist"], tags["title"], tags["album"] = "Nils Frahm", "Says", "Spaces"
    tags.save()
    _tone(music / "Ólafur Arnalds - Saman.wav")
    (music / "cover.jpg").write_bytes(b"not audio")
    feed = DirectoryFeed(DirectoryConfig(path=str(tmp_path / "Music")))
    assert feed.poll(store, _ctx()) == {"items": 2, "duplicates": 0}
    (says,) = store.find_tracks("Nils Frahm - Says")
    assert says.album == "Spaces"
    assert says.duration == pytest.approx(1.0)
    assert says.url == tagged.resolve().as_uri()
    assert says.url.startswith("file:///")
    assert store.find_tracks("Ólafur Arnalds - Saman")
    assert feed.poll(store, _ctx()) == {"items": 0, "duplicates": 0}  # nothing changed


class FakeRecommendations:
    """The cf-recommendation, metadata, created-for and playlist endpoints."""

    def __init__(self, cf_status: int = 200) -> None:
        self.cf_status = cf_status
        self.paths: list[str] = []

    def __call__(self, req: httpx.Request) -> httpx.Response:
        path = req.url.path
        self.paths.append(path)
        if path == "/1/cf/recommendation/user/ana/recording":
            if self.cf_status == 204:
                return httpx.Response(204)
            body = json.loads(
                (SAMPLES / "lb_cf_recommendations_recording_response.json").read_text()
            )
            body["payload"]["mbids"].append({"recording_mbid": "unknown-mbid", "score": 0.5})
            return httpx.Response(200, json=body)
        if path == "/1/metadata/recording/":
            assert req.url.params["inc"] == "artist"
            zero = "00000000-0000-0000-0000-000000000000"
            assert req.url.params["recording_mbids"] == f"{zero},unknown-mbid"
            meta = {"recording": {"name": "Zéro", "length": 180000}, "artist": {"name": "Nul"}}
            return httpx.Response(200, json={zero: meta})
        if path == "/1/user/ana/playlists/createdfor":
            return httpx.Response(
                200, content=(SAMPLES / "lb_playlists_createdfor_response.json").read_bytes()
            )
        if path == "/1/playlist/00000000-0000-0000-0000-000000000000":
            return httpx.Response(
                200, content=(SAMPLES / "lb_playlist_jspf_response.json").read_bytes()
            )
        return httpx.Response(404)


def test_recommendations_feed_resolves_mbids_and_reads_playlists(store: Store) -> None:
    api = FakeRecommendations()
    conf = RecommendationsConfig(user="ana", api_url="http://127.0.0.1:9")
    counts = RecommendationsFeed(conf).poll(store, _ctx(api))
    assert counts == {"items": 3, "duplicates": 0, "unresolved": 1, "playlists": 1, "skipped": 0}
    (zero,) = store.find_tracks("Nul - Zéro")
    assert zero.duration == 180.0
    assert store.track_ids_of(zero.id)["recording_mbid"] == "00000000-0000-0000-0000-000000000000"
    (mili,) = store.find_tracks("Mili - world.execute(me);")
    assert mili.album == "Miracle Milk"
    assert mili.duration == pytest.approx(211.912)
    assert store.track_ids_of(mili.id)["recording_mbid"] == "9980309d-3480-4e7e-89ce-fce971a452be"


def test_recommendations_204_is_not_an_error(store: Store) -> None:
    api = FakeRecommendations(cf_status=204)
    conf = RecommendationsConfig(user="ana", api_url="http://127.0.0.1:9")
    counts = RecommendationsFeed(conf).poll(store, _ctx(api))
    assert counts["unresolved"] == 0
    assert counts["items"] == 2
    assert "/1/metadata/recording/" not in api.paths


def test_real_jspf_sample_tracks() -> None:
    jspf = json.loads((SAMPLES / "lb_playlist_jspf_response.json").read_text())
    refs = [jspf_ref(t, "lb") for t in jspf["playlist"]["track"]]
    assert len(refs) == 2
    assert refs[1].artist == "ACE(工藤ともり、CHiCO)"
    assert refs[1].album == "ゼノブレイド3 オリジナル・サウンドトラック"  # noqa: RUF001
    assert refs[1].duration == pytest.approx(249.946)


@pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)
def test_a_feed_that_fails_says_yt_dlps_message_once(store: Store) -> None:
    with loopback_server() as server:
        url = server.add("feed.rss", Route(b"", "application/rss+xml", [503] * 5))
        feed = UrlFeed(UrlFeedConfig(name="down", url=url))
        with pytest.raises(SourceUnavailableError) as failed:
            feed.poll(store, _ctx())
    message = str(failed.value)
    assert message.startswith(f"url feed 'down': yt-dlp cannot list {url}: ")
    assert "HTTP Error 503: Service Unavailable" in message
    assert "caused by" not in message
    assert message.count("503") == 1
    gc.collect()  # yt-dlp's unclosed socket goes here, under this test's filter
