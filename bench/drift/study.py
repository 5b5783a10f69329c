"""The representation study's runs, numbers on disk and Markdown section.

``python -m bench.drift --study --seeds 0,1,2,3,4 --json study.json [--write-study]``
measures each checkpoint's embedding time here (torch threads as ``--threads``), runs
:func:`bench.drift.representations.study` on each corpus (one process per corpus, at
most as many at once as there are cores), saves the numbers with ``--json`` and, with
``--write-study``, writes the ``representations`` section of bench/RESULTS.md;
``--adapted`` runs the self-supervised rows (:mod:`bench.drift.adapt`) instead.
``--study-from FILE[,FILE]`` writes the section from saved numbers instead of running
(several files: their rows joined corpus by corpus, the timings of the last file).
"""

from __future__ import annotations

import dataclasses
import json
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.common import kept_notes, place_section, write_section
from bench.drift import report
from bench.drift.checkpoints import onnx_seconds_per_track, outputs, seconds_per_track
from bench.drift.corpus import N_PATCHES, SPECS, build
from bench.drift.document import VARIANTS_SECTION
from bench.drift.representations import RANKERS, TODAYS, Study, study
from bench.drift.run import Cell, Results, Settings, kinds_mean
from classifier.musicnn import CHECKPOINTS

SECTION = "representations"
RANKER_LABELS = {"kernel": "kernel 7 d", "kNN": "kNN 30 d", "ceiling": "ceiling"}
NOTES = "### What the numbers say"


Timings = dict[str, dict[str, float]]
"""Runtime ("torch", "onnxruntime") -> checkpoint -> embedding seconds per track."""


def timings(threads: int) -> Timings:
    """Every checkpoint's embedding seconds per track, under torch and onnxruntime."""
    torch.set_num_threads(threads)
    return {
        "torch": {name: seconds_per_track(name) for name in CHECKPOINTS},
        "onnxruntime": {name: onnx_seconds_per_track(name) for name in CHECKPOINTS},
    }


