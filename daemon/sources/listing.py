"""A ``url`` feed listed by yt-dlp (:func:`list_entries`), in a child process killed at
its deadline.

yt-dlp reads a feed with its own HTTP client: nothing from outside can cut a read that
never ends (a body without end, a trickle) or cap the memory a huge page takes. So
:func:`list_in_child` runs :func:`list_entries` in
``python -m daemon.sources.listing``, with an address-space limit, and kills it when
``deadline_s`` passes; the child writes nothing but its answer (JSON on stdout), never the
store, so a killed listing leaves nothing half done. A listing that fails says why as one
line: the same :class:`~daemon.net.SourceError` the listing raised in the child.
"""

from __future__ import annotations

import json
import logging
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from daemon.net import MalformedPayloadError, SourceError, SourceUnavailableError
from daemon.redact import redact
from daemon.sources._parse import as_dict

__all__ = ["list_entries", "list_in_child"]

logger = logging.getLogger(__name__)

_ERRORS: dict[str, type[SourceError]] = {
    "MalformedPayloadError": MalformedPayloadError,
    "SourceUnavailableError": SourceUnavailableError,
}
_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the daemon package
_MIN_MEMORY = 1 << 30


_MAX_FEED_BYTES = 4 << 20  # enough of a feed to find where its XML breaks


class _YdlLogger:
    """Routes yt-dlp's messages to our log (its warnings are routine here)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def debug(self, msg: str) -> None:
        logger.debug("%s: yt-dlp: %s", self.what, msg)

    def info(self, msg: str) -> None:
        logger.debug("%s: yt-dlp: %s", self.what, msg)

    def warning(self, msg: str) -> None:
        logger.debug("%s: yt-dlp warning: %s", self.what, msg)

    def error(self, msg: str) -> None:
        logger.debug("%s: yt-dlp error: %s", self.what, msg)


def list_entries(
    url: str, max_items: int, what: str, *, proxy: str = "", socket_timeout_s: float = 30.0
) -> list[dict[str, Any]]:
    """The first ``max_items`` entries yt-dlp lists at ``url``, without downloading,
    through ``proxy`` (when set) with ``socket_timeout_s``."""
    options: dict[str, Any] = {
        "extract_flat": "in_playlist",
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "skip_download": True,
        "playlistend": max_items,
        "logger": _YdlLogger(what),
        "socket_timeout": socket_timeout_s,
        "extractor_retries": 0,
    }
    if proxy:
        options["proxy"] = proxy
    import yt_dlp  # imported when polled: loading the config registers this module

    with yt_dlp.YoutubeDL(options) as ydl:
        try:
            info = ydl.extract_info(url, download=False)
        except yt_dlp.utils.DownloadError as exc:
            message = _one_line(exc)
            if "Unsupported URL" in message and (problem := _xml_problem(ydl, url)):
                raise MalformedPayloadError(
                    redact(
                        f"{what}: {url} is not valid RSS/Atom ({problem}): fix the feed or its url"
                    )
                ) from None
            raise SourceUnavailableError(
                redact(f"{what}: yt-dlp cannot list {url}: {message}")
            ) from None
    info = as_dict(info)
    entries = info.get("entries") if "entries" in info else [info]
    return [e for e in (entries or []) if isinstance(e, dict)][:max_items]


def _one_line(exc: BaseException) -> str:
    """yt-dlp's message once: without its ``ERROR:`` prefix and the ``(caused by ...)``
    that repeats it."""
    text = str(exc).removeprefix("ERROR: ").splitlines()[0]
    return re.sub(r" \(caused by [^()]*(\([^()]*\)[^()]*)*\)", "", text)


def _xml_problem(ydl: Any, url: str) -> str | None:
    """Why the document at ``url`` is no RSS or Atom feed, when it is (broken) XML at all."""
    try:
        with ydl.urlopen(url) as response:  # yt-dlp's own proxy and timeout settings
            head = response.read(_MAX_FEED_BYTES)
    except Exception:  # yt-dlp's network errors have no common base
        return None
    if not head.lstrip().startswith(b"<"):
        return None
    try:
        root = ElementTree.fromstring(head)
    except ElementTree.ParseError as exc:
        return f"XML error: {exc}"
    tag = root.tag.rsplit("}", 1)[-1]
    return None if tag in ("rss", "feed", "RDF") else f"its root element is <{tag}>"


def list_in_child(
    url: str,
    max_items: int,
    what: str,
    *,
    proxy: str,
    socket_timeout_s: float,
    deadline_s: float,
    max_bytes: int,
) -> list[dict[str, Any]]:
    """:func:`list_entries` in a child process that may take
    ``deadline_s`` seconds and a few times ``max_bytes`` of memory."""
    job = {
        "url": url,
        "max_items": max_items,
        "what": what,
        "proxy": proxy,
        "socket_timeout_s": socket_timeout_s,
        "memory": max(_MIN_MEMORY, 4 * max_bytes),
    }
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "daemon.sources.listing"],
            input=json.dumps(job).encode(),
            capture_output=True,
            timeout=deadline_s,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SourceUnavailableError(
            f"{what}: listing not finished within poll_deadline_s {deadline_s:g} s (the "
            "server is too slow or sends without end): stopped; will retry on a later poll"
        ) from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        reason = "out of memory" if b"MemoryError" in done.stderr else f"exit {done.returncode}"
        raise SourceUnavailableError(
            f"{what}: listing failed ({reason}): the feed is too large or broken; will retry "
            "on a later poll"
        )
    if "error" in answer:
        raise _ERRORS.get(answer["error"], SourceError)(str(answer.get("message")))
    entries = answer.get("entries")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _child() -> None:  # pragma: no cover - runs in the child process
    job = json.loads(sys.stdin.buffer.read())
    memory = int(job["memory"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        entries = list_entries(
            job["url"],
            int(job["max_items"]),
            job["what"],
            proxy=job["proxy"],
            socket_timeout_s=float(job["socket_timeout_s"]),
        )
        answer: dict[str, Any] = {"entries": entries}
    except SourceError as exc:
        answer = {"error": type(exc).__name__, "message": str(exc)}
    sys.stdout.write(json.dumps(answer, default=str))


if __name__ == "__main__":  # pragma: no cover
    _child()
