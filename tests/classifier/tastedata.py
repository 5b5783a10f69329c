"""Synthetic taste-model data for the classifier tests: real stores, clustered features.

Tracks belong to clusters (``"A"``, ``"B"``, ...); each track's per-patch
back-end input is its cluster's centre plus track and patch noise, in units
of the spread of real back-end inputs, so clusters are clearly separable.
Everything goes through the public Store API.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np

from classifier import ModelConfig, TasteModel, feature_key
from store import ListenIn, Store, TrackRef

DAY = 86400.0
NOW = 1_700_000_000.0
PATCHES = 4
DIM = 1506

FAST = ModelConfig(
    steps=40,
    batch_size=32,
    learning_rate=3e-3,
    replay=200,
    unlabelled_sample=200,
    min_labels=3,
    keep_checkpoints=3,
    adapt_steps=30,
)
KEY = feature_key(FAST.backbone)


@cache
def _input_scale() -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of real back-end inputs (musicnn's input batch-norm statistics)."""
    bn = TasteModel.pretrained(FAST.backbone).bn_in
    return bn.running_mean.numpy(), np.sqrt(bn.running_var.numpy())


def ref(name: str, artist: str | None = None) -> TrackRef:
    """Track ``name``, by an artist of its own unless ``artist`` names one."""
    return TrackRef(source="test", artist=artist or f"artist {name}", title=f"title {name}")


@dataclass
class Library:
    """A store with clustered tracks; ``ids[name]`` is a track id, ``cluster[id]`` its cluster.
    With ``cluster_artists`` each cluster's tracks are by one artist, else each by its own."""

    store: Store
    seed: int = 0
    ids: dict[str, int] = field(default_factory=dict)
    cluster: dict[int, str] = field(default_factory=dict)
    cluster_artists: bool = False

    def __post_init__(self) -> None:
        rng = np.random.default_rng(1000 + self.seed)
        self.centres = {c: rng.normal(0.0, 1.0, DIM) for c in "ABCD"}
        self.rng = np.random.default_rng(self.seed)
        self.mean, self.std = _input_scale()

    def add_loner(self, name: str) -> int:
        """Create a ready track of a cluster of its own."""
        self.centres[name] = self.rng.normal(0.0, 1.0, DIM)
        return self.add(name, name)

    def add(self, name: str, cluster: str) -> int:
        """Create a ready track with features from ``cluster``."""
        track_id = self.store.upsert_track(self.ref(name, cluster))
        base = self.centres[cluster] + self.rng.normal(0.0, 0.6, DIM)
        feats = self.mean + self.std * (base + self.rng.normal(0.0, 0.3, (PATCHES, DIM)))
        tags = self.rng.uniform(0, 1, (PATCHES, 50))
        self.store.put_embedding(track_id, KEY, feats.astype(np.float16), tags)
        self.store.mark_track(track_id, "ready")
        self.ids[name] = track_id
        self.cluster[track_id] = cluster
        return track_id

    def ref(self, name: str, cluster: str | None = None) -> TrackRef:
        """The reference of track ``name`` (of ``cluster``, for one not added yet)."""
        if cluster is None and name in self.ids:
            cluster = self.cluster[self.ids[name]]
        by = f"artist of {cluster}" if self.cluster_artists and cluster else None
        return ref(name, by)

    def listen(self, name: str, at: float) -> None:
        self.store.add_listens([ListenIn(self.ref(name), int(at))], "test")

    def offer(self, names: list[str], feed: str = "feed") -> None:
        self.store.add_feed_items(feed, [self.ref(n) for n in names])

    def heard_and_offered(self, heard: int, offered: int, styles: str = "ABCD") -> list[str]:
        """``heard`` tracks of clusters A and B, each listened to once an hour apart until
        now, and ``offered`` candidates of ``styles`` in turn; returns the candidates'
        names."""
        for i in range(heard):
            self.add(f"h{i}", "AB"[i % 2])
            self.listen(f"h{i}", time.time() - i * 3600)
        names = [f"c{i}" for i in range(offered)]
        for i, name in enumerate(names):
            self.add(name, styles[i % len(styles)])
        self.offer(names)
        return names

    def in_cluster(self, cluster: str, ids: list[int]) -> list[int]:
        return [t for t in ids if self.cluster[t] == cluster]


def listened_library(
    store: Store,
    history: list[tuple[str, int, float, float]],
    candidates: dict[str, int],
    seed: int = 0,
    cluster_artists: bool = False,
) -> Library:
    """A library with listens and candidates.

    ``history``: (cluster, n tracks, first day, last day) spans of listening,
    days counted back from ``NOW`` (``first day`` > ``last day``); each track
    is listened to once at an evenly spaced time. ``candidates``: cluster ->
    number of offered, never-listened tracks.
    """
    lib = Library(store, seed, cluster_artists=cluster_artists)
    for span, (cluster, n, first, last) in enumerate(history):
        for i, day in enumerate(np.linspace(first, last, n)):
            name = f"h{span}-{cluster}{i}"
            lib.add(name, cluster)
            lib.listen(name, NOW - day * DAY)
    names = []
    for cluster, n in candidates.items():
        for i in range(n):
            names.append(f"c-{cluster}{i}")
            lib.add(names[-1], cluster)
    lib.offer(names)
    return lib


def open_store(tmp_path: Path, name: str = "t.db") -> Store:
    return Store.open(tmp_path / name)


def config(**changes: object) -> ModelConfig:
    return replace(FAST, **changes)  # type: ignore[arg-type]
