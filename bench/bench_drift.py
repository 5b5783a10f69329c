"""Taste drift on real recordings: does the queue follow a listener whose taste moves?

The benchmark lives in :mod:`bench.drift`; this module is what ``make bench`` runs:
every corpus (A, B and C), the four kinds of listener, seeds 0-4 (five listeners of
each kind, so the verdict's intervals are not drawn from three), every row, a training
cycle every replayed day. Developers iterate with ``python -m bench.drift`` and its flags.
"""

from __future__ import annotations

import logging

from bench.drift.cli import run_all
from bench.drift.corpus import SPECS
from bench.drift.document import write_drift
from bench.drift.listeners import KINDS
from bench.drift.run import Settings
from classifier import ModelConfig


def main() -> str:
    """Run the benchmark and write the ``drift`` section of bench/RESULTS.md."""
    s = Settings(kinds=list(KINDS), seeds=list(range(5)))
    return write_drift(run_all(list(SPECS), s), s, ModelConfig())


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    print(main())
