"""``tastebud doctor``'s checks of what the config points at: the config file (and every
place it was looked for), each path tastebud will look for (with where it came from),
placeholders left from the shipped config, and servers set up without their password."""

from __future__ import annotations

import os
import re
from pathlib import Path

from daemon.cli.checks import Check
from daemon.config import Config, ConfigSearch, FeedConfig, HistoryConfig
from daemon.filemodes import blocked_for_others
from daemon.redact import redact

__all__ = [
    "check_config_file",
    "check_paths",
    "check_placeholders",
    "check_servers",
    "check_system_unit",
    "source_advice",
]

PLACEHOLDERS = frozenset({"example", "your-listenbrainz-name", "your-lastfm-name"})
_PATH_FIELDS = {  # (array, type) -> the field holding a file or folder, and which
    ("history", "takeout"): ("path", "file"),
    ("history", "listenbrainz-export"): ("path", "file"),
    ("history", "ytmusic"): ("auth_file", "file"),
    ("feeds", "directory"): ("path", "folder"),
}


def check_config_file(config: Config, search: ConfigSearch) -> list[Check]:
    """The config file read, where it was looked for, and a warning when another one found
    there is not read (``./config.toml`` comes before ``~/.config/tastebud/config.toml``)."""
    where = f"looked at: {'; '.join(search.lines())}" if search.looked else f"from {search.why}"
    checks = [Check("config", True, f"{config.path} is valid ({where})")]
    shadowed = [path for path, exists in search.looked if exists and path != search.path]
    if shadowed:
        names = ", ".join(str(p) for p in shadowed)
        checks.append(
            Check(
                "config",
                False,
                f"{names} is not read: {search.path} comes first",
                f"remove or rename the one you do not use, or pass --config {shadowed[0]}",
                warning=True,
            )
        )
    return checks


def _origin(value: str, key: str, env: str | None) -> str:
    if value:
        return f"from {key}"
    if env and os.environ.get(env):
        return f"from ${env}"
    return f"default: {key} is empty" + (f", no ${env}" if env else "")


