"""A real MPD for the listening tests (``tests.mpd_helpers``); skipped where mpd is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components import require
from tests.mpd_helpers import MpdServer, mpd_running


@pytest.fixture
def mpd_server(tmp_path: Path) -> Iterator[MpdServer]:
    """MPD in the foreground on a config in ``tmp_path/mpd``, killed at teardown."""
    with mpd_running(require("mpd"), tmp_path / "mpd") as server:
        yield server
