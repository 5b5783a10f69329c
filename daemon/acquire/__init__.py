"""Getting a track's audio and its features: matching search results to a track
(``matching``), downloading with yt-dlp (``fetcher``), what yt-dlp's errors mean
(``ytdlp_errors``), the fetch errors themselves (``errors``), the audio cache (``cache``),
audio from the listener's own media servers (``servers``), the fetch job's worker
threads (``workers``) and analysis processes (``analysis``), the fetch-and-analyse
pipeline over the backlog (``pipeline``) and the re-analysis of ready tracks under a new
feature model (``reanalysis``).

Other packages import only the names below; each module loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store import lazy_getattr

if TYPE_CHECKING:
    from daemon.acquire.analysis import Analyser, Embedding, prepare
    from daemon.acquire.cache import recover_cache
    from daemon.acquire.errors import (
        FetchError,
        NetworkDownError,
        PermanentFetchError,
        RejectedError,
        StorageFullError,
        TransientFetchError,
    )
    from daemon.acquire.fetcher import Fetcher, fetcher_for
    from daemon.acquire.pipeline import process_backlog
    from daemon.acquire.reanalysis import reanalyse
    from daemon.acquire.servers import ServerAudio

_WHERE = {
    "Analyser": "analysis",
    "Embedding": "analysis",
    "prepare": "analysis",
    "recover_cache": "cache",
    "FetchError": "errors",
    "NetworkDownError": "errors",
    "PermanentFetchError": "errors",
    "RejectedError": "errors",
    "StorageFullError": "errors",
    "TransientFetchError": "errors",
    "Fetcher": "fetcher",
    "fetcher_for": "fetcher",
    "process_backlog": "pipeline",
    "reanalyse": "reanalysis",
    "ServerAudio": "servers",
}
__getattr__ = lazy_getattr(__name__, _WHERE, globals())

__all__ = [
    "Analyser",
    "Embedding",
    "FetchError",
    "Fetcher",
    "NetworkDownError",
    "PermanentFetchError",
    "RejectedError",
    "ServerAudio",
    "StorageFullError",
    "TransientFetchError",
    "fetcher_for",
    "prepare",
    "process_backlog",
    "reanalyse",
    "recover_cache",
]