def _nearest(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _state_folder(name: str, path: Path, origin: str) -> Check:
    """A folder tastebud creates and writes: there, or creatable by this user."""
    if path.is_dir():
        if os.access(path, os.W_OK | os.X_OK):
            return Check(name, True, f"{path} ({origin})")
        return Check(
            name,
            False,
            f"{path} ({origin}) is not writable by this user",
            "run tastebud as the user that owns it, or join its group (see README)",
            warning=True,
        )
    parent = _nearest(path)
    if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
        return Check(name, True, f"{path} ({origin}): not created yet, made on first use")
    return Check(
        name,
        False,
        f"{path} ({origin}) does not exist and {parent} is not writable by this user",
        f"create it (mkdir -p {path}) or choose another folder in config.toml",
    )


def _readers(name: str, path: Path, key: str) -> list[Check]:
    """A warning when another user (a media server) cannot reach ``path``."""
    blocker = blocked_for_others(path)
    if blocker is None:
        return []
    mode = blocker.stat().st_mode & 0o7777
    return [
        Check(
            name,
            False,
            f"a media server running as another user cannot reach {path}: {blocker} is "
            f"{mode:04o} (others may not pass through)",
            f"chmod o+x {blocker} (lets others pass, not list), or set {key} to a folder "
            "your media server reads",
            warning=True,
        )
    ]


def _playlist_checks(config: Config) -> list[Check]:
    from daemon.playlists import playlist_path

    checks = []
    for playlist in config.playlists:
        path = playlist_path(config, playlist)
        name = f"playlist {playlist.name}"
        if not playlist.path:
            checks.append(Check(name, True, f"{path} (default: [[playlists]] path is empty)"))
            checks += _readers(name, path.parent, "its [[playlists]] path")
        elif path.parent.is_dir():
            checks.append(Check(name, True, f"{path} (from [[playlists]] path)"))
            checks += _readers(name, path.parent, "its [[playlists]] path")
        else:
            checks.append(
                Check(
                    name,
                    False,
                    f"{path}: its folder {path.parent} does not exist",
                    f"create it (mkdir -p {path.parent}) or fix path in [[playlists]] "
                    f"'{playlist.name}'",
                )
            )
    return checks


def _source_path(array: str, source: HistoryConfig | FeedConfig) -> Check | None:
    field, kind = _PATH_FIELDS.get((array, source.type), ("", ""))
    value = str(getattr(source, field, "") or "") if field else ""
    if not value:
        return None
    path = Path(value).expanduser()
    name = f"{'history' if array == 'history' else 'feed'} {source.key}"
    exists = path.is_dir() if kind == "folder" else path.is_file()
    if exists and os.access(path, os.R_OK):
        return Check(name, True, f"{field} {path}: a readable {kind}")
    what = "is not readable by this user" if exists else f"is not a {kind} (looked at {path})"
    return Check(
        name,
        False,
        f"{field} {value} {what}",
        f"fix {field} in its [[{array}]] table (a path starting ~ is your home)",
    )


def check_paths(config: Config) -> list[Check]:
    """Every path tastebud looks for: the state, cache and library folders, the playlists'
    folders, the sources' files and folders, the cookies file and the credentials folder."""
    storage = config.storage
    checks = [
        _state_folder(
            "state",
            config.state_dir,
            _origin(storage.dir, "[storage] dir", "STATE_DIRECTORY"),
        ),
        _state_folder(
            "cache",
            config.cache_dir,
            _origin(storage.cache_dir, "[storage] cache_dir", "CACHE_DIRECTORY"),
        ),
    ]
    if config.library.size > 0:
        origin = _origin(config.library.dir, "[library] dir", None)
        checks.append(_state_folder("library", config.library_dir, origin))
        checks += _readers("library", config.library_dir, "[library] dir")
    checks += _playlist_checks(config)
    sources = [("history", h) for h in config.history] + [("feeds", f) for f in config.feeds]
    checks += [c for array, s in sources if (c := _source_path(array, s)) is not None]
    if config.fetch.cookies_file and not Path(config.fetch.cookies_file).expanduser().is_file():
        checks.append(  # the path itself is a secret: not shown
            Check(
                "cookies",
                False,
                "[fetch] cookies_file is set but is not a file",
                "fix cookies_file (or TASTEBUD_FETCH_COOKIES_FILE), or leave it empty",
            )
        )
    if credentials := os.environ.get("CREDENTIALS_DIRECTORY"):
        checks.append(Check("credentials", True, f"secrets also read from {credentials}"))
    return checks


def check_placeholders(config: Config) -> list[Check]:
    """A user name left as the shipped config's placeholder (``user = "example"``)."""
    sources = [("history", h) for h in config.history] + [("feeds", f) for f in config.feeds]
    return [
        Check(
            f"{'history' if array == 'history' else 'feed'} {s.key}",
            False,
            f'user = "{getattr(s, "user", "")}" is the shipped config\'s placeholder',
            f"set your own {s.type} user name in its [[{array}]] table in {config.path}, "
            "or remove the table",
        )
        for array, s in sources
        if getattr(s, "user", "") in PLACEHOLDERS
    ]


def check_servers(config: Config) -> list[Check]:
    """A Subsonic server set up without the user or password it needs."""
    sub = config.subsonic
    if not sub.url or (sub.user and sub.password):
        return []
    missing = " and ".join(
        name for name, value in (("user", sub.user), ("password", sub.password)) if not value
    )
    return [
        Check(
            "subsonic",
            False,
            f"[subsonic] url is set but {missing} is empty",
            "set [subsonic] user and password (or TASTEBUD_SUBSONIC_PASSWORD), or empty url",
        )
    ]


SYSTEM_CONFIG = Path("/etc/tastebud")  # the system unit's config folder
_HIDDEN = (Path("/home"), Path("/root"), Path("/run/user"))  # what its ProtectHome=yes hides


def _hidden(path: Path) -> bool:
    return any(path.is_relative_to(home) for home in _HIDDEN)


def check_system_unit(config: Config) -> list[Check]:
    """With the system unit's config: the folders it must write or read under a home,
    which its ``ProtectHome=yes`` hides, and the drop-in that opens them."""
    if Path(config.path).expanduser().parent != SYSTEM_CONFIG:
        return []
    from daemon.playlists import playlist_path

    writes = [config.library_dir] if config.library.size > 0 else []
    writes += [playlist_path(config, p).parent for p in config.playlists if p.path]
    reads = [
        Path(value).expanduser()
        for array, s in [("history", h) for h in config.history]
        + [("feeds", f) for f in config.feeds]
        if (value := str(getattr(s, _PATH_FIELDS.get((array, s.type), ("",))[0], "") or ""))
    ]
    hidden_writes = sorted({p for p in writes if _hidden(p)})
    hidden_reads = sorted({p for p in reads if _hidden(p)})
    if not hidden_writes and not hidden_reads:
        return []
    lines = ["ProtectHome=read-only", *(f"ReadWritePaths={p}" for p in hidden_writes)]
    names = ", ".join(str(p) for p in [*hidden_writes, *hidden_reads])
    return [
        Check(
            "systemd",
            False,
            f"the system unit cannot reach {names}: its ProtectHome=yes hides /home",
            f"sudo systemctl edit tastebud and add under [Service]: {'; '.join(lines)}; "
            "then sudo systemctl restart tastebud (README: 'A library folder under /home')",
            warning=True,
        )
    ]


_KEY_FIELD = {  # the field that names what a source reads
    "url": "url",
    "listenbrainz": "user",
    "lastfm": "user",
    "listenbrainz-recommendations": "user",
    "takeout": "path",
    "listenbrainz-export": "path",
    "directory": "path",
    "ytmusic": "auth_file",
}
_PAGES = {
    "listenbrainz": "https://listenbrainz.org/user/{}",
    "listenbrainz-recommendations": "https://listenbrainz.org/user/{}",
    "lastfm": "https://www.last.fm/user/{}",
}
_AUTH = re.compile(r"http (401|403)|token|api.?key|credential|password|auth", re.I)
_MISSING = re.compile(r"http 404|not found|no such|does not exist|is not a (file|folder|dir)", re.I)
_DOWN = re.compile(
    r"cannot reach|connect|timed? ?out|network|unreachable|refused|resolve|http 5\d\d", re.I
)


def _try_it(source: HistoryConfig | FeedConfig, value: str) -> str:
    if source.type == "url":
        return f"; see what yt-dlp says: yt-dlp --flat-playlist '{value}'"
    if (page := _PAGES.get(source.type)) is not None:
        return f"; open {page.format(value)}"
    return ""


def source_advice(array: str, source: HistoryConfig | FeedConfig, error: str) -> str:
    """What to do about a source whose last poll failed with ``error``, by what it says."""
    field = _KEY_FIELD.get(source.type, "url")
    value = redact(str(getattr(source, field, "") or ""))
    table = f"its [[{array}]] table"
    if _AUTH.search(error):
        return (
            f"check the token or api_key of {table} (or its TASTEBUD_..._TOKEN / "
            "TASTEBUD_..._API_KEY, or credentials file)"
        )
    if _MISSING.search(error):
        return (
            f"check {field} = {value!r} in {table}: it names nothing there{_try_it(source, value)}"
        )
    if _DOWN.search(error):
        return (
            "the server did not answer: check the network and [fetch] proxy, or wait for the "
            f"server to come back{_try_it(source, value)}"
        )
    return f"check {field} = {value!r} in {table}{_try_it(source, value)}"
