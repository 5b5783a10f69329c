"""The units with the web page: its token may come as a credential, the hardening stays."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[3] / "systemd"
README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("tastebud.service", "/etc/tastebud/credentials/web_token"),
        ("tastebud-user.service", "%E/tastebud/credentials/web_token"),
    ],
)
def test_the_web_token_is_a_credential_that_may_be_missing(name: str, source: str) -> None:
    lines = (UNITS / name).read_text(encoding="utf-8").splitlines()
    assert f"LoadCredential=web_token:{source}" in lines
    assert "SetCredential=web_token:\\n" in lines


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is absent")
def test_the_exposure_stays_as_readme_says(tmp_path: Path) -> None:
    venv = str(Path(sys.executable).parent.parent)
    unit = tmp_path / "tastebud.service"
    text = (UNITS / "tastebud.service").read_text(encoding="utf-8")
    unit.write_text(text.replace("/opt/tastebud/.venv", venv), encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(unit)],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
    )  # fmt: skip
    found = re.search(r"Overall exposure level for tastebud\.service: ([\d.]+)", done.stdout)
    assert found is not None, done.stdout[-2000:]
    assert f"exposure {found.group(1)})" in README.read_text(encoding="utf-8")
