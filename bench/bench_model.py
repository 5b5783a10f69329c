"""Cost of the taste model: a training cycle against labelled tracks, bulk rescoring, ranking.

Synthetic cached features (float16, :data:`PATCHES` patches of 1506 per track)
in a real SQLite store; the model is the real pretrained back end. Sizes come
from ``TASTEBUD_BENCH_RESCORE`` (comma-separated, default ``10000,100000``).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import peak_rss_mib, timer, write_section
from classifier import ModelConfig, feature_key, rescore, train_cycle
from store import ListenIn, Store, TrackRef

PATCHES = 10
DAY = 86400.0
LABELLED = (500, 2000)
CANDIDATES_PER_LABELLED = 5  # 2,000 listened tracks beside 10,000 candidates
RESCORE_HISTORY = 50  # listened tracks behind the rescore rows


def _refs(n: int, start: int = 0) -> list[TrackRef]:
    return [TrackRef(source="bench", artist=f"a{i % 997}", title=f"t{i}") for i in range(start, n)]


def _embed(store: Store, ids: list[int], key: str, rng: np.random.Generator) -> None:
    for track_id in ids:
        feats = rng.normal(0, 1, (PATCHES, 1506)).astype(np.float16)
        store.put_embedding(track_id, key, feats, rng.uniform(0, 1, (PATCHES, 50)))


def filled_store(path: Path, n_labelled: int, n_candidates: int, key: str) -> Store:
    """Listened tracks and feed candidates, every one with cached features and ready."""
    store = Store.open(path)
    rng = np.random.default_rng(0)
    now = time.time()
    refs = _refs(n_labelled)
    store.add_listens([ListenIn(r, int(now - rng.uniform(0, 180) * DAY)) for r in refs], "bench")
    store.add_feed_items("bench", _refs(n_labelled + n_candidates, n_labelled))
    ids = [t.id for t in store.tracks()]
    _embed(store, ids, key, rng)
    with store.write() as conn:  # bulk state change for the benchmark only
        conn.execute("UPDATE tracks SET state = 'ready'")
    return store


def _train_rows(n: int, config: ModelConfig, key: str) -> list[str]:
    """The first cycle, then an incremental one a day later (warm start from the champion,
    50 new listens)."""
    m = CANDIDATES_PER_LABELLED * n
    size = f"{n} listened + {m} candidates"
    with tempfile.TemporaryDirectory() as tmp:
        with filled_store(Path(tmp) / "b.db", n, m, key) as store:
            with timer() as first:
                result = train_cycle(store, config, Path(tmp) / "m")
            later = time.time() + DAY
            store.add_listens([ListenIn(r, int(later)) for r in _refs(50)], "bench")
            with timer() as second:
                again = train_cycle(store, config, Path(tmp) / "m", now=later)
    return [
        f"| train cycle, first | {size} | {first[0]:.1f} s | {result.reason} |",
        f"| train cycle, incremental | {size}, 50 new listens | {second[0]:.1f} s "
        f"| {again.reason} |",
    ]


def _rescore_rows(n: int, config: ModelConfig, key: str) -> list[str]:
    """Rescoring and ranking ``n`` candidates under a model trained on a short history
    (:data:`RESCORE_HISTORY`; the speed section's rescore row has a full basis of history,
    ``BASIS_LIMIT`` tracks)."""
    with tempfile.TemporaryDirectory() as tmp:
        with filled_store(Path(tmp) / "b.db", RESCORE_HISTORY, n, key) as store:
            train_cycle(store, config, Path(tmp) / "m")
            with timer() as t:
                written = rescore(store, config, Path(tmp) / "m")
            with timer() as q:
                store.queue(limit=50)
    return [
        f"| rescore from the cache | {written} candidates x {PATCHES} patches, "
        f"history of {RESCORE_HISTORY} listened tracks | {t[0]:.1f} s | |",
        f"| rank (`Store.queue`, 50) | {n} scored candidates | {q[0]:.2f} s | |",
    ]


def main() -> str:
    """Measure and write the ``model`` section of bench/RESULTS.md."""
    config = ModelConfig()
    key = feature_key(config.backbone)
    sizes = [int(s) for s in os.environ.get("TASTEBUD_BENCH_RESCORE", "10000,100000").split(",")]
    rows = [row for n in LABELLED for row in _train_rows(n, config, key)]
    for n in sizes:
        rows += _rescore_rows(n, config, key)
    section = "\n".join(
        [
            "## Taste model cost",
            "",
            f"Synthetic float16 features, {PATCHES} patches per track, real SQLite store, "
            f"`[model]` defaults ({config.steps} body steps, batch {config.batch_size}, "
            f"{config.mix_steps} ranking-head steps); the budget of a cycle is 60 s.",
            "",
            "| operation | size | time | note |",
            "|---|---|---|---|",
            *rows,
            "",
            f"Peak RSS {peak_rss_mib():.0f} MiB.",
        ]
    )
    write_section("model", section)
    return section


if __name__ == "__main__":
    print(main())
