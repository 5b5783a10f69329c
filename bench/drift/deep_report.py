"""The ``deeper`` section of bench/RESULTS.md: :mod:`bench.drift.deep`'s records as the
drift tables, each deeper row less its shallow twin with the verdict's interval, and
what deeper fine-tuning costs (timed alone, ``--timings``).

    .venv/bin/python -m bench.drift.deep_report a.json b.json c.json [--timings t.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import kept_notes, place_section, write_section
from bench.drift import deep, last_layer, report
from bench.drift.corpus import N_PATCHES, build
from bench.drift.deep import BODY, DEEP, KERNEL_DEEP, KERNEL_FROZEN
from bench.drift.last_layer import LAST, LAST_ONE
from bench.drift.listeners import KINDS
from bench.drift.run import Cell, Results, Settings, pair_mean
from classifier.musicnn import N_MELS, PATCH_FRAMES

SECTION = "deeper"
NOTES = "### What the numbers say"
ROWS = {**deep.ROWS, **last_layer.ROWS}
"""Record key -> row name, of both runs."""
PAIRS = ((DEEP, BODY), (LAST, BODY), (LAST_ONE, BODY), (KERNEL_DEEP, KERNEL_FROZEN))
"""Each deeper row and the row it is measured against."""
LOGMEL_BYTES = N_PATCHES * PATCH_FRAMES * N_MELS * 2
"""A track's kept log-mel patches, float16."""
LAST_BYTES = PATCH_FRAMES * 64 * 2
"""One patch of the mid end's last layer's input (64 channels), float16."""


def load(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """The saved runs, the records of one corpus's files joined: one listener-day's
    rows from :mod:`bench.drift.deep` and :mod:`bench.drift.last_layer` merged."""
    out: dict[str, dict[str, Any]] = {}
    days: dict[str, dict[tuple[str, int, int], dict[str, Any]]] = defaultdict(dict)
    for path in paths:
        data = json.loads(path.read_text())
        out.setdefault(data["corpus"], {**data, "records": []})
        for record in data["records"]:
            key = (record["kind"], record["seed"], record["day"])
            days[data["corpus"]].setdefault(key, {}).update(record)
    for corpus, data in out.items():
        data["records"] = list(days[corpus].values())
    return out


def results(data: dict[str, Any], counts: str = "", n_tracks: int = 0) -> Results:
    """The records of one corpus (of ``n_tracks``, ``counts`` per package) as drift
    results: per listener, the last day and the mean over the scored days."""
    per: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for record in data["records"]:
        per[(record["kind"], record["seed"])].append(record)
    seeds = sorted({seed for _, seed in per})
    s = Settings(kinds=list(KINDS), seeds=seeds, days=data["days"], every=data["every"])
    res = Results(data["corpus"], counts, n_tracks, s)
    for kind in KINDS:
        for seed in seeds:
            days = sorted(per[(kind, seed)], key=lambda r: r["day"])
            for key, row in ROWS.items():
                if any(key not in d for d in days):
                    continue
                cell = res.cells.setdefault(row, {}).setdefault(kind, Cell())
                cell.final.append(tuple(days[-1][key]))
                cell.along.append(pair_mean(tuple(d[key]) for d in days))
    return res


def differences(res: Results) -> str:
    """Each deeper row less its twin, P@20 and ROC-AUC, last day and along the way."""
    lines = []
    for row, other in PAIRS:
        if row not in res.cells:
            continue
        parts = []
        for along in (False, True):
            for measure, name in ((0, "P@20"), (1, "ROC-AUC")):
                mean, low, high = report.difference(res, row, other, along, measure)
                when = "along" if along else "last day"
                parts.append(f"{when} {name} {mean:+.3f} ({low:+.3f}..{high:+.3f})")
        lines.append(f"- {row} less {other}: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def block(data: dict[str, Any]) -> str:
    """One corpus: the table and the differences (the runs' own seconds are left out: they
    shared the machine; :func:`setup` gives a quiet one's)."""
    corpus = build(data["corpus"])
    res = results(data, corpus.counts(), len(corpus.paths))
    head = f"### Corpus {res.corpus.upper()}: {res.n_tracks} tracks ({res.counts})"
    return "\n\n".join([head, report.table(res), differences(res)])


def setup(data: dict[str, Any], timings: dict[str, float] | None) -> str:
    """What was run, and the quiet machine's timings."""
    intro = (deep.__doc__ or "").split("\n\n")[1]
    kept = LOGMEL_BYTES / 1024
    text = (
        f"{intro.strip()}\n\nScored days: every {data['every']}th of the last {data['days']}"
        f" and the last; seeds {sorted({r['seed'] for r in data['records']})}. Stored: the "
        f"log-mel patches a cycle trains on, {N_PATCHES} x {PATCH_FRAMES} x {N_MELS} float16"
        f" = {kept:.1f} KiB a track ({kept * 1000 / 1024:.0f} MiB per 1,000 labels); to "
        "re-embed the candidates after each cycle the store would keep theirs too (or "
        "fetch their audio again). The last layer's input instead: "
        f"{LAST_BYTES / 1024:.1f} KiB a patch, float16 ({N_PATCHES * LAST_BYTES / 1024:.0f} "
        "KiB a track with every patch kept), for every track the queue may rank."
    )
    if timings:
        text += (
            f"\n\nOn a quiet machine (one torch thread, corpus A, one listener's last day): "
            f"back end {timings['shallow_s']:.1f} s, mid end and back end "
            f"{timings['deep_s']:.1f} s per cycle of {timings['steps']} steps; re-embedding "
            f"{1000 * timings['reembed_s'] / timings['tracks']:.1f} s per 1,000 tracks from"
            f" the front end's output, {timings['front_s_per_track'] * 1000:.0f} s per "
            "1,000 tracks for the front end from their log-mel patches."
        )
    if timings and "last_layer_s" in timings:
        per = 1000 / timings["last_tracks"]
        text += (
            f" The last layer alone: {timings['last_layer_s']:.1f} s per cycle with every "
            f"patch kept, {timings['last_layer1_s']:.1f} s with one; scoring every track "
            f"again {per * timings['last_layer_score_s']:.1f} s and "
            f"{per * timings['last_layer1_score_s']:.1f}"
            " s per 1,000 tracks."
        )
    return text


def write(runs: dict[str, dict[str, Any]], timings: dict[str, float] | None) -> str:
    """Write and return the section, keeping its hand-written notes."""
    first = next(iter(runs.values()))
    blocks = "\n\n".join(block(runs[c]) for c in sorted(runs))
    notes = kept_notes(SECTION, NOTES)
    section = f"## Representation study: deeper fine-tuning\n\n{setup(first, timings)}"
    place_section(SECTION, after="representations")
    write_section(SECTION, f"{section}\n\n{blocks}\n\n{notes}\n")
    return section


def main(argv: list[str] | None = None) -> int:
    """Write the section from saved records."""
    p = argparse.ArgumentParser(prog="python -m bench.drift.deep_report")
    p.add_argument("records", nargs="+", type=Path)
    p.add_argument("--timings", type=Path, nargs="*", default=[], help="one file per run")
    args = p.parse_args(argv)
    timings = {k: v for path in args.timings for k, v in json.loads(path.read_text()).items()}
    write(load(args.records), timings or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
