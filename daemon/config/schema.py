"""The configuration's frozen dataclasses, with their defaults in code."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from classifier import ModelConfig
from daemon.config.errors import ConfigError

__all__ = [
    "EXPORT_FORMATS",
    "Config",
    "DaemonConfig",
    "DiscoverConfig",
    "FeedConfig",
    "FetchConfig",
    "HistoryConfig",
    "LibraryConfig",
    "ModelConfig",
    "MpdConfig",
    "PlaylistConfig",
    "QueueConfig",
    "ScheduleConfig",
    "Secret",
    "SourceSchemas",
    "StorageConfig",
    "SubsonicConfig",
    "WebConfig",
    "bounded",
    "checked",
    "choice",
    "parse_listen",
    "secret",
]

EXPORT_FORMATS = ("m3u8", "xspf", "csv", "json", "jspf")


class Secret(str):
    """A string that never shows itself in repr() or logs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"


_SECRET = {"secret": True}
N = TypeVar("N", int, float)
T = TypeVar("T")

# What the loader checks is declared on the fields (``field`` metadata) with these helpers;
# the loader (:mod:`daemon.config.load`) is the one place that checks it.


def bounded(
    default: N,
    *,
    above: float | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
    note: str = "",
) -> N:
    """A number field whose range the loader checks; ``note`` says what the ends mean."""
    limits = {"above": above, "at_least": at_least, "at_most": at_most}
    metadata: dict[str, Any] = {k: v for k, v in limits.items() if v is not None}
    if note:
        metadata["note"] = note
    value: N = field(default=default, metadata=metadata)
    return value


def choice(default: str, choices: tuple[str, ...], *, ignore_case: bool = False) -> str:
    """A string field the loader holds to one of ``choices`` (with a did-you-mean)."""
    value: str = field(default=default, metadata={"choices": choices, "ignore_case": ignore_case})
    return value


def checked(default: T, check: Callable[[T], str | None]) -> T:
    """A field whose configured value the loader passes to ``check``: it returns what is
    wrong and how to fix it (the loader puts the file, the key and the value before it),
    or None."""
    value: T = field(default=default, metadata={"check": check})
    return value


def secret() -> Secret:
    """A secret string field: filled from the environment or the credentials directory
    when empty, never printed."""
    value: Secret = field(default=Secret(""), metadata=_SECRET)
    return value


def _not_a_umask(value: str) -> str | None:
    try:
        bits = int(value, 8)
    except ValueError:
        bits = -1
    if 0 <= bits <= 0o777:
        return None
    return (
        'is not a umask: write octal digits such as "0027" (group may read, others nothing) '
        'or "0077"'
    )


def _not_a_file_name(name: str) -> str | None:
    """A playlist's name is a file name in its folder: it cannot climb out or hide."""
    if not name.strip() or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        return "must be a plain file name (no '/', no leading '.'): to write elsewhere, set path"
    return None


@dataclass(frozen=True)
class StorageConfig:
    """Where tastebud keeps its database, audio cache and checkpoints."""

    dir: str = ""
    cache_dir: str = ""
    backup: bool = False
    umask: str = checked("0027", _not_a_umask)

    @property
    def umask_bits(self) -> int:
        """``umask`` as a number."""
        return int(self.umask, 8)


@dataclass(frozen=True)
class HistoryConfig:
    """One listening-history source (``[[history]]``): what every source type shares.

    Each source module subclasses it with exactly the keys its type takes (the default
    of ``type`` names the type) and registers it; the loader is given those classes
    (:class:`SourceSchemas`).
    """

    required: ClassVar[tuple[str, ...]] = ()  # keys a table of this type must set
    type: str
    name: str = ""

    @property
    def key(self) -> str:
        """The source's name in cursors, runs and logs."""
        return self.name or self.type


@dataclass(frozen=True)
class FeedConfig:
    """One candidate feed (``[[feeds]]``): what every feed type shares (see HistoryConfig)."""

    required: ClassVar[tuple[str, ...]] = ()  # keys a table of this type must set
    type: str
    name: str = ""

    @property
    def key(self) -> str:
        """The feed's name in the queue, cursors, runs and logs."""
        return self.name or self.type


