"""Running the ``tastebud`` command line as a subprocess, as a user would."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from daemon.cli import build_parser

__all__ = ["ROOT", "config_file", "run_cli", "subcommands", "wait_until"]

ROOT = Path(__file__).resolve().parents[1]


def config_file(tmp_path: Path, extra: str = "") -> Path:
    """``tmp_path/config.toml``: state in ``tmp_path/state``, then ``extra``."""
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n{extra}')
    return path


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """The command line's subcommands by name."""
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


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


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    """Poll ``predicate`` until it holds; past ``timeout`` fail with the end of ``log``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}; log:\n{tail}")
