"""``tastebud doctor``: check what tastebud needs and say how to fix each problem."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from daemon.cli.checks import Check
from daemon.cli.doctor_setup import (
    check_config_file,
    check_paths,
    check_placeholders,
    check_servers,
    check_system_unit,
    source_advice,
)
from daemon.config import Config, ConfigSearch, FeedConfig, HistoryConfig, find_config
from daemon.redact import json_text
from daemon.sources import (
    JellyfinConfig,
    LastfmConfig,
    describe_discovery,
    discovery_feed,
    feed_jobs,
)
from daemon.waits import SKIP_HINT, Waits, backoff_until, until, wait_lines
from store import Store, TastebudError, corruption_fix

__all__ = ["Check", "cmd_doctor", "run_checks"]

YTDLP_MAX_AGE_DAYS = 30
MIN_FREE_BYTES = 2 * 1024**3


def check_database(config: Config) -> Check:
    """The database opens, migrates and passes ``quick_check``."""
    path = config.db_path
    if not path.exists():
        return Check("database", True, f"{path} not created yet (made on first run)")
    try:
        with Store.open(path) as store:
            result = store.quick_check()
            version = store.schema_version()
    except TastebudError as exc:
        return Check("database", False, str(exc), corruption_fix(path))
    if result != "ok":
        problems = [line for line in result.splitlines() if not line.startswith("***")]
        first = problems[0] if problems else result.splitlines()[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        said = f"{path}: quick_check says {first}{more}"
        return Check("database", False, said, corruption_fix(path))
    return Check("database", True, f"{path} ok (schema version {version})")


def check_weights(config: Config) -> Check:
    """The pretrained musicnn checkpoint of ``[model] backbone`` is installed."""
    name = config.model.backbone
    try:
        from classifier import weights_dir

        where = weights_dir(name)
    except ImportError:
        return Check("weights", False, "the musicnn port is missing", "reinstall tastebud")
    except TastebudError as exc:
        return Check("weights", False, str(exc), "pip install --no-deps musicnn==0.1.0")
    return Check("weights", True, f"{name} weights at {where}")


def ytdlp_release_date() -> dt.date:
    """The release date encoded in yt-dlp's version (YYYY.MM.DD)."""
    from yt_dlp.version import __version__

    year, month, day = (int(p) for p in __version__.split(".")[:3])
    return dt.date(year, month, day)


def check_ytdlp(today: dt.date | None = None) -> Check:
    """yt-dlp goes stale as sites change: warn when it is older than 30 days."""
    released = ytdlp_release_date()
    age = ((today or dt.date.today()) - released).days
    detail = f"yt-dlp {released:%Y.%m.%d} ({age} days old)"
    if age > YTDLP_MAX_AGE_DAYS:
        return Check(
            "yt-dlp",
            False,
            detail,
            "upgrade it: .venv/bin/pip install -U yt-dlp (or enable tastebud-ytdlp-update.timer)",
            warning=True,
        )
    return Check("yt-dlp", True, detail)


def check_javascript() -> Check:
    """yt-dlp needs a JavaScript runtime (deno) for YouTube."""
    try:
        import deno

        found = Path(deno.find_deno_bin()).exists()
    except (ImportError, AttributeError, OSError):
        found = shutil.which("deno") is not None
    if not found:
        return Check(
            "deno", False, "no JavaScript runtime for yt-dlp", "pip install deno", warning=True
        )
    return Check("deno", True, "JavaScript runtime for yt-dlp found")


def check_disk(config: Config) -> Check:
    """Enough free space for the audio cache and checkpoints."""
    path = config.state_dir
    while not path.exists() and path != path.parent:
        path = path.parent
    free = shutil.disk_usage(path).free
    detail = f"{free / 1024**3:.1f} GiB free at {path}"
    if free < MIN_FREE_BYTES:
        return Check(
            "disk",
            False,
            detail,
            "free some space or move [storage] dir / cache_dir to a larger disk",
        )
    return Check("disk", True, detail)


def check_sources(config: Config) -> Check:
    """At least one history source and one feed (or discovery) are configured."""
    if not config.history or not (config.feeds or discovery_feed(config)):
        missing = "[[history]]" if not config.history else "[[feeds]]"
        return Check(
            "sources",
            False,
            f"no {missing} table in {config.path}",
            f"add a {missing} table to {config.path}",
            warning=True,
        )
    return Check(
        "sources", True, f"{len(config.history)} history source(s), {len(config.feeds)} feed(s)"
    )