def run_study(
    corpora: list[str], s: Settings, adapted: bool = False
) -> tuple[list[Study], Timings]:
    """Embedding seconds per track of every checkpoint, then the study on each corpus
    (with ``adapted``, the self-supervised rows instead of the checkpoints')."""
    embed_s = timings(s.threads)
    workers = max(1, min(len(corpora), (os.cpu_count() or 1) // max(s.threads, 1)))
    flags = [adapted] * len(corpora)
    if workers == 1:
        return [_one(name, s, adapted) for name in corpora], embed_s
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
        return list(pool.map(_one, corpora, [s] * len(corpora), flags)), embed_s


def _one(name: str, s: Settings, adapted: bool) -> Study:
    torch.set_num_threads(s.threads)
    corpus = build(name)
    data = outputs(corpus)
    if not adapted:
        return study(corpus, data, s)
    from bench.drift.adapt import with_adapted

    return with_adapted(corpus, data, s)


def save(studies: list[Study], embed_s: Timings, path: Path) -> None:
    """The numbers, as JSON."""
    data = {"embed_s": embed_s, "studies": [dataclasses.asdict(x) for x in studies]}
    path.write_text(json.dumps(data, indent=1))


def load(paths: list[Path]) -> tuple[list[Study], Timings]:
    """Saved numbers; with several files, each corpus's rows joined and the timings
    taken from the later file."""
    by_corpus: dict[str, Study] = {}
    embed_s: Timings = {}
    for path in paths:
        data = json.loads(path.read_text())
        embed_s = data["embed_s"]
        for raw in data["studies"]:
            new = _study(raw)
            old = by_corpus.setdefault(new.results.corpus, new)
            if old is not new:
                old.results.cells.update(new.results.cells)
                old.dims.update(new.dims)
                old.models.update(new.models)
                old.stored.update(new.stored)
                old.fit_s.update(new.fit_s)
                old.extra.update(new.extra)
    return list(by_corpus.values()), embed_s


def _study(raw: dict[str, Any]) -> Study:
    res = dict(raw["results"])
    cells = {
        row: {kind: Cell(**cell) for kind, cell in kinds.items()}
        for row, kinds in res.pop("cells").items()
    }
    for cell in (c for kinds in cells.values() for c in kinds.values()):
        cell.final = [tuple(x) for x in cell.final]  # type: ignore[misc]
        cell.along = [tuple(x) for x in cell.along]  # type: ignore[misc]
    res["settings"] = Settings(**res["settings"])
    res.pop("costs", None)
    results = Results(**res, cells=cells)
    return Study(
        results, raw["dims"], raw["models"], raw["stored"], raw["fit_s"], raw.get("extra", {})
    )


def _names(x: Study) -> list[str]:
    """The representations of ``x``, in the order they were run."""
    return list(dict.fromkeys(row.rsplit(" | ", 1)[0] for row in x.results.cells))


def _pair(values: tuple[float, float]) -> str:
    return f"{values[0]:.2f} / {values[1]:.2f}"


def _analysis(models: list[str], seconds: dict[str, float]) -> str:
    total = sum(seconds[m] for m in models)
    return f"{total:.2f} ({1 / total:.1f}/s)" if models and math.isfinite(total) else "n/a"


def _cost(name: str, x: Study, embed_s: Timings) -> list[str]:
    fit = f"{np.mean(x.fit_s[name]):.3f}" if x.fit_s.get(name) else "n/a"
    models = x.models.get(name, [])
    analysis = " / ".join(_analysis(models, embed_s[r]) for r in ("torch", "onnxruntime"))
    b16, b32 = x.stored.get(name, (0, 0))
    stored = f"{b16 / 1024:.1f} / {b32 / 1024:.1f}" if b16 else "n/a"
    return [analysis, stored, fit]


def table(x: Study, embed_s: Timings) -> str:
    """Rows x (each ranker's last day and along the way), four-kind means, and the costs."""
    res = x.results
    head = [f"{RANKER_LABELS[r]}, {w}" for r in RANKERS for w in ("last day", "along")]
    cost = [
        "analysis s/track (tracks/s), torch / onnxruntime",
        "stored KiB/track (f16 / f32)",
        "ceiling fit s",
    ]
    lines = [
        "| representation | values/patch | " + " | ".join(head + cost) + " |",
        "|---" * (len(head) + len(cost) + 2) + "|",
    ]
    for name in _names(x):
        cells = [
            _pair(kinds_mean(res, f"{name} | {r}", along))
            for r in RANKERS
            for along in (False, True)
        ]
        dims = str(x.dims.get(name, "n/a"))
        label = f"**{name}**" if name == TODAYS else name
        lines.append(f"| {label} | {dims} | " + " | ".join(cells + _cost(name, x, embed_s)) + " |")
    return "\n".join(lines)


def _diff(res: Results, row: str, base: str, along: bool) -> str:
    parts = []
    for m in (0, 1):
        mean, low, high = report.difference(res, row, base, along, m)
        mark = "**" if low > 0 or high < 0 else ""
        parts.append(f"{mark}{_short(mean)} ({_short(low)}..{_short(high)}){mark}")
    return " / ".join(parts)


def _short(x: float) -> str:
    """``+0.017`` as ``+.017``."""
    return f"{x:+.3f}".replace("0.", ".", 1)


def differences(x: Study) -> str:
    """Each row less today's features under the same ranker: P@20 / ROC-AUC, with the
    paired-bootstrap interval of the drift report (bold where it excludes zero)."""
    res = x.results
    head = [f"{RANKER_LABELS[r]}, {w}" for r in RANKERS for w in ("last day", "along")]
    lines = [
        "| less today's (P@20 / ROC-AUC) | " + " | ".join(head) + " |",
        "|---" * (len(head) + 1) + "|",
    ]
    for name in (n for n in _names(x) if n != TODAYS):
        cells = [
            _diff(res, f"{name} | {r}", f"{TODAYS} | {r}", along)
            for r in RANKERS
            for along in (False, True)
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def corpus_block(x: Study, embed_s: Timings) -> str:
    """One corpus's two tables."""
    res = x.results
    head = f"### Corpus {res.corpus.upper()}: {res.n_tracks} tracks ({res.counts})"
    rows: dict[str, list[str]] = {}
    for name, note in x.extra.items():
        rows.setdefault(note, []).append(name)
    notes = "".join(f"\n- {'; '.join(names)}: {note}" for note, names in rows.items())
    return f"{head}\n\n{table(x, embed_s)}\n\n{differences(x)}\n{notes}".rstrip()


def setup(s: Settings, embed_s: Timings) -> str:
    """What was measured."""
    times = "; ".join(
        f"{runtime}: " + ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items())
        for runtime, seconds in embed_s.items()
    )
    return f"""Which track features rank best, and what each costs. Made by `python -m
bench.drift --study --seeds 0,1,2,3,4 --json rows.json`, the same with `--adapted` (the
self-supervised rows) and with `--corpus ""` (the timings alone, on a quiet machine),
then `python -m bench.drift --study-from rows.json,adapted.json,timings.json`.

Every row is judged on the drift bench's listeners (kinds {", ".join(s.kinds)};
seeds {s.seeds}; the last {s.days} days, every day) with its frozen-feature rankers:
kernel similarity over track profiles (7 d), recency kNN over track profiles (30 d) and
the supervised ceiling (5-fold logistic regression knowing every label). Cells are
four-kind means, P@20 / ROC-AUC, on the last day and along the way, computed as in the
drift tables (today's row repeats their "over track profiles" and ceiling rows). Parts
of a concatenation are each z-scored and scaled so they weigh equally (profiles: a
cosine is the mean of the parts' cosines; ceiling: each part an equal share of the
total variance of today's 1506 z-scored values, so its L2 penalty weighs the same on
every row). The taggram is the 50 tag probabilities per patch (the ceiling sees their
mean and spread). Checkpoints: the four the `musicnn==0.1.0` wheel ships;
`MSD_musicnn_big` is not in the wheel. VGG pool5 is the dense layer's input (2 frames x
128 channels); pool4 max + mean is the fourth block's map maximised and averaged over
time and frequency.

Costs: analysis is the embedding time of one track ({N_PATCHES} random log-mel patches
in one call, best of 3, on {s.threads} thread(s), as "Embedding throughput" measures it)
summed over the checkpoints a row needs, under torch and under onnxruntime (as the
daemon embeds; a VGG exported plainly): {times}. Decoding and the log-mel front end
are shared and left out. Stored is what the store would keep per track: each part's
values per patch as float16 (as it keeps features today) / float32, plus 50 float32 tag
probabilities per patch for each checkpoint run. Ceiling fit is the mean time of one
day's 5-fold fit. Under each table, each row less today's features under the same
ranker, with the drift verdict's paired-bootstrap {report.LEVEL:.0%} interval (bold:
the interval excludes zero)."""


def write_study(studies: list[Study], embed_s: Timings) -> str:
    """Write and return the ``representations`` section, keeping its notes."""
    s = studies[0].results.settings
    blocks = "\n\n".join(corpus_block(x, embed_s) for x in studies)
    notes = kept_notes(SECTION, NOTES)
    section = f"## Representation study\n\n{setup(s, embed_s)}\n\n{blocks}\n\n{notes}".rstrip()
    place_section(SECTION, after=VARIANTS_SECTION)
    write_section(SECTION, section + "\n")
    return section


def main(
    corpora: list[str], s: Settings, json_path: Path | None, write: bool, adapted: bool = False
) -> int:
    """Run, print the tables, save the numbers to ``json_path`` and, with ``write``, record
    them in RESULTS.md."""
    for name in corpora:
        if name not in SPECS:
            raise SystemExit(f"--corpus: unknown {name!r}; known: {', '.join(SPECS)}")
    studies, embed_s = run_study(corpora, s, adapted)
    if json_path:
        save(studies, embed_s, json_path)
    for x in studies:
        print(corpus_block(x, embed_s), end="\n\n", flush=True)
    if write:
        write_study(studies, embed_s)
    return 0
