"""Fetching a track's audio with yt-dlp, politely.

yt-dlp runs as a library (no system ffmpeg: no post-processing). A download goes
to ``<cache>/audio/.partial/<track id>.<ext>`` and is moved into
``<cache>/audio/`` once it passed the limits (duration, size, not live), which are
checked before the download when yt-dlp's metadata allows and after it otherwise.
What goes wrong is classified by :mod:`daemon.acquire.ytdlp_errors`.

A download is bounded whatever the server sends: a progress hook stops it once more
than ``max_filesize_mb`` arrived (a body with no Content-Length that never ends: the
track is rejected for good) or ``download_deadline_s`` passed. yt-dlp blocks in a read
until a whole block arrives, so a server that trickles bytes would keep the hook from
running: the download runs in a worker thread that the fetch waits for at most the
deadline. A download given up on is left to end at its next block (the hook stops it
then); it writes only its own ``.partial`` file, which is removed here, never the store.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yt_dlp
from yt_dlp.networking.exceptions import RequestError
from yt_dlp.utils import DownloadError, ExtractorError

from classifier import AudioError, probe
from daemon.acquire.cache import PARTIAL, audio_dir, local_path, local_roots
from daemon.acquire.errors import PermanentFetchError, RejectedError, TransientFetchError
from daemon.acquire.matching import best_match
from daemon.acquire.servers import ServerAudio, complete_url, server_audio
from daemon.acquire.ytdlp_errors import REJECTED, disk_full, fetch_error_for
from daemon.config import Config, FetchConfig
from daemon.net import HostThrottle
from daemon.supervise import worker_outcome
from store import Track

__all__ = ["Fetcher", "fetcher_for"]

logger = logging.getLogger(__name__)


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
        self,
        config: FetchConfig,
        cache_dir: Path,
        *,
        throttle: HostThrottle | None = None,
        local_roots: Sequence[Path] = (),
        servers: Sequence[ServerAudio] = (),
    ) -> None:
        """``local_roots``: the folders whose files ``file://`` tracks may name (the
        directory feeds' paths); any other local file is refused. ``servers``: the media
        servers whose audio URLs are fetched with their credentials."""
        self.config = config
        self.audio_dir = audio_dir(cache_dir)
        self.throttle = throttle or HostThrottle(config.host_delay_s)
        self.local_roots = tuple(Path(r).expanduser().resolve() for r in local_roots)
        self.servers = tuple(servers)

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
        except (DownloadError, ExtractorError, RequestError) as exc:
            # RequestError escapes yt-dlp for a redirect to a scheme it has no handler for
            raise fetch_error_for(exc, what=what, bot_retry_s=self.config.bot_retry_s) from None

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
        try:
            return self.cached(track.id) or self._download(track, track.url)
        except OSError as exc:  # our own writes into the cache (a full disk)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise disk_full(track.label, exc) from None
            raise

    def _check_known_duration(self, track: Track) -> None:
        reason = self.limit_reason(track.duration)
        if reason:
            raise RejectedError(f"{REJECTED}{track.label}: {reason}")

    def _check_local(self, track: Track, path: Path) -> Path:
        if not any(path.resolve().is_relative_to(root) for root in self.local_roots):
            raise PermanentFetchError(
                f"{track.label}: {path} is outside every directory feed's path: local files "
                'are read only from a [[feeds]] type = "directory" folder'
            )
        if not path.is_file():
            raise PermanentFetchError(f"{track.label}: local file {path} does not exist")
        self._check_file(track, path)
        return path

    def _check_file(self, track: Track, path: Path) -> None:
        reason = self.limit_reason(probe(path).duration, size=path.stat().st_size)
        if reason:
            raise RejectedError(f"{REJECTED}{track.label}: {reason}")

    def _limit_hook(self, track: Track, deadline: float) -> Callable[[dict[str, Any]], None]:
        """A progress hook that stops a download past the size limit or the deadline."""
        cap = self.config.max_filesize_mb * 1024 * 1024

        def hook(progress: dict[str, Any]) -> None:
            done = progress.get("downloaded_bytes") or 0
            if done > cap:
                raise RejectedError(
                    f"{REJECTED}{track.label}: too large (more than max_filesize_mb "
                    f"{self.config.max_filesize_mb:g} MB arrived: download stopped)"
                )
            if time.monotonic() > deadline:
                raise self._too_slow(track)

        return hook

    def _too_slow(self, track: Track) -> TransientFetchError:
        return TransientFetchError(
            f"{track.label}: download not complete within download_deadline_s "
            f"{self.config.download_deadline_s:g} s: the server is too slow; retried later"
        )

    def _download(self, track: Track, url: str) -> Path:
        partial = self.audio_dir / PARTIAL
        partial.mkdir(parents=True, exist_ok=True)
        reasons: list[str] = []
        deadline = time.monotonic() + self.config.download_deadline_s
        full_url, headers = complete_url(url, self.servers)
        from_server = full_url != url or bool(headers)  # a media server's own stream
        params = self._params(
            http_headers=headers,
            format=self.config.format,
            outtmpl={"default": str(partial / f"{track.id}.%(ext)s")},
            match_filter=self._match_filter(reasons),
            max_filesize=int(self.config.max_filesize_mb * 1024 * 1024),
            overwrites=True,
            continuedl=False,
            progress_hooks=[self._limit_hook(track, deadline)],
        )
        try:
            info = self._within(
                deadline, track, lambda: self._extract(full_url, track.label, params, True)
            )
        except BaseException:
            for leftover in partial.glob(f"{track.id}.*"):
                leftover.unlink(missing_ok=True)
            raise
        if reasons:
            raise RejectedError(f"{REJECTED}{track.label}: {reasons[0]}")
        file = self._downloaded_file(track, info, partial)
        try:
            self._check_file(track, file)
        except AudioError as exc:
            file.unlink(missing_ok=True)
            if from_server:
                server = urlsplit(url).netloc
                raise AudioError(
                    f"{track.label}: the media server {server} sent no audio for it ({exc}): "
                    "check that the file plays on the server"
                ) from None
            raise AudioError(f"download of {track.label}: {exc}") from None
        except BaseException:
            file.unlink(missing_ok=True)
            raise
        final = self.audio_dir / file.name
        file.replace(final)
        logger.debug("fetched %s to %s", track.label, final)
        return final

    def _within(self, deadline: float, track: Track, download: Callable[[], Any]) -> Any:
        """``download()`` in a worker thread, waited for until ``deadline``."""
        result: list[Any] = []
        failure: list[BaseException] = []

        def work() -> None:
            try:
                result.append(download())
            except BaseException as exc:  # handed to the waiting thread
                failure.append(exc)

        worker = threading.Thread(target=work, name=f"download-{track.id}", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()) + 1.0)
        if worker.is_alive():
            raise self._too_slow(track)
        return worker_outcome(result, failure)

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


def fetcher_for(config: Config, throttle: HostThrottle | None = None) -> Fetcher:
    """The fetcher ``config`` asks for: its cache, and local files only from directory feeds."""
    return Fetcher(
        config.fetch,
        config.cache_dir,
        throttle=throttle,
        local_roots=local_roots(config),
        servers=server_audio(config),
    )
