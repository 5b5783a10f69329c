"""What goes wrong when yt-dlp fetches a track, as the store's fetch errors.

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

import errno
import re
import socket
from collections.abc import Iterator

from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import ExtractorError, GeoRestrictedError, UnsupportedError

from daemon.acquire.errors import (
    FetchError,
    NetworkDownError,
    PermanentFetchError,
    RejectedError,
    StorageFullError,
    TransientFetchError,
)
from daemon.redact import redact

__all__ = ["REJECTED", "disk_full", "fetch_error_for", "is_rejection"]

REJECTED = "rejected: "  # prefix of a PermanentFetchError caused by a configured limit

_NETWORK_DOWN = re.compile(
    r"name or service not known|temporary failure in name resolution|nodename nor servname"
    r"|getaddrinfo failed|failed to resolve|no address associated|host unreachable"
    r"|network (is )?unreachable|no route to host",
    re.I,
)
# yt-dlp followed a redirect to a URL it has no handler for (file://, ftp://, data:)
_NOT_WEB = re.compile(
    r"no connection adapters were found for '(?!https?://)|unsupported url scheme"
    r"|file:// urls are disabled",
    re.I,
)
_DISK_FULL = re.compile(r"no space left on device|disk quota exceeded|errno 28\b", re.I)
_BOT = re.compile(r"not a bot|confirm you.re not|captcha", re.I)
_TRY_LATER = re.compile(r"try again later|too many requests|rate.?limit", re.I)
_PERMANENT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"private video|video is private", re.I), "private"),
    (re.compile(r"not available (in|from) your (country|location)|geo.?restrict", re.I), "geo"),
    (re.compile(r"confirm your age|age.?restricted|inappropriate for some users", re.I), "age"),
    (re.compile(r"members.only|join this channel|requires payment|premium", re.I), "members"),
    (re.compile(r"unsupported url", re.I), "unsupported URL"),
    # the server answered 200 with no bytes: asking again gets the same nothing
    (re.compile(r"did not get any data blocks|downloaded file is empty", re.I), "empty download"),
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
    text = redact(" ".join(str(exc).split()).removeprefix("ERROR: "))
    return re.sub(r" \(caused by [^()]*(\([^()]*\)[^()]*)*\)", "", text)[:300]


def fetch_error_for(
    exc: BaseException, *, what: str, bot_retry_s: float = 6 * 3600.0
) -> FetchError:
    """The fetch error that ``exc`` (raised by yt-dlp) means, its message naming ``what``."""
    chain = list(_chain(exc))
    text = " | ".join(_one_line(e) for e in chain)
    if _NOT_WEB.search(text):
        return PermanentFetchError(
            f"{what}: led to a URL that is not http(s), which tastebud never fetches: "
            f"{_one_line(exc)}"
        )
    if any(_is_disk_full(e) for e in chain) or _DISK_FULL.search(text):
        return disk_full(what, exc)
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


def _is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_full(what: str, exc: BaseException) -> StorageFullError:
    """The error for a download that found the cache's disk full."""
    return StorageFullError(
        f"{what}: no space left in the audio cache ({_one_line(exc)}): free disk space "
        "there; fetching pauses until the next cycle"
    )


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
