"""Real yt-dlp fetching from a loopback HTTP server, and error classification."""

from __future__ import annotations

import gc
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yt_dlp
from yt_dlp.networking.exceptions import TransportError
from yt_dlp.utils import DownloadError, ExtractorError, GeoRestrictedError, UnsupportedError

from classifier import AudioError
from daemon.acquire import NetworkDownError, PermanentFetchError, TransientFetchError
from daemon.acquire.cache import recover_cache
from daemon.acquire.fetcher import Fetcher
from daemon.acquire.ytdlp_errors import fetch_error_for, is_rejection
from daemon.config import FetchConfig
from daemon.net.pacing import HostThrottle
from store import Track
from tests.audio_helpers import (
    LEAKED_SOCKET_WARNING,
    MIME,
    LoopbackServer,
    Route,
    rss_feed,
    synth,
    unreachable_proxy,
    write_audio,
)

pytestmark = pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)

QUIET = FetchConfig(host_delay_s=0, sleep_requests_s=0, socket_timeout_s=5)


def _track(track_id: int, url: str | None, duration: float | None = None) -> Track:
    return Track(track_id, None, None, None, duration, url, "test", None, 0.0, "fetching", 0,
                 None, None, None)  # fmt: skip


@pytest.fixture(autouse=True)
def _collect_leaked_sockets() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("audio")
    music = synth(65.0, 16000)
    return {ext: write_audio(folder / f"song.{ext}", music) for ext in ("opus", "m4a", "mp3")}


@pytest.mark.parametrize("ext", ["opus", "m4a", "mp3"])
def test_direct_url_is_downloaded_and_named_by_track_id(
    tmp_path: Path, server: LoopbackServer, audio_files: dict[str, Path], ext: str
) -> None:
    url = server.add_file(audio_files[ext], name=f"My Song (feat. X) {ext}.{ext}")
    path = Fetcher(QUIET, tmp_path).fetch(_track(42, url))
    assert path == tmp_path / "audio" / f"42.{ext}"
    assert path.read_bytes() == audio_files[ext].read_bytes()
    assert not list((tmp_path / "audio" / ".partial").iterdir())


def test_cached_audio_is_not_downloaded_again(
    tmp_path: Path, server: LoopbackServer, audio_files: dict[str, Path]
) -> None:
    url = server.add_file(audio_files["opus"])
    fetcher = Fetcher(QUIET, tmp_path)
    first = fetcher.fetch(_track(1, url))
    gets = [r for r in server.requests if r[0] == "GET"]
    assert fetcher.fetch(_track(1, url)) == first
    assert [r for r in server.requests if r[0] == "GET"] == gets


def test_404_is_permanent(tmp_path: Path, server: LoopbackServer) -> None:
    with pytest.raises(PermanentFetchError, match="404") as caught:
        Fetcher(QUIET, tmp_path).fetch(_track(1, server.url("nothing.mp3")))
    assert not is_rejection(caught.value)


def test_429_is_transient_and_honours_retry_after(
    tmp_path: Path, server: LoopbackServer, audio_files: dict[str, Path]
) -> None:
    route = Route(audio_files["mp3"].read_bytes(), MIME["mp3"], [429], {"Retry-After": "120"})
    url = server.add("busy.mp3", route)
    fetcher = Fetcher(QUIET, tmp_path)
    with pytest.raises(TransientFetchError, match="429") as caught:
        fetcher.fetch(_track(3, url))
    assert caught.value.retry_after == 120
    assert fetcher.fetch(_track(3, url)).is_file()


def test_5xx_is_transient(tmp_path: Path, server: LoopbackServer) -> None:
    url = server.add("down.mp3", Route(b"", MIME["mp3"], [503] * 10))
    with pytest.raises(TransientFetchError, match="503"):
        Fetcher(QUIET, tmp_path).fetch(_track(4, url))


