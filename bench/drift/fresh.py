"""The drift table again on fresh listeners: seeds no choice of the project looked at.

The ``drift`` section replays five listeners of each kind (seeds 0-4); the defaults
were chosen looking at seeds 0-19. This replays ten more of each kind, seeds 20-29, with the
same protocol and rows, so a verdict that rests on 20 listeners a corpus can be checked
on 40 others. The shipped row's replays cost about 1.3 minutes of one core a listener
(corpus A, two runs at a time on two cores): nearly an hour for a corpus's forty, so
``make bench`` leaves it out::

    .venv/bin/python -m bench.drift.fresh                # run A, B and C, write the section
    .venv/bin/python -m bench.drift.fresh --from a.json,b.json,c.json  # from saved runs

(the saved runs are ``python -m bench.drift --seeds 20,...,29 --json`` files).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.common import kept_notes, place_section, write_section
from bench.drift import report
from bench.drift.cli import run_all
from bench.drift.corpus import SPECS
from bench.drift.listeners import KINDS
from bench.drift.run import Cell, Cost, Results, Settings

SECTION = "drift-fresh"
NOTES = "### What the numbers say"
SEEDS = list(range(20, 30))


def results_of(data: dict[str, Any]) -> Results:
    """A :class:`Results` from its ``dataclasses.asdict`` JSON."""
    cells = {
        row: {
            kind: Cell([tuple(x) for x in c["final"]], [tuple(x) for x in c["along"]])
            for kind, c in kinds.items()
        }
        for row, kinds in data["cells"].items()
    }
    costs = {row: Cost(**c) for row, c in data["costs"].items()}
    s = Settings(**data["settings"])
    return Results(data["corpus"], data["counts"], data["n_tracks"], s, cells, costs)


def load(paths: list[Path]) -> list[Results]:
    """The saved runs, one :class:`Results` per corpus, in corpus order."""
    out = [results_of(d) for path in paths for d in json.loads(path.read_text())]
    return sorted(out, key=lambda r: r.corpus)


def write(results: list[Results]) -> str:
    """Write and return the section, keeping its hand-written notes."""
    seeds = sorted({s for r in results for s in r.settings.seeds})
    intro = (
        "The table above again, with the same protocol and rows, on ten listeners of each "
        f"kind that no choice of the defaults looked at (seeds {seeds[0]}-{seeds[-1]}; the "
        "defaults were chosen looking at seeds 0-19, the table above's among them): forty "
        "listeners a corpus instead of twenty, so the verdicts' intervals are narrower."
    )
    blocks = "\n\n".join(report.corpus_block(r) for r in results)
    notes = kept_notes(SECTION, NOTES)
    section = f"## Taste drift: fresh listeners\n\n{intro}\n\n{blocks}\n\n{notes}\n"
    place_section(SECTION, after="drift")
    write_section(SECTION, section)
    return section


def main(argv: list[str] | None = None) -> int:
    """Run (or load) the fresh listeners and write the section."""
    p = argparse.ArgumentParser(prog="python -m bench.drift.fresh", description=__doc__)
    p.add_argument("--corpus", default=",".join(SPECS))
    p.add_argument("--from", dest="saved", help="comma-separated saved --json runs")
    args = p.parse_args(argv)
    if args.saved:
        results = load([Path(x) for x in args.saved.split(",") if x])
    else:
        s = Settings(kinds=list(KINDS), seeds=SEEDS)
        results = run_all([c for c in args.corpus.split(",") if c], s)
    write(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
