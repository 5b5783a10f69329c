"""``make demo``: the whole pipeline, offline, on a synthetic corpus, in minutes.

1. Synthesises tracks in five styles as real Ogg, MP3 and Opus files, served by
   a loopback HTTP server with an RSS feed (the candidate feed).
2. Writes a ListenBrainz export whose listens favour two styles for months and
   drift to a third in the last weeks, each listen carrying its ``origin_url``.
3. Runs the real daemon (``tastebud run``) on a demo config until the queue is
   scored, showing progress.
4. Prints the dashboard once and exports the top 20 as M3U8 and XSPF.
"""

from __future__ import annotations

import functools
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from daemon.config import Config, load_config
from daemon.demo.corpus import DemoTrack, make_corpus
from daemon.feedback import current_queue
from daemon.sources import config_schemas
from store import SCHEMA_VERSION, Store, TastebudError

__all__ = ["DEMO_PATCHES", "DemoPlan", "DemoResult", "run_demo", "write_history", "write_rss"]

DAY = 86400
DEMO_PATCHES = 6  # excerpts per track: fewer than the default 10, for a quick demo


@dataclass(frozen=True)
class DemoPlan:
    """What the demo synthesises and how the simulated listener behaves."""

    candidates: dict[str, int] = field(
        default_factory=lambda: {
            "piano-ballad": 12,
            "drum-and-bass": 12,
            "ambient-pad": 12,
            "plucked-guitar": 12,
            "brass-chords": 12,
        }
    )
    early_styles: tuple[str, ...] = ("piano-ballad", "plucked-guitar")
    drift_style: str = "ambient-pad"
    history_per_style: int = 5
    seconds: float = 30.0
    days: int = 150
    drift_days: int = 28
    listens_per_day: int = 3
    timeout_s: float = 270.0
    seed: int = 0


@dataclass(frozen=True)
class DemoResult:
    """Where the demo left things, and the queue it produced."""

    state_dir: Path
    config_path: Path
    top_styles: list[str]
    seconds: float


# -- the loopback server ---------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up early (yt-dlp probing a file) is not an error here


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) and yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


_MIME = {".flac": "audio/flac", ".mp3": "audio/mpeg", ".opus": "audio/ogg"}


def write_rss(tracks: list[DemoTrack], base: str, path: Path) -> None:
    """An RSS 2.0 feed whose enclosures are the candidate tracks."""
    items = []
    for i, t in enumerate(tracks):
        url = f"{base}/audio/{t.path.name}"
        items.append(
            f"<item><title>{escape(t.artist)} - {escape(t.title)}</title>"
            f"<guid>{escape(url)}</guid><pubDate>{formatdate(time.time() - i * 3600)}</pubDate>"
            f'<enclosure url="{escape(url)}" length="{t.path.stat().st_size}" '
            f'type="{_MIME[t.path.suffix]}"/></item>'
        )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        "<title>tastebud demo feed</title><link>http://127.0.0.1/</link>"
        "<description>Synthesised tracks</description>" + "".join(items) + "</channel></rss>\n",
        encoding="utf-8",
    )


