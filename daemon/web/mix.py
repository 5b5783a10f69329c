"""A personalised mix from a seed track: ``GET /api/mix?seed=ID|URL&n=50``.

The mix starts with the seed. The pool is the queue and the library folder's tracks; of
them, the ``NEIGHBOURS`` x ``n`` that sound closest to the seed (the cosine of their
musicnn profiles, each feature z-scored over the pool, as the reasons behind the queue
compare tracks) are re-ranked by the listener's model: their standing at the last
rescoring (the stored scores), best first; tracks never scored go last, closest first.
Profiles are computed here with numpy (patch mean and spread), so a mix loads no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daemon import feedback
from daemon.config import Config
from daemon.representation import active_backbone
from daemon.web.errors import BadRequestError, NotFoundError
from store import Store, Track

__all__ = ["MAX_MIX", "NEIGHBOURS", "Mix", "MixEntry", "make_mix"]

NEIGHBOURS = 2  # the nearest NEIGHBOURS * n tracks are re-ranked, n - 1 of them kept
MAX_MIX = 500


@dataclass(frozen=True)
class MixEntry:
    """One track of a mix: its similarity to the seed and its standing (None: not scored)."""

    track: Track
    similarity: float
    standing: float | None
    source: str  # "seed", "queue" or "library"


@dataclass(frozen=True)
class Mix:
    """The seed first, then the re-ranked neighbours."""

    seed: Track
    entries: list[MixEntry]


def _seed(store: Store, config: Config, text: str) -> Track:
    targets, problems = feedback.resolve(store, config, [text])
    if problems or not targets:
        raise NotFoundError(problems[0] if problems else f"no track matches {text!r}")
    return targets[0].track


def _profiles(store: Store, key: str, ids: list[int]) -> tuple[list[int], np.ndarray]:
    """(ids that have features, their profiles (N, 2D): patch mean then spread)."""
    got: list[int] = []
    blocks: list[np.ndarray] = []
    for tids, n_patches, feats in store.iter_feature_blocks(key, ids):
        x = feats.astype(np.float64)
        counts = np.asarray(n_patches, np.float64)[:, None]
        starts = np.concatenate([[0], np.cumsum(n_patches)[:-1]]).astype(np.int64)
        mean = np.add.reduceat(x, starts, axis=0) / counts
        spread = np.sqrt(np.maximum(np.add.reduceat(x * x, starts, axis=0) / counts - mean**2, 0))
        blocks.append(np.concatenate([mean, spread], axis=1))
        got += [int(t) for t in tids]
    return got, np.concatenate(blocks) if blocks else np.zeros((0, 0))


def _similarities(profiles: np.ndarray, seed_row: int) -> np.ndarray:
    """Cosine of every profile with the seed's, features z-scored over all of them."""
    z = (profiles - profiles.mean(axis=0)) / np.maximum(profiles.std(axis=0), 1e-6)
    units = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    result: np.ndarray = units @ units[seed_row]
    return result


def _pool(store: Store, config: Config) -> dict[int, tuple[Track, str]]:
    pool = {e.track.id: (e.track, "queue") for e in feedback.current_queue(store, config)}
    for entry in store.library_files():
        if entry.track_id not in pool and (track := store.get_track(entry.track_id)) is not None:
            pool[entry.track_id] = (track, "library")
    return pool


def make_mix(store: Store, config: Config, seed_text: str, n: int) -> Mix:
    """The mix of ``n`` tracks (the seed included) from the track ``seed_text`` names."""
    if not 1 <= n <= MAX_MIX:
        raise BadRequestError(f"n={n} is out of range: ask for 1 to {MAX_MIX} tracks")
    seed = _seed(store, config, seed_text)
    pool = _pool(store, config)
    pool.pop(seed.id, None)
    ids, profiles = _profiles(store, active_backbone(store, config), sorted({seed.id, *pool}))
    if seed.id not in ids:
        raise NotFoundError(
            f"track {seed.id} ({seed.label}) has no audio features yet: seed the mix with a "
            "fetched track (one in the queue or the library)"
        )
    similarity = _similarities(profiles, ids.index(seed.id))
    near = [(float(similarity[i]), t) for i, t in enumerate(ids) if t != seed.id]
    near.sort(key=lambda pair: (-pair[0], pair[1]))
    near = near[: NEIGHBOURS * max(n - 1, 0)]
    scores = store.scores()
    near.sort(key=lambda pair: (-(scores.get(pair[1], -1.0)), -pair[0], pair[1]))
    entries = [MixEntry(seed, 1.0, scores.get(seed.id), "seed")]
    entries += [MixEntry(pool[t][0], sim, scores.get(t), pool[t][1]) for sim, t in near[: n - 1]]
    return Mix(seed, entries)
