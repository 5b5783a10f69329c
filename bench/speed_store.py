"""A store of 100k scored, embedded candidates for the speed benchmark, written in bulk."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from store import ListenIn, Store, TrackRef

__all__ = ["add_history", "matmul_floor_seconds", "populate_candidates", "read_floor_seconds"]


def populate_candidates(
    path: Path, n: int, *, patches: int = 10, dim: int = 1506, key: str = "", seed: int = 0
) -> Store:
    """A store at ``path`` with ``n`` ready feed candidates, scored, from ``n // 4`` artists;
    with ``key``, each has ``patches`` float16 feature vectors of ``dim`` values."""
    rng = np.random.default_rng(seed)
    store = Store.open(path)
    now = time.time()
    artists = rng.integers(0, max(1, n // 4), n)
    scores = rng.random(n)
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO tracks (id, artist, title, url, source, match_key, first_seen, state, "
            "updated_at) VALUES (?, ?, ?, ?, 'bench', ?, ?, 'ready', ?)",
            (
                (i + 1, f"Artist {a}", f"Song {i}", f"http://127.0.0.1/{i}", f"a{a}|s{i}", now, now)
                for i, a in enumerate(artists.tolist())
            ),
        )
        conn.executemany(
            "INSERT INTO feed_items (feed, track_id, offered_at, position) VALUES (?, ?, ?, ?)",
            (("bench", i + 1, now, i) for i in range(n)),
        )
        conn.executemany(
            "INSERT INTO scores (track_id, model_version, score, scored_at) VALUES (?, NULL, ?, ?)",
            ((i + 1, s, now) for i, s in enumerate(scores.tolist())),
        )
    if key:
        _embed(store, n, patches, dim, key, rng)
    return store


def add_history(store: Store, n: int, key: str, days: float = 365.0, seed: int = 1) -> None:
    """``n`` listened tracks (a listen each over the last ``days``), embedded like the
    candidates: the history every candidate is compared with."""
    rng = np.random.default_rng(seed)
    now = time.time()
    refs = [TrackRef(source="bench", artist=f"Heard {i % 97}", title=f"t{i}") for i in range(n)]
    store.add_listens([ListenIn(r, int(now - rng.uniform(0, days) * 86400)) for r in refs], "bench")
    listened = [t.id for t in store.tracks() if (t.artist or "").startswith("Heard ")]
    pool = (rng.standard_normal((n, 10, 1506), np.float32) * 0.5 + 0.5).astype(np.float16)
    for track_id, feats in zip(listened, pool, strict=True):
        store.put_embedding(track_id, key, feats, np.zeros((10, 50), np.float32))
    with store.write() as conn:
        conn.execute("UPDATE tracks SET state = 'ready' WHERE artist LIKE 'Heard %'")


def _embed(
    store: Store, n: int, patches: int, dim: int, key: str, rng: np.random.Generator
) -> None:
    """Features drawn from a pool of 509 random tracks (writing 3 GB is the slow part)."""
    pool = (rng.standard_normal((509, patches, dim), np.float32) * 0.5 + 0.5).astype(np.float16)
    blobs = [f.tobytes() for f in pool]
    tags = np.zeros((patches, 50), np.float32).tobytes()
    now = time.time()
    for start in range(0, n, 5000):
        with store.write() as conn:
            conn.executemany(
                "INSERT INTO embeddings (track_id, model_key, n_patches, features, feature_dim, "
                "tags, tag_dim, created_at) VALUES (?, ?, ?, ?, ?, ?, 50, ?)",
                (
                    (t, key, patches, blobs[t % len(blobs)], dim, tags, now)
                    for t in range(start + 1, min(n, start + 5000) + 1)
                ),
            )


def rank_seconds(store: Store, repeats: int = 5) -> float:
    """Best of ``repeats`` timings of ``Store.queue(50)``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        store.queue(50)
        best = min(best, time.perf_counter() - start)
    return best


def read_floor_seconds(store: Store, key: str, ids: list[int], chunk: int = 1024) -> float:
    """Reading every candidate's float16 feature blob, nothing else (the floor's read)."""
    start = time.perf_counter()
    for first in range(0, len(ids), chunk):
        part = ids[first : first + chunk]
        with store.read() as conn:
            conn.execute(
                "SELECT features FROM embeddings WHERE model_key = ? AND track_id IN "
                f"({','.join('?' * len(part))})",
                (key, *part),
            ).fetchall()
    return time.perf_counter() - start


def matmul_floor_seconds(rows: int, dim: int = 1506, units: int = 200) -> float:
    """The float32 matmul of ``rows`` patches by the dense layer, in large blocks."""
    import torch

    block = 8192
    x, w = torch.randn(block, dim), torch.randn(dim, units)
    out = torch.empty(block, units)
    torch.mm(x, w, out=out)  # warm-up
    start = time.perf_counter()
    for _ in range(rows // block):
        torch.mm(x, w, out=out)
    return (time.perf_counter() - start) * rows / (block * max(1, rows // block))
