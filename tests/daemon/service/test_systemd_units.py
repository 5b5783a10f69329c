"""The unit files pass systemd-analyze verify and the security threshold."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[3] / "systemd"
VENV = Path(sys.executable).parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is absent (Debian package 'systemd'; .ci/run installs it)",
)


def _installed_copy(tmp_path: Path, name: str) -> Path:
    """The unit as installed, its ExecStart pointing at this checkout's venv."""
    text = (UNITS / name).read_text()
    text = text.replace("/opt/tastebud/.venv", str(VENV)).replace("%h/tastebud/.venv", str(VENV))
    target = tmp_path / name
    target.write_text(text)
    return target


@pytest.mark.parametrize(
    "name",
    [
        "tastebud.service",
        "tastebud-user.service",
        "tastebud-ytdlp-update.service",
        "tastebud-ytdlp-update.timer",
    ],
)
def test_verify_is_clean(tmp_path: Path, name: str) -> None:
    unit = _installed_copy(tmp_path, name)
    if name.endswith(".timer"):
        _installed_copy(tmp_path, "tastebud-ytdlp-update.service")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "--recursive-errors=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.stderr == ""
    assert done.returncode == 0


def test_security_exposure_at_most_2(tmp_path: Path) -> None:
    unit = _installed_copy(tmp_path, "tastebud.service")
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--threshold=20", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Overall exposure level" in done.stdout


def test_system_unit_has_required_settings() -> None:
    text = (UNITS / "tastebud.service").read_text()
    for setting in (
        "Type=notify",
        "NotifyAccess=main",
        "User=tastebud",
        "Group=tastebud",
        "StateDirectory=",
        "CacheDirectory=",
        "ConfigurationDirectory=",
        "WatchdogSec=",
        "Restart=on-failure",
        "StartLimitIntervalSec=",
        "LoadCredential=",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectControlGroups=yes",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        "RestrictNamespaces=yes",
        "LockPersonality=yes",
        "SystemCallFilter=@system-service",
        "CapabilityBoundingSet=\n",
        "MemoryMax=",
        "Nice=",
        "IOSchedulingClass=idle",
    ):
        assert setting in text, setting
    assert "DynamicUser" not in text
    assert "MemoryDenyWriteExecute" not in text.split("# Hardening.")[1].split("\n", 1)[1]
