"""Fetching a track's audio with yt-dlp, politely, and classifying what goes wrong.

yt-dlp runs as a library (no system ffmpeg: no post-processing). A download goes
to ``<cache>/audio/.partial/<track id>.<ext>`` and is moved into
``<cache>/audio/`` once it passed the limits (duration, size, not live), which are
checked before the download when yt-dlp's metadata allows and after it otherwise.

Failures become the store's fetch errors:

- :class:`PermanentFetchError`: private, removed, geo-blocked, age or members-only,
  unsupported URL, HTTP 4xx; a message starting with :data:`REJECTED` means the
  audio broke a configured limit (the track is skipped rather than failed);
- :class:`TransientFetchError`: network trouble, HTTP 429/5xx, "try again later",
  bot challenges (``retry_after`` = hours);
- :class:`NetworkDownError`: DNS or routing failure: pause the whole fetch job.
"""

from __future__ import annotations

import logging
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import yt_dlp
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, GeoRestrictedError, UnsupportedError

from classifier.audio import probe
from daemon.config import FetchConfig
from daemon.http import Pacer, RetryPolicy
from daemon.matching import best_match
from store.errors import (
    AudioError,
    FetchError,
    NetworkDownError,
    PermanentFetchError,
    RejectedError,
    TransientFetchError,
)
from store.records import Track

__all__ = [
    "REJECTED",
    "Fetcher",
    "HostThrottle",
    "audio_dir",
    "classify",
    "is_rejection",
    "local_path",
    "recover_cache",
]

logger = logging.getLogger(__name__)

REJECTED = "rejected: "  # prefix of a PermanentFetchError caused by a configured limit
_PARTIAL = ".partial"

_NETWORK_DOWN = re.compile(
    r"name or service not known|temporary failure in name resolution|nodename nor servname"
    r"|getaddrinfo failed|failed to resolve|no address associated|host unreachable"
    r"|network (is )?unreachable|no route to host",
    re.I,
)
_BOT = re.compile(r"not a bot|confirm you.re not|captcha", re.I)
_TRY_LATER = re.compile(r"try again later|too many requests|rate.?limit", re.I)
_PERMANENT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"private video|video is private", re.I), "private"),
    (re.compile(r"not available (in|from) your (country|location)|geo.?restrict", re.I), "geo"),
    (re.compile(r"confirm your age|age.?restricted|inappropriate for some users", re.I), "age"),
    (re.compile(r"members.only|join this channel|requires payment|premium", re.I), "members"),
    (re.compile(r"unsupported url", re.I), "unsupported URL"),
    (
        re.compile(
            r"video unavailable|been removed|no longer available|not available|terminated"
            r"|does not exist|copyright|is not a valid url",
            re.I,
        ),
        "removed or unavailable",
    ),
)
_TRANSIENT = re.compile(
    r"timed? ?out|connection (reset|refused|aborted)|remote end closed|temporarily"
    r"|incomplete ?read|ssl|eof occurred|HTTP Error 5\d\d|unable to download",
    re.I,
)
_PERMANENT_STATUS = frozenset({400, 401, 404, 410, 451})


# -- error classification ------------------------------------------------------------------


def is_rejection(exc: BaseException) -> bool:
    """Whether ``exc`` says the audio broke a configured limit (duration, size, live)."""
    return isinstance(exc, RejectedError)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        info = getattr(current, "exc_info", None)
        inner = info[1] if isinstance(info, tuple) and len(info) > 1 else None
        todo += [inner, getattr(current, "cause", None), current.__cause__, current.__context__]


def _retry_after(err: HTTPError) -> float | None:
    value = err.response.headers.get("Retry-After") if err.response else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()).removeprefix("ERROR: ")
    return re.sub(r" \(caused by .*\)$", "", text)[:300]


def classify(exc: BaseException, *, what: str, bot_retry_s: float = 6 * 3600.0) -> FetchError:
    """The fetch error that ``exc`` (raised by yt-dlp) means, its message naming ``what``."""
    chain = list(_chain(exc))
    text = " | ".join(_one_line(e) for e in chain)
    if any(isinstance(e, socket.gaierror) for e in chain) or _NETWORK_DOWN.search(text):
        return NetworkDownError(f"network down while fetching {what}: {_one_line(exc)}")
    if _BOT.search(text):
        return TransientFetchError(
            f"{what}: the site asks to prove we are not a bot; retrying much later "
            "(a cookies_file may help)",
            retry_after=bot_retry_s,
        )
    status_error = next((e for e in chain if isinstance(e, HTTPError)), None)
    if status_error is not None:
        return _classify_status(status_error, what, exc)
    return _classify_text(chain, text, what, exc)


def _classify_status(err: HTTPError, what: str, exc: BaseException) -> FetchError:
    if err.status in _PERMANENT_STATUS:
        return PermanentFetchError(f"{what}: HTTP {err.status}: {_one_line(exc)}")
    return TransientFetchError(
        f"{what}: HTTP {err.status}, retrying later: {_one_line(exc)}",
        retry_after=_retry_after(err),
    )


