"""The fresh listeners' section: saved runs read back as the results they were, and the
section's hand-written notes are its own."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bench import common
from bench.drift.fresh import NOTES, load, results_of
from bench.drift.run import SHIPPED, Cell, Cost, Results, Settings


def _results(corpus: str) -> Results:
    s = Settings(kinds=["switch", "multi"], seeds=[20, 21])
    cells = {
        SHIPPED: {
            "switch": Cell([(0.8, 0.9), (0.7, 0.6)], [(0.5, 0.5), (0.6, 0.7)]),
            "multi": Cell([(1.0, 0.95), (0.9, 0.8)], [(0.9, 0.9), (0.85, 0.8)]),
        }
    }
    costs = {SHIPPED: Cost([0.5, 1.5], [0.02, 0.03], similarity_days=3, days=120)}
    return Results(corpus, "x 10, y 12", 22, s, cells, costs)


def test_a_saved_run_reads_back_as_the_results_it_was(tmp_path: Path) -> None:
    runs = [_results("b"), _results("a")]
    path = tmp_path / "runs.json"
    path.write_text(json.dumps([dataclasses.asdict(r) for r in runs]))
    assert load([path]) == [runs[1], runs[0]]  # in corpus order
    assert results_of(json.loads(path.read_text())[0]) == runs[0]


def test_a_sections_notes_are_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = tmp_path / "RESULTS.md"
    monkeypatch.setattr(common, "RESULTS", results)
    results.write_text(
        "<!-- begin drift-fresh -->\n## Fresh\n\n_Measured then._\n<!-- end drift-fresh -->\n\n"
        "<!-- begin other -->\n### What the numbers say\n\nTheirs.\n\n_Measured then._\n"
        "<!-- end other -->\n"
    )
    assert common.kept_notes("drift-fresh", NOTES) == (
        f"{NOTES}\n\n(to be written from the tables above)"
    )
    assert common.kept_notes("other", NOTES) == f"{NOTES}\n\nTheirs."
