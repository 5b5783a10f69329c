"""The classifier's layout: model code never sees the store (tests/test_layout.py has the rest)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2] / "classifier"
MODEL_PACKAGES = ("musicnn", "taste")


def _imports(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(module, imported names) of every import statement in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            yield from ((alias.name, []) for alias in node.names)


@pytest.mark.parametrize("package", MODEL_PACKAGES)
def test_model_code_takes_arrays_and_never_the_store(package: str) -> None:
    modules = sorted((ROOT / package).glob("*.py"))
    assert modules
    for path in modules:
        for module, names in _imports(path):
            if module.split(".")[0] == "store":
                assert names == ["lazy_getattr"], (path, names)
            assert not module.startswith("classifier.cycle"), path
