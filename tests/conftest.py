"""Shared test fixtures."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from store import Store

# Property tests check behaviour, not speed (speed lives in bench/): no per-example
# deadline and no "data generation too slow" check, which a slow or busy CI machine
# would trip over. TASTEBUD_HYPOTHESIS=thorough runs many more examples.
_UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("default", **_UNTIMED)
settings.register_profile("thorough", max_examples=2000, **_UNTIMED)
settings.load_profile(os.environ.get("TASTEBUD_HYPOTHESIS", "default"))

# tests.components: the closing line about tests skipped for a missing program;
# pytester: tests/test_components.py runs pytest on small generated suites.
pytest_plugins = ["pytester", "tests.components"]


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (make test), the workers share the cores: torch's threads in
    each are the usable cores divided among them. More would make them wait on each other:
    two workers of two threads each on two cores take several times as long."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // workers))


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


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose ``.demo-corpus`` holds the synthetic demo corpus for the whole session.

    ``make_corpus`` keeps the files that exist, so the end-to-end and daemon tests that
    ask for the same styles, seconds and seed synthesise each track once.
    """
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="session")
def demo_candidates(demo_root: Path) -> Path:
    """Where the demo's candidate tracks are cached (``run_demo`` in ``demo_root``)."""
    return demo_root / ".demo-corpus" / "candidates"