def check_discover(config: Config) -> Check:
    """Where candidates without a feed come from (``[discover]``)."""
    store = None
    if config.db_path.exists():
        try:
            store = Store.open(config.db_path, readonly=True)
        except TastebudError:
            store = None  # check_database reports it
    try:
        _, line = describe_discovery(config, store)
    finally:
        if store is not None:
            store.close()
    return Check("discover", True, line)


def check_mpd(config: Config) -> Check:
    """MPD answers on ``[mpd] host:port`` and takes the password."""
    from daemon.listening import connect

    try:
        with connect(config.mpd, timeout=5.0) as client:
            version = client.mpd_version
    except TastebudError as exc:
        return Check("mpd", False, str(exc), "start MPD, or fix [mpd] host, port and password")
    return Check("mpd", True, f"MPD {version} at {config.mpd.host}:{config.mpd.port}")


def check_subsonic(config: Config) -> Check:
    """The Subsonic server answers ``ping`` with the configured user and password."""
    from daemon.listening import Subsonic
    from daemon.net import RetryPolicy

    api = Subsonic(config.subsonic, policy=RetryPolicy(attempts=1), fetch=config.fetch)
    try:
        body = api.call("ping")
    except TastebudError as exc:
        return Check("subsonic", False, str(exc), "fix [subsonic] url, user and password")
    finally:
        api.close()
    server = f"{body.get('type', 'Subsonic')} {body.get('serverVersion', body.get('version'))}"
    return Check(
        "subsonic", True, f"{server} at {config.subsonic.url} accepts {config.subsonic.user}"
    )


def check_jellyfin(source: JellyfinConfig) -> Check:
    """The Jellyfin server answers ``/System/Info`` and accepts the API key."""
    from daemon.net import RetryPolicy, get_json, make_client

    name, base = f"history {source.key}", source.url.rstrip("/")
    try:
        with make_client(timeout=10.0) as client:
            info = get_json(
                client,
                f"{base}/System/Info",
                what=f"Jellyfin server {base}",
                policy=RetryPolicy(attempts=1),
                headers=source.auth_headers(),
            )
    except TastebudError as exc:
        fix = "start Jellyfin or fix url; set token to an API key (Dashboard > API Keys)"
        return Check(name, False, str(exc), fix)
    version = info.get("Version", "?") if isinstance(info, dict) else "?"
    return Check(name, True, f"Jellyfin {version} at {base} accepts the API key")


def _history_setup(history: HistoryConfig) -> Check | None:
    """A problem a ``[[history]]`` source will hit on its first poll, found now."""
    name = f"history {history.key}"
    if isinstance(history, JellyfinConfig) and not history.token:
        return Check(
            name,
            False,
            "Jellyfin needs token, an API key",
            "create one in Jellyfin's Dashboard > API Keys and set token "
            "(or TASTEBUD_JELLYFIN_TOKEN)",
        )
    if isinstance(history, LastfmConfig) and not history.api_key:
        return Check(
            name,
            False,
            "Last.fm needs an api_key",
            "get one at https://www.last.fm/api/account/create and set api_key "
            "(or TASTEBUD_LASTFM_API_KEY)",
        )
    if history.type == "ytmusic":
        try:
            importlib.import_module("ytmusicapi")
        except ImportError:
            return Check(
                name,
                False,
                "ytmusic history needs the ytmusicapi package, which is not installed",
                "pip install 'tastebud[ytmusic]' (in tastebud's venv)",
            )
    return None


def check_source_setup(config: Config) -> list[Check]:
    """Each ``[[history]]`` source has what it needs (a Last.fm api_key, ytmusicapi)."""
    checks = [c for h in config.history if (c := _history_setup(h)) is not None]
    failed = {c.name for c in checks}
    servers = [h for h in config.history if isinstance(h, JellyfinConfig) and h.token]
    return checks + [check_jellyfin(h) for h in servers if f"history {h.key}" not in failed]


def _last_failure(store: Store, job: str) -> str | None:
    """The error of ``job``'s last run when that run failed (backoff skips look through)."""
    for run in store.runs(job, limit=20):
        if run.status != "skipped":
            return (run.error or "failed") if run.status == "failed" else None
    return None