def write_history(
    plan: DemoPlan, history: list[DemoTrack], base: str, path: Path, now: float
) -> int:
    """A ListenBrainz export (JSON Lines): early styles for months, then the drift style."""
    import random

    rng = random.Random(plan.seed)
    by_style: dict[str, list[DemoTrack]] = {}
    for t in history:
        by_style.setdefault(t.style, []).append(t)
    lines = []
    for day in range(plan.days, 0, -1):
        drifted = day <= plan.drift_days
        styles = [plan.drift_style] if drifted else list(plan.early_styles)
        for n in range(plan.listens_per_day):
            track = rng.choice(by_style[rng.choice(styles)])
            at = int(now - day * DAY + n * 3600 + rng.randint(0, 1800))
            lines.append(json.dumps(_listen(track, base, at)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def _listen(track: DemoTrack, base: str, at: int) -> dict[str, object]:
    return {
        "listened_at": at,
        "recording_msid": f"demo-{track.path.stem}",
        "track_metadata": {
            "artist_name": track.artist,
            "track_name": track.title,
            "additional_info": {
                "origin_url": f"{base}/audio/{track.path.name}",
                "submission_client": "tastebud demo",
            },
        },
    }


def write_config(state: Path, base: str, history_file: Path, candidates: int) -> Path:
    """A demo config: loopback feed, the export as history, short intervals. Its paths are
    relative to its folder, ``state``, so the folder can be moved."""
    path = state / "config.toml"
    history = (
        history_file.relative_to(state) if history_file.is_relative_to(state) else history_file
    )
    path.write_text(
        f"""# tastebud demo configuration (written by `make demo`); paths are relative to this file
[storage]
dir = "."

[[history]]
type = "listenbrainz-export"
path = "{history}"

[[feeds]]
type = "url"
name = "demo feed"
url = "{base}/feed.rss"
max_items = {candidates}

[fetch]
min_duration_s = 10.0
host_delay_s = 0.0
sleep_requests_s = 0.0
batch_size = 500
retry_base_s = 5.0

[model]
patches = {DEMO_PATCHES}

[schedule]
history_minutes = 0.05
feeds_minutes = 0.05
fetch_minutes = 0.05
train_minutes = 0.1
playlists_minutes = 0.1
shutdown_timeout_s = 20.0

[queue]
per_artist = 3              # the corpus has four artists per style

[[playlists]]
name = "demo"
format = "m3u8"
limit = 20

[daemon]
log_level = "INFO"
""",
        encoding="utf-8",
    )
    return path


# -- running the daemon ----------------------------------------------------------------------


def _read_progress(db_path: Path, total: int, since: float | None) -> tuple[int, bool]:
    """Read-only: the daemon alone creates and migrates the database."""
    if not db_path.exists():
        return 0, False
    with Store.open(db_path, readonly=True) as store:
        if store.schema_version() < SCHEMA_VERSION:
            return 0, False
        return _progress(store, total, since)


def _progress(store: Store, total: int, since: float | None) -> tuple[int, bool]:
    """(tracks done, whether the queue is scored by a training run that started after every
    track was done, so the result never comes from a model that saw only some of them)."""
    counts = store.state_counts()
    done = sum(counts.get(s, 0) for s in ("ready", "failed", "skipped", "unmatched"))
    champion = store.champion()
    if champion is None or done < total or counts.get("fetching") or counts.get("new"):
        return done, False
    if since is None or not _trained_since(store, since):
        return done, False
    scored = store.scores()
    ready = [e for e in store.queue(1000, per_artist=1000, window=1)]
    return done, bool(ready) and all(e.track.id in scored for e in ready)


def _trained_since(store: Store, since: float) -> bool:
    """A train run (train, then rescore) started at ``since`` or later and finished."""
    return any(
        r.started_at >= since and r.finished_at is not None for r in store.runs("train", limit=5)
    )


def run_daemon_until_scored(
    config_path: Path, db_path: Path, total: int, timeout: float, console: Console, log_path: Path
) -> None:
    """Start ``tastebud run``, show progress until the queue is scored, stop it cleanly."""
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "--config", str(config_path), "run"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _watch(proc, db_path, total, timeout, console)
        except TastebudError as exc:
            _stop(proc)
            raise TastebudError(f"{exc}; the daemon's last lines:\n{_tail(log_path)}") from None
        finally:
            _stop(proc)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(nothing logged)"


def _watch(
    proc: subprocess.Popen[bytes], db_path: Path, total: int, timeout: float, console: Console
) -> None:
    deadline = time.monotonic() + timeout
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("fetch, decode, embed, train, score", total=total)
        complete_at: float | None = None  # when every track was first seen done
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise TastebudError(f"the demo daemon exited early ({proc.returncode})")
            done, scored = _read_progress(db_path, total, complete_at)
            bar.update(task, completed=done)
            if scored:
                return
            if done >= total and complete_at is None:
                complete_at = time.time()
            time.sleep(0.5)
    raise TastebudError(f"the demo did not finish within {timeout:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def top_styles(config: Config, n: int = 10) -> list[str]:
    """The style (from the file name) of each of the queue's top ``n`` tracks, the queue as
    the dashboard shows it (``[queue] per_artist`` and ``window`` applied)."""
    with Store.open(config.db_path, readonly=True) as store:
        queue = current_queue(store, config, n)
    return [Path(e.track.url or "").name.rsplit("-", 1)[0] for e in queue]


def run_demo(state: Path, plan: DemoPlan, console: Console) -> DemoResult:
    """Everything but the final dashboard and exports; returns the top styles."""
    start = time.monotonic()
    if state.exists():
        shutil.rmtree(state)
    audio = state / "www" / "audio"
    corpus_dir = state.parent / ".demo-corpus"
    with console.status("synthesising the demo corpus"):
        candidates = make_corpus(
            corpus_dir / "candidates", plan.candidates, seconds=plan.seconds, seed=plan.seed
        )
        history_plan = {s: plan.history_per_style for s in (*plan.early_styles, plan.drift_style)}
        history = make_corpus(
            corpus_dir / "history",
            history_plan,
            seconds=plan.seconds,
            seed=plan.seed + 1,
            series="Session",
        )
    audio.mkdir(parents=True)
    for t in candidates:
        shutil.copy(t.path, audio / t.path.name)
    for t in history:
        shutil.copy(t.path, audio / f"h-{t.path.name}")
    history = [DemoTrack(t.style, t.artist, t.title, audio / f"h-{t.path.name}") for t in history]
    console.print(
        f"corpus: {len(candidates)} candidates and {len(history)} listened tracks "
        f"in {len(plan.candidates)} styles"
    )
    with serve(state / "www") as base:
        write_rss(candidates, base, state / "www" / "feed.rss")
        history_file = state / "listens.jsonl"
        n = write_history(plan, history, base, history_file, time.time())
        console.print(
            f"history: {n} listens; the last {plan.drift_days} days drift to {plan.drift_style}"
        )
        config_path = write_config(state, base, history_file, len(candidates))
        run_daemon_until_scored(
            config_path,
            state / "tastebud.db",
            len(candidates) + len(history),
            plan.timeout_s,
            console,
            state / "daemon.log",
        )
    return DemoResult(
        state,
        config_path,
        top_styles(load_config(config_path, sources=config_schemas())),
        time.monotonic() - start,
    )