def test_twenty_minute_file_is_rejected_and_removed(tmp_path: Path, server: LoopbackServer) -> None:
    long = write_audio(tmp_path / "long.flac", _twenty_minutes(), 8000)
    url = server.add_file(long)
    with pytest.raises(PermanentFetchError, match="too long") as caught:
        Fetcher(QUIET, tmp_path / "cache").fetch(_track(5, url))
    assert is_rejection(caught.value)
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def _twenty_minutes() -> np.ndarray:
    """A cheap long file: 20 min of clicks and silence at 8 kHz, a few kB of FLAC."""
    audio = np.zeros(20 * 60 * 8000, np.float32)
    audio[::8000] = 0.1
    return audio


def test_known_duration_is_rejected_before_any_request(
    tmp_path: Path, server: LoopbackServer, audio_files: dict[str, Path]
) -> None:
    url = server.add_file(audio_files["opus"])
    with pytest.raises(PermanentFetchError, match="too short") as caught:
        Fetcher(QUIET, tmp_path).fetch(_track(6, url, duration=20.0))
    assert is_rejection(caught.value)
    assert server.requests == []


def test_not_audio_is_an_audio_error(tmp_path: Path, server: LoopbackServer) -> None:
    url = server.add("page.mp3", Route(b"<html>gone</html>" * 200, "audio/mpeg"))
    with pytest.raises(AudioError):
        Fetcher(QUIET, tmp_path).fetch(_track(7, url))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_max_filesize_is_a_rejection(
    tmp_path: Path, server: LoopbackServer, audio_files: dict[str, Path]
) -> None:
    url = server.add_file(audio_files["mp3"])
    config = replace(QUIET, max_filesize_mb=0.01)
    with pytest.raises(PermanentFetchError, match="max_filesize") as caught:
        Fetcher(config, tmp_path).fetch(_track(8, url))
    assert is_rejection(caught.value)


def test_rss_enclosures_are_listed_by_yt_dlp_and_fetched(
    tmp_path: Path, server: LoopbackServer, audio_files: dict[str, Path]
) -> None:
    urls = [server.add_file(audio_files[ext], name=f"ep{ext}.{ext}") for ext in ("opus", "m4a")]
    items = [(f"Episode {i}", u, "audio/ogg", 65) for i, u in enumerate(urls)]
    feed = server.add("feed.xml", Route(rss_feed(items), "application/rss+xml"))
    params = {"quiet": True, "no_warnings": True, "extract_flat": "in_playlist"}
    with yt_dlp.YoutubeDL(params) as ydl:
        listing = ydl.extract_info(feed, download=False)
    entries = list(listing["entries"])
    assert [e["duration"] for e in entries] == [65, 65]
    fetcher = Fetcher(QUIET, tmp_path)
    for i, entry in enumerate(entries):
        path = fetcher.fetch(_track(100 + i, entry["url"], entry["duration"]))
        assert path.read_bytes() == Path(audio_files[("opus", "m4a")[i]]).read_bytes()


def test_file_url_is_used_in_place(tmp_path: Path, audio_files: dict[str, Path]) -> None:
    fetcher = Fetcher(QUIET, tmp_path, local_roots=[audio_files["opus"].parent, tmp_path])
    path = fetcher.fetch(_track(9, audio_files["opus"].as_uri()))
    assert path == audio_files["opus"]
    with pytest.raises(PermanentFetchError, match="does not exist"):
        fetcher.fetch(_track(9, (tmp_path / "gone.mp3").as_uri()))


def test_resolve_without_search_or_names_gives_nothing(tmp_path: Path) -> None:
    fetcher = Fetcher(replace(QUIET, search=""), tmp_path)
    track = replace(_track(10, None), artist="Artist", title="Song")
    assert fetcher.resolve(track) == ("", 0.0)
    assert Fetcher(QUIET, tmp_path).resolve(_track(11, None)) == ("", 0.0)


