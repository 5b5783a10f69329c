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


def place_section(name: str, after: str) -> None:
    """An empty section ``name`` right after the section ``after`` (at the end when there
    is none), unless RESULTS.md has one already: :func:`write_section` then fills it there."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else _HEADER
    if f"<!-- begin {name} -->" in text:
        return
    block = f"<!-- begin {name} -->\n<!-- end {name} -->"
    anchor = f"<!-- end {after} -->"
    text = text.replace(anchor, f"{anchor}\n\n{block}", 1) if anchor in text else text
    RESULTS.write_text(text, encoding="utf-8")


def kept_notes(name: str, heading: str) -> str:
    """The hand-written part of section ``name`` now in RESULTS.md: from ``heading`` to the
    stamp (a placeholder under ``heading`` when there is none yet)."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    section = re.search(rf"<!-- begin {name} -->(.*?)<!-- end {name} -->", text, re.S)
    pattern = rf"({re.escape(heading)}.*?)\n\n_Measured"
    found = re.search(pattern, section.group(1), re.S) if section else None
    return found.group(1) if found else f"{heading}\n\n(to be written from the tables above)"