@dataclass(frozen=True)
class SourceSchemas:
    """The config class of each source type: what ``[[history]]`` and ``[[feeds]]`` tables
    are parsed into, by their ``type``. The sources' registry makes it
    (``daemon.sources.config_schemas()``); whoever loads the config passes it."""

    history: Mapping[str, type[HistoryConfig]] = field(default_factory=dict)
    feeds: Mapping[str, type[FeedConfig]] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchConfig:
    """Downloading and decoding audio (``[fetch]``)."""

    min_duration_s: float = bounded(60.0, at_least=0)
    max_duration_s: float = bounded(720.0, above=0)
    max_filesize_mb: float = bounded(200.0, above=0)
    keep_audio: bool = False
    format: str = "bestaudio/best"
    search: str = "ytsearch5"
    min_match_confidence: float = bounded(0.6, at_least=0, at_most=1)
    duration_tolerance_s: float = bounded(20.0, at_least=0)
    host_delay_s: float = bounded(5.0, at_least=0)
    sleep_requests_s: float = bounded(1.0, at_least=0)
    concurrency: int = bounded(1, above=0)
    batch_size: int = bounded(20, above=0)
    reanalyse_per_cycle: int = bounded(20, at_least=0, note="0 turns re-analysis off")
    max_attempts: int = bounded(6, above=0)
    retry_base_s: float = bounded(900.0, at_least=0)
    bot_retry_s: float = bounded(6 * 3600.0, at_least=0)
    socket_timeout_s: float = bounded(30.0, above=0, at_most=3600)
    # every answer of a web API, and every download, is read within a size and a deadline
    max_answer_mb: float = bounded(64.0, above=0, at_most=4096)
    request_deadline_s: float = bounded(120.0, above=0, at_most=3600)
    download_deadline_s: float = bounded(1800.0, above=0, at_most=86400)
    poll_deadline_s: float = bounded(900.0, above=0, at_most=86400)
    cookies_file: Secret = secret()
    proxy: str = ""


_YEAR_MIN = 366 * 24 * 60  # the longest interval: a year, in minutes


@dataclass(frozen=True)
class ScheduleConfig:
    """Job intervals (``[schedule]``)."""

    history_minutes: float = bounded(30.0, above=0, at_most=_YEAR_MIN)
    feeds_minutes: float = bounded(180.0, above=0, at_most=_YEAR_MIN)
    fetch_minutes: float = bounded(5.0, above=0, at_most=_YEAR_MIN)
    train_minutes: float = bounded(360.0, above=0, at_most=_YEAR_MIN)
    playlists_minutes: float = bounded(60.0, above=0, at_most=_YEAR_MIN)
    maintenance_hours: float = bounded(24.0, above=0, at_most=_YEAR_MIN / 60)
    misfire_grace_s: int = bounded(600, above=0, at_most=86400)
    shutdown_timeout_s: float = bounded(30.0, above=0, at_most=3600)


@dataclass(frozen=True)
class QueueConfig:
    """Queue ranking (``[queue]``)."""

    per_artist: int = bounded(2, above=0)
    window: int = bounded(50, above=0)


@dataclass(frozen=True)
class PlaylistConfig:
    """A playlist file the daemon keeps up to date (``[[playlists]]``)."""

    name: str = field(metadata={"check": _not_a_file_name})
    format: str = choice("m3u8", EXPORT_FORMATS)
    path: str = ""
    limit: int = bounded(50, above=0)
    min_standing: float = bounded(0.0, at_least=0, at_most=1)  # standing among the candidates
    counts_skips: bool = False  # the listener plays this playlist: unplayed tracks are skips


@dataclass(frozen=True)
class LibraryConfig:
    """The folder of tagged audio files for the top of the queue (``[library]``)."""

    dir: str = ""  # empty: <state dir>/library
    size: int = bounded(50, at_least=0)  # 0: no library folder
    max_gb: float = bounded(10.0, above=0)


@dataclass(frozen=True)
class MpdConfig:
    """The MPD server that plays the library folder (``[mpd]``; empty host: none)."""

    host: str = ""
    port: int = bounded(6600, at_least=1, at_most=65535)
    password: Secret = secret()
    playlist: str = "tastebud"
    enqueue: bool = False
    history: bool = False


@dataclass(frozen=True)
class SubsonicConfig:
    """An OpenSubsonic server (Navidrome, Gonic, Airsonic) scanning the library folder."""

    url: str = ""  # empty: none
    user: str = ""
    password: Secret = secret()
    playlist: str = "tastebud"


