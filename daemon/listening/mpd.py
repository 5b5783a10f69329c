"""MPD: the connection, and the stored playlist of the library folder.

MPD names songs by their path under its ``music_directory``, which must contain
the library folder; the folder's place there is found by searching for its files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from mpd import CommandError, MPDClient, MPDError
from mpd import ConnectionError as MpdConnectionError

from daemon.config import Config, MpdConfig
from daemon.listening.errors import PlayerError
from daemon.listening.library import LibraryResult
from daemon.listening.mpd_lines import BoundedClient

__all__ = ["connect", "find_uris", "sync_mpd"]

logger = logging.getLogger(__name__)
logging.getLogger("mpd").setLevel(logging.WARNING)  # python-mpd2 logs every call at INFO

UPDATE_TIMEOUT_S = 300.0


def _where(config: MpdConfig) -> str:
    return f"MPD at {config.host}:{config.port}"


@contextmanager
def connect(config: MpdConfig, timeout: float = 10.0) -> Iterator[MPDClient]:
    """A logged-in client (each line it reads bounded); every MPD or socket error becomes
    one PlayerError line."""
    client = BoundedClient()
    client.timeout = timeout
    try:
        client.connect(config.host, config.port)
    except (OSError, MPDError, UnicodeDecodeError, ValueError) as exc:  # a binary greeting too
        raise PlayerError(
            f"cannot reach {_where(config)}: {exc}: start MPD or fix [mpd] host and port"
        ) from None
    try:
        _login(client, config)
        yield client
    except CommandError as exc:
        raise PlayerError(f"{_where(config)} refused a command: {exc}") from None
    except (OSError, MPDError, UnicodeDecodeError) as exc:  # a line that is not UTF-8 too
        raise PlayerError(f"lost the connection to {_where(config)}: {exc}") from None
    finally:
        _close(client)


def _login(client: MPDClient, config: MpdConfig) -> None:
    if config.password:
        try:
            client.password(config.password)
        except CommandError:
            raise PlayerError(
                f"{_where(config)} refused the password: set [mpd] password "
                "(or TASTEBUD_MPD_PASSWORD) to one in MPD's password setting"
            ) from None
    if "add" not in client.commands():
        raise PlayerError(
            f"{_where(config)} does not let tastebud add songs: set [mpd] password "
            "(or TASTEBUD_MPD_PASSWORD) to one with add permission"
        )


def _close(client: MPDClient) -> None:
    try:
        client.close()
        client.disconnect()
    except (OSError, MpdConnectionError):
        pass


def sync_mpd(config: Config, library: LibraryResult) -> int:
    """Update MPD's database, replace the stored playlist, optionally enqueue; how many songs."""
    with connect(config.mpd) as client:
        _update(client, config.mpd)
        uris = find_uris(client, [f.path for _, f in library.files])
        if library.files and not uris:
            raise PlayerError(
                f"{_where(config.mpd)} does not see the library folder {library.root}: "
                "put it inside MPD's music_directory (or set [library] dir to a folder there)"
            )
        _replace_playlist(client, config.mpd.playlist, uris)
        if config.mpd.enqueue:
            _enqueue(client, uris)
    logger.info("MPD playlist %s: %d songs", config.mpd.playlist, len(uris))
    return len(uris)


def _update(client: MPDClient, config: MpdConfig) -> None:
    client.update()
    deadline = time.monotonic() + UPDATE_TIMEOUT_S
    while "updating_db" in client.status():
        if time.monotonic() > deadline:
            raise PlayerError(f"{_where(config)} still updating its database after 5 minutes")
        time.sleep(0.1)


def find_uris(client: MPDClient, paths: Sequence[str]) -> list[str]:
    """MPD's URIs of the library files at ``paths`` (relative to the folder), in order."""
    uris: list[str] = []
    for path in paths:
        found = [s["file"] for s in client.search("file", path) if "file" in s]
        match = next((u for u in found if u == path or u.endswith(f"/{path}")), None)
        if match is not None:
            uris.append(match)
    return uris


def _replace_playlist(client: MPDClient, name: str, uris: Sequence[str]) -> None:
    try:
        client.rm(name)
    except CommandError:  # it did not exist yet
        pass
    for uri in uris:
        client.playlistadd(name, uri)


def _enqueue(client: MPDClient, uris: Sequence[str]) -> None:
    queued = {song.get("file") for song in client.playlistinfo()}
    for uri in uris:
        if uri not in queued:
            client.add(uri)
