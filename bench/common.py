"""Shared helpers of the benchmarks: timing, peak memory, and RESULTS.md sections.

Each benchmark module has ``main() -> str`` returning its Markdown section and
calls :func:`write_section` so it can also run alone (``python -m bench.NAME``).
"""

from __future__ import annotations

import platform
import re
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
CACHE = Path(__file__).with_name(".cache")
_HEADER = (
    "# tastebud benchmark results\n\nWritten by `make bench`; each section by its own module.\n"
)


def machine() -> str:
    """One line describing this machine."""
    import os

    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` holds the elapsed seconds."""
    out: list[float] = []
    start = time.perf_counter()
    yield out
    out.append(time.perf_counter() - start)


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the section ``name`` of bench/RESULTS.md."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else _HEADER
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    stamp = f"_Measured {time.strftime('%Y-%m-%d')} on {machine()}._"
    block = f"{begin}\n{markdown.strip()}\n\n{stamp}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else f"{text.rstrip()}\n\n{block}\n"
    )
    RESULTS.write_text(text, encoding="utf-8")