@dataclass(frozen=True)
class DiscoverConfig:
    """Candidates without a feed (``[discover]``): drawn from the listener's top artists
    through the ListenBrainz and Last.fm history sources configured."""

    FEED: ClassVar[str] = "discover"
    """The discovery feed's name: its runs and cursor are ``feed:discover``, which no
    ``[[feeds]]`` table may take."""

    enabled: bool = True  # acts once a listenbrainz or lastfm history exists
    per_day: int = bounded(20, at_least=0)  # new candidates a day, at most
    period: str = choice("month", ("week", "month", "quarter", "year"))  # of the top artists
    artists: int = bounded(10, above=0)  # top artists to start from
    similar: int = bounded(5, above=0)  # similar artists of each
    tracks: int = bounded(2, above=0)  # top tracks of each similar artist
    fresh_releases: bool = True  # ListenBrainz's fresh releases by those artists
    labs_url: str = ""  # empty: https://labs.api.listenbrainz.org


@dataclass(frozen=True)
class PlayerConfig:
    """How the dashboard's ``p`` plays a track (``[player]``)."""

    # The player and its arguments; the track's URL or local file is appended. Empty: mpv
    # (``mpv --no-video``) when it is installed.
    command: tuple[str, ...] = ()


def _not_host_port(text: str) -> str | None:
    host, sep, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        return 'is not HOST:PORT: write e.g. "127.0.0.1:8398" or "[::1]:8398"'
    return None


def parse_listen(text: str, what: str = "[web] listen") -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8398`` for IPv6) as (host, port); port 0 picks a free one."""
    if (wrong := _not_host_port(text)) is not None:
        raise ConfigError(f"{what} {text!r} {wrong}")
    host, _, port = text.strip().rpartition(":")
    return host.removeprefix("[").removesuffix("]"), int(port)


@dataclass(frozen=True)
class WebConfig:
    """The web page and HTTP API (``[web]``): ``tastebud web``, and inside ``tastebud run``
    when ``enabled``. Listening beyond loopback needs ``token``."""

    enabled: bool = False
    listen: str = checked("127.0.0.1:8398", _not_host_port)  # not 8384: Syncthing's
    token: Secret = secret()


@dataclass(frozen=True)
class DaemonConfig:
    """Process settings (``[daemon]``)."""

    log_level: str = choice("INFO", ("DEBUG", "INFO", "WARNING", "ERROR"), ignore_case=True)
    nice: int = bounded(10, at_least=0, at_most=19, note="0 is normal priority, 19 the lowest")


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    path: str = ""
    storage: StorageConfig = field(default_factory=StorageConfig)
    history: tuple[HistoryConfig, ...] = ()
    feeds: tuple[FeedConfig, ...] = ()
    fetch: FetchConfig = field(default_factory=FetchConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    playlists: tuple[PlaylistConfig, ...] = ()
    player: PlayerConfig = field(default_factory=PlayerConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    library: LibraryConfig = field(default_factory=LibraryConfig)
    mpd: MpdConfig = field(default_factory=MpdConfig)
    subsonic: SubsonicConfig = field(default_factory=SubsonicConfig)
    web: WebConfig = field(default_factory=WebConfig)
    discover: DiscoverConfig = field(default_factory=DiscoverConfig)

    @property
    def state_dir(self) -> Path:
        """``[storage] dir``, else ``$STATE_DIRECTORY`` (systemd), else ~/.local/share/tastebud."""
        if self.storage.dir:
            return Path(self.storage.dir).expanduser()
        if env := os.environ.get("STATE_DIRECTORY"):
            return Path(env.split(":")[0])
        return Path("~/.local/share/tastebud").expanduser()

    @property
    def cache_dir(self) -> Path:
        """``[storage] cache_dir``, else ``$CACHE_DIRECTORY``, else ``<state dir>/cache``."""
        if self.storage.cache_dir:
            return Path(self.storage.cache_dir).expanduser()
        if env := os.environ.get("CACHE_DIRECTORY"):
            return Path(env.split(":")[0])
        return self.state_dir / "cache"

    @property
    def library_dir(self) -> Path:
        """``[library] dir``, else ``<state dir>/library``."""
        if self.library.dir:
            return Path(self.library.dir).expanduser()
        return self.state_dir / "library"

    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.state_dir / "tastebud.db"

    @property
    def checkpoint_dir(self) -> Path:
        """Where model checkpoints are written."""
        return self.state_dir / "models"
