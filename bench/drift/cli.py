"""The developer's entry point: ``python -m bench.drift [flags]`` prints the per-kind tables.

Example (one corpus, two kinds, one seed, a cycle every 5 days, two overrides)::

    .venv/bin/python -m bench.drift --corpus a --kinds switch,multi --seeds 0 --every 5 \\
        --set half_life_days=30 --set steps=200 --json out.json

The representation study (:mod:`bench.drift.study`) on every corpus, recorded::

    .venv/bin/python -m bench.drift --study --seeds 0,1,2,3,4 --json study.json --write-study
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import multiprocessing
import os
import typing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

from bench.drift import report
from bench.drift.corpus import SPECS, build
from bench.drift.listeners import KINDS
from bench.drift.run import Results, Settings, run
from bench.drift.variants import VARIANTS
from classifier import ModelConfig


def convert(name: str, value: str) -> object:
    """``value`` as the type of ``ModelConfig``'s field ``name``."""
    hints = typing.get_type_hints(ModelConfig)
    if name not in hints:
        raise SystemExit(f"--set: ModelConfig has no field {name!r}; fields: {', '.join(hints)}")
    kind = hints[name]
    if kind is bool:
        return value.lower() in ("1", "true", "yes", "on")
    return kind(value) if kind in (int, float, str) else value


def overrides(pairs: list[str]) -> dict[str, object]:
    """``NAME=VALUE`` pairs as typed ``ModelConfig`` overrides."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set wants NAME=VALUE, got {pair!r}")
        out[name.strip()] = convert(name.strip(), value.strip())
    return out


def parser() -> argparse.ArgumentParser:
    """The flags."""
    p = argparse.ArgumentParser(prog="python -m bench.drift", description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default="a,b,c", help="comma-separated corpora (default a,b,c)")
    p.add_argument("--kinds", default=",".join(KINDS), help="comma-separated listener kinds")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    p.add_argument("--days", type=int, default=60, help="replayed days (default 60)")
    p.add_argument("--every", type=int, default=1, help="train every N replayed days")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--rows", choices=("all", "shipped", "similarity"), default="all")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--variants", action="store_true", help="also run bench/drift/variants.py")
    p.add_argument("--json", type=Path, help="write the numbers to this file")
    p.add_argument("--write-variants", action="store_true", help="record them in RESULTS.md")
    p.add_argument(
        "--study", action="store_true", help="the representation study instead of the drift rows"
    )
    p.add_argument(
        "--adapted", action="store_true", help="the study's self-supervised rows instead"
    )
    p.add_argument("--write-study", action="store_true", help="record the study in RESULTS.md")
    p.add_argument(
        "--study-from",
        metavar="FILE[,FILE]",
        help="write the study's section from saved --json numbers, without running",
    )
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def settings(args: argparse.Namespace) -> Settings:
    """The run's settings from the parsed flags."""
    kinds = [k for k in args.kinds.split(",") if k]
    if unknown := [k for k in kinds if k not in KINDS]:
        raise SystemExit(f"--kinds: unknown {unknown}; known: {', '.join(KINDS)}")
    return Settings(
        kinds=kinds,
        seeds=[int(x) for x in args.seeds.split(",") if x],
        days=args.days,
        every=max(1, args.every),
        rows=args.rows,
        threads=max(1, args.threads),
        overrides=overrides(args.set),
        variants=dict(VARIANTS) if args.variants else {},
    )


def run_all(corpora: list[str], s: Settings) -> list[Results]:
    """``s`` on each named corpus, one process per corpus (each with ``s.threads`` torch
    threads), at most as many at once as there are cores."""
    for name in corpora:
        if name not in SPECS:
            raise SystemExit(f"--corpus: unknown {name!r}; known: {', '.join(SPECS)}")
    workers = max(1, min(len(corpora), (os.cpu_count() or 1) // max(s.threads, 1)))
    if workers == 1:
        return [_run_one(name, s) for name in corpora]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
        return list(pool.map(_run_one, corpora, [s] * len(corpora)))


def _run_one(name: str, s: Settings) -> Results:
    torch.set_num_threads(s.threads)
    base = dataclasses.replace(ModelConfig(), **s.overrides)  # type: ignore[arg-type]
    return run(build(name), s, base)


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, run, print the tables."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    s = settings(args)
    if args.study or args.study_from:
        return _study(args, s)
    results = run_all([c for c in args.corpus.split(",") if c], s)
    for res in results:
        print(report.corpus_block(res), end="\n\n", flush=True)
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(r) for r in results], indent=1))
    if args.write_variants:
        from bench.drift.document import write_variants

        write_variants(results, s)
    return 0


def _study(args: argparse.Namespace, s: Settings) -> int:
    from bench.drift import study

    if args.study_from:
        studies, embed_s = study.load([Path(p) for p in args.study_from.split(",") if p])
        study.write_study(studies, embed_s)
        return 0
    corpora = [c for c in args.corpus.split(",") if c]
    s = dataclasses.replace(s, rows="similarity")
    return study.main(corpora, s, args.json, args.write_study, args.adapted)
