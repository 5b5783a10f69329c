"""The fresh listeners' section: saved runs read back as the results they were."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from bench.drift.fresh import load, results_of
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
