"""``make demo``: the whole pipeline, offline, on a synthetic corpus (``corpus``), run by
the real daemon (``run``), its playlists made portable (``playlists``); ``python -m
daemon.demo`` runs it.
"""

from __future__ import annotations

from daemon.demo.corpus import DemoTrack, make_corpus
from daemon.demo.run import (
    DEMO_PATCHES,
    DemoPlan,
    DemoResult,
    run_demo,
    serve,
    write_history,
    write_rss,
)

__all__ = [
    "DEMO_PATCHES",
    "DemoPlan",
    "DemoResult",
    "DemoTrack",
    "make_corpus",
    "run_demo",
    "serve",
    "write_history",
    "write_rss",
]