def check_source_runs(config: Config) -> list[Check]:
    """Sources whose last poll failed, from the runs table (read-only; none before a first
    run), with what to do about each and when it polls again."""
    sources: list[tuple[str, str, HistoryConfig | FeedConfig]] = [
        ("history", f"history:{h.key}", h) for h in config.history
    ]
    sources += [("feeds", job, feed) for job, feed in feed_jobs(config)]
    if not sources or not config.db_path.exists():
        return []
    try:
        with Store.open(config.db_path, readonly=True) as store:
            failures = {job: _last_failure(store, job) for _, job, _ in sources}
            backoffs = {job: backoff_until(store, job) for _, job, _ in sources}
    except TastebudError:
        return []  # check_database reports an unreadable database
    now = time.time()
    checks = []
    for array, job, source in sources:
        if (error := failures[job]) is None:
            continue
        fix = source_advice(array, source, error)
        if (at := backoffs[job]) is not None and at > now:
            fix += f"; it backs off until {until(at, now)}: {SKIP_HINT}"
        else:
            fix += "; then `tastebud retry` polls it at once"
        checks.append(Check(job, False, f"last poll failed: {error}", fix))
    return checks


def check_waits(config: Config) -> list[Check]:
    """Tracks waiting to be fetched again after failing (a warning: the wait ends by itself)."""
    if not config.db_path.exists():
        return []
    try:
        with Store.open(config.db_path, readonly=True) as store:
            waits = Waits(store.retry_wait())
    except TastebudError:
        return []  # check_database reports an unreadable database
    return [
        Check("fetch", False, line, SKIP_HINT, warning=True)
        for line in wait_lines(waits, time.time(), hint=False)
    ]


WORKERS = ("mpd-watch",)  # the daemon's supervised threads (daemon.supervise)


def check_worker_runs(config: Config) -> list[Check]:
    """Workers whose last recorded event was a crash (each was restarted with backoff)."""
    if not config.db_path.exists():
        return []
    try:
        with Store.open(config.db_path, readonly=True) as store:
            last = {w: store.runs(f"worker:{w}", limit=1) for w in WORKERS}
    except TastebudError:
        return []
    return [
        Check(
            f"worker:{name}",
            False,
            f"crashed at {time.ctime(runs[0].started_at)} and was restarted: {runs[0].error}",
            "the daemon's log has the details; report it if it keeps happening",
            warning=True,
        )
        for name, runs in last.items()
        if runs and runs[0].status == "failed"
    ]


def run_checks(config: Config, search: ConfigSearch | None = None) -> list[Check]:
    """Every doctor check, in order (``search``: where the config file was looked for)."""
    search = search or ConfigSearch(Path(config.path), "--config")
    checks: list[Callable[[], Check]] = [
        lambda: check_sources(config),
        lambda: check_discover(config),
        lambda: check_database(config),
        lambda: check_weights(config),
        check_ytdlp,
        check_javascript,
        lambda: check_disk(config),
    ]
    if config.mpd.host:
        checks.append(lambda: check_mpd(config))
    servers = check_servers(config)
    if config.subsonic.url and not servers:
        checks.append(lambda: check_subsonic(config))
    return [
        *check_config_file(config, search),
        *check_placeholders(config),
        *(c() for c in checks),
        *servers,
        *check_paths(config),
        *check_system_unit(config),
        *check_source_setup(config),
        *check_source_runs(config),
        *check_waits(config),
        *check_worker_runs(config),
    ]


def cmd_doctor(config: Config, args: argparse.Namespace) -> int:
    """Print each check; exit 1 when a check failed (warnings do not fail)."""
    results = run_checks(config, find_config(getattr(args, "config", None)))
    ok = all(c.ok or c.warning for c in results)
    if getattr(args, "json", False):
        checks = [dataclasses.asdict(c) for c in results]
        print(json_text({"ok": ok, "checks": checks}, indent=2))
        return 0 if ok else 1
    for check in results:
        mark = "ok  " if check.ok else ("warn" if check.warning else "FAIL")
        print(f"[{mark}] {check.name}: {check.detail}")
        if check.fix and not check.ok:
            print(f"       fix: {check.fix}")
    return 0 if ok else 1
