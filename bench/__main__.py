"""Run every benchmark: ``python -m bench [NAME ...]`` (``make bench``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

from bench.common import RESULTS


def main(names: list[str]) -> int:
    """Run the named benchmark modules (all ``bench_*`` modules by default)."""
    import bench

    modules = names or sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    for name in modules:
        print(f"== {name}", flush=True)
        importlib.import_module(f"bench.{name}").main()
    print(f"results written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
