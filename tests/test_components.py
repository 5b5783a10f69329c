"""Tests that need a missing program skip saying what installs it, and the run ends with one
line that gathers them (tests/components.py)."""

from __future__ import annotations

import pytest

from tests import components
from tests.components import missing_reason, missing_summary, require

_SUITE = """
import pytest

from tests.components import missing_reason


def test_needs_mpd() -> None:
    pytest.skip(missing_reason("mpd"))


@pytest.mark.skipif(True, reason=missing_reason("oggenc"))
def test_needs_oggenc() -> None:
    pass


def test_needs_mpd_too() -> None:
    pytest.skip(missing_reason("mpd"))


@pytest.mark.skip(reason="not today")
def test_skipped_for_another_reason() -> None:
    pass


def test_runs() -> None:
    pass
"""


def test_the_reason_names_the_package() -> None:
    assert missing_reason("oggenc") == "oggenc is not installed (apt-get install vorbis-tools)"


def test_require_skips_with_that_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(components, "find", lambda program: None)
    with pytest.raises(
        pytest.skip.Exception, match=r"^mpd is not installed \(apt-get install mpd\)"
    ):
        require("mpd")


def test_the_summary_gathers_programs_files_and_packages() -> None:
    skips = [
        ("tests/a/test_x.py::test_one", "Skipped: " + missing_reason("mpd")),
        ("tests/a/test_x.py::test_two[p]", "Skipped: " + missing_reason("mpd")),
        ("tests/b/test_y.py::test_three", missing_reason("oggenc")),  # a skipif mark's reason
        ("tests/b/test_z.py::test_four", "Skipped: not today"),
    ]
    assert missing_summary(skips) == (
        "skipped 3 tests (tests/a/test_x.py, tests/b/test_y.py) that need mpd, oggenc: "
        "apt-get install mpd vorbis-tools"
    )
    assert missing_summary(skips[2:3]) == (
        "skipped 1 test (tests/b/test_y.py) that need oggenc: apt-get install vorbis-tools"
    )
    assert missing_summary(skips[3:]) is None
    assert missing_summary([]) is None


def test_a_run_ends_with_the_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_needs=_SUITE)
    result = pytester.runpytest("-p", "tests.components", "-ra")
    result.assert_outcomes(passed=1, skipped=4)
    lines = [line for line in result.stdout.lines if line.strip()]
    assert lines[-2] == (
        "skipped 3 tests (test_needs.py) that need mpd, oggenc: apt-get install mpd vorbis-tools"
    )
    assert "short test summary info" in "\n".join(lines[:-2])  # the -ra lines come first
    assert sum("apt-get install" in line for line in lines) == 1 + 3  # ours and the 3 reasons


def test_a_run_without_such_skips_has_no_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fine="def test_runs() -> None:\n    pass\n")
    result = pytester.runpytest("-p", "tests.components")
    result.assert_outcomes(passed=1)
    assert "apt-get" not in result.stdout.str()
