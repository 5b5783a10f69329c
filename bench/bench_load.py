"""Load: a feed of 2,000 distinct items under ``tastebud run``.

The daemon lists the whole feed, then fetches, embeds and scores it batch by batch
(tiny 2 s tracks over loopback HTTP; the bench stops it after ``RUN_S`` seconds,
with part of the backlog done). Meanwhile ``tastebud dashboard --once`` runs again
and again as a separate process: its wall time while the daemon writes, and the
daemon's peak resident memory, are the figures. Targets: dashboard under 3 s, peak
RSS under 800 MiB.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import CACHE, write_section
from daemon.demo import DemoPlan, DemoTrack, make_corpus, serve, write_history, write_rss

N_ITEMS = 2000
RUN_S = 150.0
DASHBOARD_EVERY_S = 5.0
MAX_DASHBOARD_S = 3.0
MAX_RSS_MIB = 800.0
STYLES = {"piano-ballad": 4, "drum-and-bass": 4, "ambient-pad": 4}


@dataclass
class LoadResult:
    """What one load run measured."""

    dashboard_s: list[float] = field(default_factory=list)
    peak_rss_mib: float = 0.0
    states: dict[str, int] = field(default_factory=dict)


def _feed(www: Path, base: str) -> list[DemoTrack]:
    """``N_ITEMS`` distinct feed items over a dozen tiny recordings (hard links)."""
    corpus = make_corpus(CACHE / "load-corpus", STYLES, seconds=2.0, series="Load")
    audio = www / "audio"
    audio.mkdir(parents=True)
    tracks = []
    for i in range(N_ITEMS):
        source = corpus[i % len(corpus)]
        link = audio / f"item-{i:04d}{source.path.suffix}"
        os.link(source.path, link)
        tracks.append(DemoTrack(source.style, f"Load Artist {i}", f"Load Song {i}", link))
    write_rss(tracks, base, www / "feed.rss")
    return tracks


def _config(state: Path, base: str, history: Path) -> Path:
    path = state / "config.toml"
    path.write_text(
        f'[storage]\ndir = "{state}"\n'
        f'[[history]]\ntype = "listenbrainz-export"\npath = "{history}"\n'
        f'[[feeds]]\ntype = "url"\nname = "load"\nurl = "{base}/feed.rss"\n'
        f"max_items = {N_ITEMS}\n"
        "[fetch]\nmin_duration_s = 1.0\nhost_delay_s = 0.0\nsleep_requests_s = 0.0\n"
        "batch_size = 50\n"
        "[model]\npatches = 1\nsteps = 50\nmin_labels = 3\n"
        "[schedule]\nhistory_minutes = 0.5\nfeeds_minutes = 0.5\nfetch_minutes = 0.02\n"
        "train_minutes = 0.2\nplaylists_minutes = 0.2\nshutdown_timeout_s = 20.0\n"
        '[daemon]\nlog_level = "INFO"\n',
        encoding="utf-8",
    )
    return path


def _vm_hwm_mib(pid: int) -> float:
    """The process's peak resident memory so far (``VmHWM``), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _dashboard_s(config: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "daemon.cli", "--config", str(config), "dashboard", "--once"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"dashboard --once failed: {done.stderr.decode()[-2000:]}")
    return elapsed


def _states(db: Path) -> dict[str, int]:
    from store import Store

    with Store.open(db, readonly=True) as store:
        return store.state_counts()


def _drive(config: Path, db: Path, log: Path) -> LoadResult:
    result = LoadResult()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "--config", str(config), "run"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + RUN_S
            while time.monotonic() < deadline and proc.poll() is None:
                if db.exists():
                    result.dashboard_s.append(_dashboard_s(config))
                result.peak_rss_mib = max(result.peak_rss_mib, _vm_hwm_mib(proc.pid))
                time.sleep(DASHBOARD_EVERY_S)
            result.peak_rss_mib = max(result.peak_rss_mib, _vm_hwm_mib(proc.pid))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    if proc.returncode != 0:
        raise RuntimeError(f"the daemon exited {proc.returncode}; see {log}")
    result.states = _states(db)
    return result


def run_load(root: Path) -> LoadResult:
    """Serve the feed, run the daemon for ``RUN_S`` seconds, measure."""
    state, www = root / "state", root / "www"
    state.mkdir()
    with serve(www.parent) as base:
        tracks = _feed(www, f"{base}/www")
        history = root / "listens.jsonl"
        plan = DemoPlan(early_styles=("piano-ballad",), drift_style="ambient-pad", days=30)
        write_history(plan, tracks[:24], f"{base}/www", history, time.time())
        return _drive(_config(state, f"{base}/www", history), state / "tastebud.db", root / "log")


def _verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main() -> str:
    """Run the load benchmark and write the ``load`` section."""
    with tempfile.TemporaryDirectory() as tmp:
        result = run_load(Path(tmp))
    times = sorted(result.dashboard_s) or [float("nan")]
    worst, median = times[-1], times[len(times) // 2]
    done = sum(n for s, n in result.states.items() if s != "new")
    text = (
        "## Load: a feed of 2,000 items under `tastebud run`\n\n"
        f"`tastebud run` lists a {N_ITEMS}-item RSS feed (loopback HTTP, 2 s tracks) and "
        f"works through it for {RUN_S:.0f} s; `tastebud dashboard --once` runs every "
        f"{DASHBOARD_EVERY_S:.0f} s as its own process meanwhile ({len(result.dashboard_s)} "
        f"runs). Tracks past `new` when stopped: {done} of {N_ITEMS}. (Before the dashboard "
        "stopped loading torch and the daemon ran at nice 10, the same run measured 7.6 to "
        "17.8 s: the snapshot itself takes under 0.1 s.)\n\n"
        "| measure | value | target | met |\n|---|---|---|---|\n"
        f"| `dashboard --once` while the daemon writes, median | {median:.2f} s | | |\n"
        f"| `dashboard --once` while the daemon writes, worst | {worst:.2f} s | "
        f"< {MAX_DASHBOARD_S:.0f} s | {_verdict(worst < MAX_DASHBOARD_S)} |\n"
        f"| daemon peak RSS | {result.peak_rss_mib:.0f} MiB | < {MAX_RSS_MIB:.0f} MiB | "
        f"{_verdict(result.peak_rss_mib < MAX_RSS_MIB)} |"
    )
    write_section("load", text)
    return text


if __name__ == "__main__":
    print(main())
