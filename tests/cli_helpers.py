"""Running the ``tastebud`` command line as a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["run_cli"]


def run_cli(
    config: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    umask: int | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``tastebud --config CONFIG ARGS...``; ``env`` replaces the environment when given,
    ``umask`` is the login shell's umask."""
    return subprocess.run(
        [sys.executable, "-m", "daemon.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(env) if env is not None else None,
        preexec_fn=None if umask is None else (lambda: os.umask(umask)),
    )