def _classify_text(
    chain: list[BaseException], text: str, what: str, exc: BaseException
) -> FetchError:
    if _TRY_LATER.search(text):
        return TransientFetchError(f"{what}: the site asks to try again later: {_one_line(exc)}")
    if any(isinstance(e, GeoRestrictedError) for e in chain):
        return PermanentFetchError(f"{what}: geo-blocked: {_one_line(exc)}")
    if any(isinstance(e, UnsupportedError) for e in chain):
        return PermanentFetchError(f"{what}: unsupported URL: {_one_line(exc)}")
    for pattern, reason in _PERMANENT:
        if pattern.search(text):
            return PermanentFetchError(f"{what}: {reason}: {_one_line(exc)}")
    if _TRANSIENT.search(text) or any(isinstance(e, TransportError) for e in chain):
        return TransientFetchError(f"{what}: network trouble, retrying later: {_one_line(exc)}")
    if any(isinstance(e, ExtractorError) and e.expected for e in chain):
        return PermanentFetchError(f"{what}: {_one_line(exc)}")
    return TransientFetchError(f"{what}: {_one_line(exc)}")


# -- politeness ------------------------------------------------------------------------------


class HostThrottle:
    """At least ``delay_s`` seconds between the starts of two downloads from one host:
    the HTTP sources' :class:`~daemon.http.Pacer`, spaced by the fetch delay."""

    def __init__(self, delay_s: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay_s = delay_s
        self._policy = RetryPolicy(min_interval_s=delay_s, sleep=sleep)
        self._pacer = Pacer()

    def wait(self, host: str) -> float:
        """Block until ``host`` may be asked again; returns the seconds waited."""
        return self._pacer.wait(host, self._policy)


# -- the cache ---------------------------------------------------------------------------------


def audio_dir(cache_dir: Path) -> Path:
    """Where fetched audio lives: ``<cache>/audio``."""
    return Path(cache_dir) / "audio"


def recover_cache(cache_dir: Path) -> int:
    """Remove partial downloads left by a crash; returns how many files went."""
    partial = audio_dir(cache_dir) / _PARTIAL
    if not partial.is_dir():
        return 0
    count = sum(1 for p in partial.rglob("*") if p.is_file())
    shutil.rmtree(partial, ignore_errors=True)
    if count:
        logger.info("removed %d partial downloads from %s", count, partial)
    return count


def local_path(url: str) -> Path | None:
    """The file a ``file://`` URL names, else None."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(url2pathname(parts.path))


# -- the fetcher -------------------------------------------------------------------------------


class _YdlLogger:
    """yt-dlp's messages go to our debug log; its errors are raised and classified."""

    def debug(self, msg: str) -> None:
        logger.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        logger.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        logger.debug("yt-dlp warning: %s", msg)

    def error(self, msg: str) -> None:
        logger.debug("yt-dlp error: %s", msg)


class Fetcher:
    """Downloads tracks' audio into ``<cache_dir>/audio`` and resolves tracks without a URL."""

    def __init__(
        self, config: FetchConfig, cache_dir: Path, *, throttle: HostThrottle | None = None
    ) -> None:
        self.config = config
        self.audio_dir = audio_dir(cache_dir)
        self.throttle = throttle or HostThrottle(config.host_delay_s)

    # -- limits ----------------------------------------------------------------------------

    def limit_reason(
        self, duration: float | None, *, live: bool = False, size: float | None = None
    ) -> str | None:
        """Why audio of this duration/liveness/size is refused, or None."""
        cfg = self.config
        if live:
            return "a live stream"
        if duration is not None and duration > cfg.max_duration_s:
            return f"too long ({duration:.0f} s > max_duration_s {cfg.max_duration_s:.0f})"
        if duration is not None and 0 < duration < cfg.min_duration_s:
            return f"too short ({duration:.0f} s < min_duration_s {cfg.min_duration_s:.0f})"
        if size is not None and size > cfg.max_filesize_mb * 1024 * 1024:
            return f"too large ({size / 2**20:.0f} MB > max_filesize_mb {cfg.max_filesize_mb:.0f})"
        return None

    def _match_filter(self, reasons: list[str]) -> Callable[..., str | None]:
        def match_filter(info: dict[str, Any], *, incomplete: object = False) -> str | None:
            live = bool(info.get("is_live")) or info.get("live_status") in (
                "is_live",
                "is_upcoming",
            )
            size = info.get("filesize") or info.get("filesize_approx")
            reason = self.limit_reason(info.get("duration"), live=live, size=size)
            if reason:
                reasons.append(reason)
            return reason

        return match_filter

    # -- yt-dlp ----------------------------------------------------------------------------

    def _params(self, **extra: Any) -> dict[str, Any]:
        cfg = self.config
        params: dict[str, Any] = {
            "logger": _YdlLogger(),
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "noplaylist": True,
            "color": {"stdout": "no_color", "stderr": "no_color"},
            "socket_timeout": cfg.socket_timeout_s,
            "sleep_interval_requests": cfg.sleep_requests_s or None,
            "retries": 2,
            "extractor_retries": 1,
            "cachedir": False,
            "fixup": "never",
        }
        if cfg.proxy:
            params["proxy"] = cfg.proxy
        if cfg.cookies_file:
            params["cookiefile"] = str(Path(cfg.cookies_file).expanduser())
        params.update(extra)
        return params

    def _extract(self, url: str, what: str, params: dict[str, Any], download: bool) -> Any:
        self.throttle.wait(urlsplit(url).hostname or url.split(":")[0])
        try:
            with yt_dlp.YoutubeDL(params) as ydl:
                return ydl.extract_info(url, download=download)
        except (DownloadError, ExtractorError) as exc:
            raise classify(exc, what=what, bot_retry_s=self.config.bot_retry_s) from None

    # -- fetching --------------------------------------------------------------------------

    def cached(self, track_id: int) -> Path | None:
        """The audio already fetched for this track, if any."""
        return next((p for p in self.audio_dir.glob(f"{track_id}.*") if p.is_file()), None)

    def fetch(self, track: Track) -> Path:
        """The audio file of ``track``: its local file, its cached audio, or a fresh download.

        Raises PermanentFetchError (a message starting with :data:`REJECTED` for a broken
        limit), TransientFetchError, NetworkDownError, or AudioError for a non-audio file.
        """
        if not track.url:
            raise PermanentFetchError(f"track {track.id} ({track.label}) has no URL to fetch")
        self._check_known_duration(track)
        local = local_path(track.url)
        if local is not None:
            return self._check_local(track, local)
        return self.cached(track.id) or self._download(track, track.url)

    def _check_known_duration(self, track: Track) -> None:
        reason = self.limit_reason(track.duration)
        if reason:
            raise RejectedError(f"{REJECTED}{track.label}: {reason}")

    def _check_local(self, track: Track, path: Path) -> Path:
        if not path.is_file():
            raise PermanentFetchError(f"{track.label}: local file {path} does not exist")
        self._check_file(track, path)
        return path

    def _check_file(self, track: Track, path: Path) -> None:
        reason = self.limit_reason(probe(path).duration, size=path.stat().st_size)
        if reason:
            raise RejectedError(f"{REJECTED}{track.label}: {reason}")

    def _download(self, track: Track, url: str) -> Path:
        partial = self.audio_dir / _PARTIAL
        partial.mkdir(parents=True, exist_ok=True)
        reasons: list[str] = []
        params = self._params(
            format=self.config.format,
            outtmpl={"default": str(partial / f"{track.id}.%(ext)s")},
            match_filter=self._match_filter(reasons),
            max_filesize=int(self.config.max_filesize_mb * 1024 * 1024),
            overwrites=True,
            continuedl=False,
        )
        info = self._extract(url, track.label, params, download=True)
        if reasons:
            raise RejectedError(f"{REJECTED}{track.label}: {reasons[0]}")
        file = self._downloaded_file(track, info, partial)
        try:
            self._check_file(track, file)
        except AudioError as exc:
            file.unlink(missing_ok=True)
            raise AudioError(f"download of {track.label}: {exc}") from None
        except BaseException:
            file.unlink(missing_ok=True)
            raise
        final = self.audio_dir / file.name
        file.replace(final)
        logger.debug("fetched %s to %s", track.label, final)
        return final

    def _downloaded_file(self, track: Track, info: Any, partial: Path) -> Path:
        if isinstance(info, dict) and info.get("_type") == "playlist":
            raise PermanentFetchError(f"{track.label}: {track.url} is a playlist, not one track")
        downloads = (info or {}).get("requested_downloads") or [{}]
        path = downloads[0].get("filepath")
        if path and Path(path).is_file():
            return Path(path)
        found = next((p for p in partial.glob(f"{track.id}.*") if p.suffix != ".part"), None)
        if found is None:
            raise RejectedError(
                f"{REJECTED}{track.label}: no audio was written (larger than max_filesize_mb?)"
            )
        return found

    # -- search ----------------------------------------------------------------------------

    def search(self, query: str) -> list[dict[str, Any]]:
        """yt-dlp's flat search results for ``query`` with the configured search prefix."""
        url = f"{self.config.search}:{query}"
        params = self._params(extract_flat="in_playlist", skip_download=True, noplaylist=False)
        info = self._extract(url, f"search '{query}'", params, download=False)
        return [e for e in (info or {}).get("entries") or [] if isinstance(e, dict)]

    def resolve(self, track: Track) -> tuple[str, float]:
        """(URL, confidence) of the best search result for ``track``; ("", 0.0) when none."""
        if not (track.artist and track.title and self.config.search):
            return "", 0.0
        entries = self.search(f"{track.artist} - {track.title}")
        match = best_match(
            entries,
            artist=track.artist,
            title=track.title,
            duration=track.duration,
            tolerance_s=self.config.duration_tolerance_s,
        )
        return (match.url, match.confidence) if match else ("", 0.0)
