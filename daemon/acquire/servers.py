"""Audio served by the listener's own media server (Jellyfin, a Subsonic server).

A track heard there is stored with the server's plain stream URL, without any
credential: the database never holds one. At download time the fetcher asks
:func:`server_audio` which configured server a URL belongs to and completes the
request with that server's credentials (a header for Jellyfin, a fresh salted token
in the query for Subsonic), which come from the config as every secret does.
A source config class offers its server by defining ``server_audio(config)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from daemon.config import Config

__all__ = ["ServerAudio", "complete_url", "server_audio"]


@dataclass(frozen=True)
class ServerAudio:
    """One media server's audio: the URLs under ``prefix`` are fetched with these
    credentials (``params`` is called per request: Subsonic's salt is never reused)."""

    prefix: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Callable[[], Mapping[str, str]] | None = None

    def owns(self, url: str) -> bool:
        """Whether ``url`` is this server's (same scheme, host and port, under its path)."""
        base, other = urlsplit(self.prefix), urlsplit(url)
        return (
            base.scheme == other.scheme
            and base.netloc == other.netloc
            and other.path.startswith(base.path.rstrip("/") + "/")
        )


def server_audio(config: Config) -> list[ServerAudio]:
    """The media servers the configured history sources read (``server_audio`` of each)."""
    servers: list[ServerAudio] = []
    for history in config.history:
        offer = getattr(history, "server_audio", None)
        if callable(offer) and (server := offer(config)) is not None:
            servers.append(server)
    return servers


def complete_url(url: str, servers: Sequence[ServerAudio]) -> tuple[str, dict[str, str]]:
    """``url`` with its server's query credentials added, and the headers to send."""
    server = next((s for s in servers if s.owns(url)), None)
    if server is None:
        return url, {}
    if server.params is not None:
        joiner = "&" if urlsplit(url).query else "?"
        url = f"{url}{joiner}{urlencode(dict(server.params()))}"
    return url, dict(server.headers)
