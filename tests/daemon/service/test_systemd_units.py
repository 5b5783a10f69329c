"""The unit files pass systemd-analyze verify and the security threshold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.components import find, missing_reason

UNITS = Path(__file__).resolve().parents[3] / "systemd"
VENV = Path(sys.executable).parent.parent

ANALYZE = find("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason=missing_reason("systemd-analyze"))


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
        [str(ANALYZE), "verify", "--man=no", "--recursive-errors=no", str(unit)],
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
        [str(ANALYZE), "security", "--offline=yes", "--threshold=20", str(unit)],
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


def _settings(name: str) -> list[tuple[str, str]]:
    lines = (UNITS / name).read_text().splitlines()
    pairs = (line.partition("=") for line in lines)
    return [(key, value) for key, sep, value in pairs if sep and not key.startswith(("#", "["))]


@pytest.mark.parametrize("name", ["tastebud.service", "tastebud-user.service"])
def test_every_credential_may_be_missing(name: str) -> None:
    """systemd 252 fails a start (243/CREDENTIALS) on a missing LoadCredential= file unless a
    SetCredential= of the same name stands in; its value must read as empty to tastebud."""
    settings = _settings(name)
    loaded = [v.split(":")[0] for k, v in settings if k == "LoadCredential"]
    fallbacks = {v.split(":")[0]: v.split(":", 1)[1] for k, v in settings if k == "SetCredential"}
    assert loaded
    for cred in loaded:
        assert fallbacks.get(cred) == "\\n", cred


def test_system_unit_lets_torch_see_the_cpu_and_share_the_state() -> None:
    settings = _settings("tastebud.service")
    keys = [k for k, _ in settings]
    assert "ProcSubset" not in keys  # torch reads /proc/cpuinfo
    filters = [v for k, v in settings if k == "SystemCallFilter"]
    denied = next(i for i, v in enumerate(filters) if "@resources" in v)
    assert "sched_setaffinity" in filters[denied + 1 :]  # torch pins threads at import
    assert ("StateDirectoryMode", "2770") in settings  # setgid: members' files stay group tastebud
    assert ("ConfigurationDirectoryMode", "0750") in settings


def test_ytdlp_update_writes_the_root_owned_venv_without_privileges() -> None:
    settings = dict(_settings("tastebud-ytdlp-update.service"))
    assert "User" not in settings  # the venv is root's
    assert settings["ReadWritePaths"] == "/opt/tastebud/.venv"
    assert settings["ProtectSystem"] == "strict"
    assert settings["CapabilityBoundingSet"] == ""
    assert settings["NoNewPrivileges"] == "yes"


def test_user_unit_header_and_state() -> None:
    text = (UNITS / "tastebud-user.service").read_text()
    assert "systemctl --user enable --now tastebud-user\n" in text.splitlines(keepends=True)[0]
    # systemd 252 puts a user unit's StateDirectory= in ~/.config: the daemon's own default
    # (~/.local/share/tastebud, where the CLI looks) is used instead
    assert "StateDirectory" not in dict(_settings("tastebud-user.service"))
