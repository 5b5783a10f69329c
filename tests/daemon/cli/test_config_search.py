"""Where the config file is looked for: ``~/.config/tastebud/config.toml`` is read (the user
unit keeps it there), ``doctor`` lists every place looked at, and none found names them all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _tastebud(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TASTEBUD_CONFIG", "XDG_CONFIG_HOME")}
    env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "daemon.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_user_config_is_read_and_doctor_says_where_it_looked(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    user_config = home / ".config" / "tastebud" / "config.toml"
    none = _tastebud(work, home, "status")
    assert none.returncode == 1
    assert none.stderr.strip() == (
        "tastebud: config error: no config file: looked for config.toml, "
        f"{user_config}, /etc/tastebud/config.toml: copy config.toml from the tastebud "
        f"repository to {user_config} (then edit it), or pass --config PATH"
    )

    user_config.parent.mkdir(parents=True)
    user_config.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n[queue]\nper_artist = 7\n')
    check = _tastebud(work, home, "config", "check")
    assert check.returncode == 0, check.stderr
    assert "per_artist = 7" in check.stdout
    doctor = _tastebud(work, home, "doctor")
    assert (
        f"[ok  ] config: {user_config} is valid (looked at: config.toml: none; "
        f"{user_config}: read; /etc/tastebud/config.toml: none)"
    ) in doctor.stdout

    (work / "config.toml").write_text("[queue]\nper_artist = 3\n")  # a copy in the clone, say
    shadowed = _tastebud(work, home, "doctor")
    assert f"[warn] config: {user_config} is not read: config.toml comes first" in shadowed.stdout
    assert f"fix: remove or rename the one you do not use, or pass --config {user_config}" in (
        shadowed.stdout
    )
