"""Shared test fixtures."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from store import Store

# Property tests check behaviour, not speed (speed lives in bench/): no per-example
# deadline, which a slow or busy CI machine would trip over. TASTEBUD_HYPOTHESIS=thorough
# runs many more examples.
settings.register_profile("default", deadline=None)
settings.register_profile("thorough", deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("TASTEBUD_HYPOTHESIS", "default"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store in ``tmp_path/t.db``, closed after the test."""
    with Store.open(tmp_path / "t.db") as s:
        yield s


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI points the root logger at the current stderr; give later tests theirs back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