def test_recover_cache_removes_partial_downloads(tmp_path: Path) -> None:
    partial = tmp_path / "audio" / ".partial"
    partial.mkdir(parents=True)
    (partial / "3.webm.part").write_bytes(b"x")
    (tmp_path / "audio" / "4.opus").write_bytes(b"kept")
    assert recover_cache(tmp_path) == 1
    assert not partial.exists()
    assert (tmp_path / "audio" / "4.opus").exists()
    assert recover_cache(tmp_path) == 0


@pytest.fixture
def proxy() -> Iterator[str]:
    with unreachable_proxy() as url:
        yield url


def test_unreachable_network_is_network_down(tmp_path: Path, proxy: str) -> None:
    config = replace(QUIET, proxy=proxy)
    with pytest.raises(NetworkDownError, match="network down"):
        Fetcher(config, tmp_path).fetch(_track(12, "http://127.0.0.1:9/song.mp3"))


# -- classification of yt-dlp's own exceptions ---------------------------------------------


def _download_error(exc: BaseException) -> DownloadError:
    return DownloadError(f"ERROR: {exc}", (type(exc), exc, None))


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (ExtractorError("Private video. Sign in if you've been granted access", expected=True),
         PermanentFetchError, "private"),
        (ExtractorError("Video unavailable. This video has been removed by the uploader",
                        expected=True), PermanentFetchError, "removed"),
        (GeoRestrictedError("The uploader has not made this video available in your country"),
         PermanentFetchError, "geo"),
        (ExtractorError("Sign in to confirm your age. This video may be inappropriate for some "
                        "users.", expected=True), PermanentFetchError, "age"),
        (ExtractorError("Join this channel to get access to members-only content like this "
                        "video", expected=True), PermanentFetchError, "members"),
        (UnsupportedError("http://example.invalid/x"), PermanentFetchError, "unsupported"),
        (ExtractorError("Sign in to confirm you're not a bot. Use --cookies-from-browser",
                        expected=True), TransientFetchError, "bot"),
        (ExtractorError("Video unavailable. This content isn't available, try again later.",
                        expected=True), TransientFetchError, "try again later"),
        (TransportError("Read timed out."), TransientFetchError, "network trouble"),
        (TransportError("Failed to resolve 'www.youtube.com' ([Errno -3] Temporary failure in "
                        "name resolution)"), NetworkDownError, "network down"),
    ],
)  # fmt: skip
def test_fetch_error_for_yt_dlp_errors(exc: BaseException, kind: type, words: str) -> None:
    got = fetch_error_for(_download_error(exc), what="Artist - Song")
    assert type(got) is kind
    assert words in str(got)
    assert str(got).startswith("Artist - Song") or isinstance(got, NetworkDownError)


def test_fetch_error_for_follows_the_cause_chain_to_gaierror() -> None:
    exc = TransportError("Connection failed")
    exc.__cause__ = socket.gaierror(-2, "oops")
    assert isinstance(fetch_error_for(_download_error(exc), what="x"), NetworkDownError)


def test_bot_challenge_waits_hours() -> None:
    exc = ExtractorError("Sign in to confirm you're not a bot", expected=True)
    got = fetch_error_for(_download_error(exc), what="x", bot_retry_s=21600)
    assert isinstance(got, TransientFetchError)
    assert got.retry_after == 21600


def test_host_throttle_spaces_requests_per_host() -> None:
    slept: list[float] = []
    throttle = HostThrottle(5.0, sleep=slept.append)
    assert throttle.wait("a.example") == 0
    throttle.wait("b.example")
    throttle.wait("a.example")
    throttle.wait("a.example")
    assert len(slept) == 2
    assert slept[0] == pytest.approx(5.0, abs=0.5)
    assert slept[1] == pytest.approx(10.0, abs=0.5)


def test_a_zero_byte_download_is_permanent(tmp_path: Path, server: LoopbackServer) -> None:
    url = server.add("empty.mp3", Route(b"", MIME["mp3"], []))
    with pytest.raises(PermanentFetchError, match="empty download") as caught:
        Fetcher(QUIET, tmp_path).fetch(_track(6, url))
    assert url in str(caught.value)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
