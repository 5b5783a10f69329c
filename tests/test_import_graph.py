"""The layout is the design: who imports whom, no cycles, short modules.

``store`` imports nothing of ours; ``classifier`` imports only ``store``'s public surface;
``daemon`` imports both only through their surfaces, and each ``daemon`` subpackage is
imported from outside only through its own ``__all__`` surface; no module imports itself
back through another (a literal ``importlib.import_module("...")`` counts as an import);
every package's docstring names each of its modules; no module is over 400 lines.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("store", "classifier", "daemon")
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path for pkg in PACKAGES for path in sorted((ROOT / pkg).rglob("*.py"))
    }


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _imported_by_name(node: ast.AST) -> str | None:
    """The module a literal ``import_module("...")`` call imports."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    arg = node.args[0]
    if name == "import_module" and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def _imports(module: str, path: Path) -> Iterator[str]:
    """Every module of ours that ``module`` imports, at any depth of its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (by_name := _imported_by_name(node)) is not None:
            yield by_name
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node, path.name == "__init__.py")
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {target for target in _imports(name, path) if target in modules and target != name}
        for name, path in modules.items()
    }


def _package(module: str) -> str:
    return module.split(".")[0]


def _foreign(graph: dict[str, set[str]], package: str) -> set[tuple[str, str]]:
    return {
        (source, target)
        for source, targets in graph.items()
        if _package(source) == package
        for target in targets
        if _package(target) != package
    }


def test_store_imports_nothing_of_ours() -> None:
    assert _foreign(_graph(), "store") == set()


def test_classifier_imports_only_the_store_surface() -> None:
    assert {target for _, target in _foreign(_graph(), "classifier")} <= {"store"}


def test_daemon_imports_the_other_packages_through_their_surfaces() -> None:
    assert {target for _, target in _foreign(_graph(), "daemon")} <= {"store", "classifier"}


def _cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start, if there is one (depth-first)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for target in graph.get(node, set()):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles = [cycle for module in graph if (cycle := _cycle_from(graph, module))]
    assert cycles == []


def _subpackage(module: str) -> str | None:
    """The ``daemon`` subpackage (``daemon.sources``...) that ``module`` belongs to, if any."""
    parts = module.split(".")
    if parts[0] != "daemon" or len(parts) < 2:
        return None
    candidate = ".".join(parts[:2])
    return candidate if (ROOT / "daemon" / parts[1]).is_dir() else None


def test_daemon_subpackages_are_imported_through_their_surfaces() -> None:
    reached_into = sorted(
        (source, target)
        for source, targets in _graph().items()
        for target in targets
        if (home := _subpackage(target)) is not None
        and target != home
        and _subpackage(source) != home
    )
    assert reached_into == []


def _names_taken_from(module: str, path: Path) -> Iterator[tuple[str, str]]:
    """(package, name) of each ``from <daemon subpackage> import name`` in ``module``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            home = _subpackage(node.module)
            if home == node.module and _subpackage(module) != home:
                yield from ((home, alias.name) for alias in node.names)


def test_names_taken_from_a_surface_are_in_its_all() -> None:
    missing = sorted(
        (package, name, source)
        for source, path in _modules().items()
        for package, name in _names_taken_from(source, path)
        if name not in importlib.import_module(package).__all__
    )
    assert missing == []


def _packages() -> list[Path]:
    return sorted(path.parent for pkg in PACKAGES for path in (ROOT / pkg).rglob("__init__.py"))


DAEMON_SUBPACKAGES = [
    path for path in _packages() if _subpackage(_module_name(path / "__init__.py")) is not None
]


@pytest.mark.parametrize("package", DAEMON_SUBPACKAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_daemon_subpackage_has_a_surface(package: Path) -> None:
    tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    names = [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    ]
    assert "__all__" in names, f"{package.relative_to(ROOT)}/__init__.py has no __all__"


LAZY_SURFACES = sorted(
    _module_name(path / "__init__.py")
    for path in _packages()
    if "lazy_getattr(" in (path / "__init__.py").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("package", LAZY_SURFACES)
def test_a_lazy_surface_lists_every_name_once_and_each_resolves(package: str) -> None:
    module = importlib.import_module(package)
    where = vars(module)["_WHERE"]
    assert sorted(where) == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None, name


@pytest.mark.parametrize("package", _packages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_package_docstring_names_each_module(package: Path) -> None:
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    members = sorted(
        path.stem if path.is_file() else path.name
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem not in ("__init__", "__main__"))
        or (path / "__init__.py").is_file()
    )
    missing = [name for name in members if not re.search(rf"``{name}(/|\.py)?``", doc or "")]
    assert missing == [], f"{package.relative_to(ROOT)}'s docstring does not name {missing}"


@pytest.mark.parametrize("name", sorted(_modules()))
def test_module_is_short(name: str) -> None:
    lines = _modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by what it holds"
