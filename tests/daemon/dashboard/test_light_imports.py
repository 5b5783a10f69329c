"""The dashboard and the other short commands answer without loading torch: importing it
costs seconds, many more while the daemon keeps the CPUs busy (bench/bench_load.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from store import Store
from tests.populate import populate
from tests.populate import write_config as _config

PROBE = """
import sys
from daemon.cli import main
code = main(["--config", sys.argv[1], *sys.argv[2:]])
heavy = sorted(m for m in ("torch", "yt_dlp", "av") if m in sys.modules)
print("HEAVY:", ",".join(heavy))
sys.exit(code)
"""


def _heavy_modules(config: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(config), *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.rsplit("HEAVY:", 1)[1].strip()


def test_dashboard_once_loads_no_torch(tmp_path: Path) -> None:
    config, path = _config(tmp_path)
    with Store.open(config.db_path) as store:
        populate(store)
    assert _heavy_modules(path, "dashboard", "--once") == ""
    assert _heavy_modules(path, "status") == ""
