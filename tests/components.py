"""Real programs some tests need (mpd, oggenc, systemd-analyze): where they are, or a skip
whose reason names the Debian package; and, as a pytest plugin (``tests/conftest.py`` loads
it), the one line that ends a run where such tests were skipped."""

from __future__ import annotations

import re
import shutil
from collections.abc import Generator, Iterable
from pathlib import Path

import pytest

__all__ = [
    "PACKAGES",
    "find",
    "missing_reason",
    "missing_summary",
    "pytest_terminal_summary",
    "require",
    "skip_reason",
]

# program -> the Debian package that installs it (what .ci/run installs when it is missing)
PACKAGES = {"mpd": "mpd", "oggenc": "vorbis-tools", "systemd-analyze": "systemd"}

_REASON = re.compile(r"(\S+) is not installed \(apt-get install (\S+)\)")


def find(program: str) -> str | None:
    """The program's path: on PATH, or in /usr/sbin (outside a user's PATH on Debian)."""
    sbin = Path("/usr/sbin") / program
    return shutil.which(program) or (str(sbin) if sbin.is_file() else None)


def missing_reason(program: str) -> str:
    """The skip reason for a test that needs ``program``; :func:`missing_summary` reads it."""
    return f"{program} is not installed (apt-get install {PACKAGES[program]})"


def require(program: str) -> str:
    """The path of ``program``, or skip the calling test saying what installs it."""
    __tracebackhide__ = True  # the skip's location is the caller's
    path = find(program)
    if path is None:
        pytest.skip(missing_reason(program))
    return path


def missing_summary(skips: Iterable[tuple[str, str]]) -> str | None:
    """One line for the tests skipped for a missing program, from (node id, skip reason)
    pairs: how many, in which files, which programs, and the command that installs them."""
    files: dict[str, None] = {}
    programs: dict[str, str] = {}
    count = 0
    for nodeid, reason in skips:
        found = _REASON.search(reason)
        if found is None:
            continue
        count += 1
        files[nodeid.split("::")[0]] = None
        programs[found[1]] = found[2]
    if not count:
        return None
    packages = " ".join(dict.fromkeys(programs.values()))
    return (
        f"skipped {count} test{'s' if count > 1 else ''} ({', '.join(files)}) "
        f"that need {', '.join(programs)}: apt-get install {packages}"
    )


def skip_reason(report: pytest.TestReport) -> str:
    """A skipped test's reason as pytest reports it (``Skipped: `` and all)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple | list) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter,
) -> Generator[None, None, None]:
    """After the short test summary, just above the final counts: the line from
    :func:`missing_summary`, when a test was skipped for a missing program."""
    yield
    skipped = terminalreporter.stats.get("skipped", [])
    line = missing_summary((r.nodeid, skip_reason(r)) for r in skipped)
    if line is not None:
        terminalreporter.write_line(line, yellow=True, bold=True)
