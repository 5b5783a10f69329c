"""Fill a real SQLite store with a small, plausible history through the public Store API.

Old listens (30-120 days ago) lean to the ``falling`` tag indices, recent ones
(last 30 days) to the ``rising`` ones (with MSD musicnn: rock, and electronic +
ambient), so the dashboard's taste drift has something to
show. Candidates from two feeds are fetched ("ready"), embedded, scored by a
promoted model and explained; a few tracks wait, fail or stay unmatched; there are likes,
a dislike, a blocked artist, three model versions (two of them promoted, each judged on
held-out listens) and a handful of job runs.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier import ModelConfig, explain
from daemon.config import Config, parse_config
from daemon.sources import config_schemas
from store import ListenIn, Store, TrackRef

__all__ = ["Population", "non_finite_numbers", "populate", "write_config"]

DAY = 86_400.0
PATCHES = 4
FEATURE_DIM = 753
MBID = "9980309d-3480-4e7e-89ce-fce971a452be"


@dataclass
class Population:
    """What :func:`populate` stored, for assertions."""

    now: float
    old_listen_ids: list[int] = field(default_factory=list)
    recent_listen_ids: list[int] = field(default_factory=list)
    candidate_ids: list[int] = field(default_factory=list)
    candidates: dict[int, TrackRef] = field(default_factory=dict)
    scores: dict[int, float] = field(default_factory=dict)
    disliked_id: int = 0
    blocked_artist: str = "Blocked Band"
    blocked_id: int = 0
    mbid_track_id: int = 0
    hostile_id: int = 0
    backlog_ids: list[int] = field(default_factory=list)
    failed_id: int = 0
    champion: int = 0
    versions: list[int] = field(default_factory=list)
    percentiles: list[float] = field(default_factory=list)  # of the promoted versions


def populate(
    store: Store,
    *,
    model_key: str = "MSD_musicnn",
    rising: Sequence[int] = (4, 28),
    falling: Sequence[int] = (0,),
    n_candidates: int = 20,
    now: float | None = None,
    seed: int = 0,
) -> Population:
    """Store the whole scenario in ``store`` and return what was stored."""
    if n_candidates < 8:
        raise ValueError(f"populate needs n_candidates >= 8, not {n_candidates}")
    now = now if now is not None else time.time()
    pop = Population(now=now)
    rng = np.random.default_rng(seed)
    up, down = list(rising), list(falling)
    _listens(store, pop, rng, model_key, up, down)
    _candidates(store, pop, rng, model_key, n_candidates, up)
    _pipeline(store, pop)
    _feedback(store, pop)
    _models(store, pop)
    explain(store, ModelConfig(), model_key, now=now)
    _runs(store)
    return pop


def _embed(
    store: Store, track_id: int, rng: np.random.Generator, model_key: str, high: Sequence[int]
) -> None:
    tags = rng.uniform(0.0, 0.15, size=(PATCHES, 50)).astype(np.float32)
    tags[:, list(high)] = rng.uniform(0.7, 0.95, size=(PATCHES, len(high)))
    features = rng.normal(size=(PATCHES, FEATURE_DIM)).astype(np.float16)
    store.put_embedding(track_id, model_key, features, tags)


def _listens(
    store: Store,
    pop: Population,
    rng: np.random.Generator,
    model_key: str,
    up: Sequence[int],
    down: Sequence[int],
) -> None:
    plan = [(f"Old Artist {i}", f"Old Song {i}", 40 + 12 * i, down) for i in range(6)]
    plan += [(f"New Artist {i}", f"New Song {i}", 1 + 5 * i, up) for i in range(5)]
    for i, (artist, title, days_ago, high) in enumerate(plan):
        ids = {"recording_mbid": MBID} if i == 0 else {}
        ref = TrackRef(source="listenbrainz", artist=artist, title=title, duration=200.0, ids=ids)
        at = int(pop.now - days_ago * DAY)
        store.add_listens([ListenIn(ref, at), ListenIn(ref, at + 3600)], "listenbrainz")
        track_id = store.find_tracks(f"{artist} - {title}")[0].id
        store.mark_track(track_id, "ready", url=f"https://www.youtube.com/watch?v=listen{i:05d}")
        _embed(store, track_id, rng, model_key, high)
        (pop.old_listen_ids if high is down else pop.recent_listen_ids).append(track_id)


def _candidate_ref(i: int) -> TrackRef:
    artist, title = f"Feed Artist {i % 7}", f"Candidate {i}"
    ids: dict[str, str] = {}
    if i == 3:
        title = 'Tricky, "quoted" & <odd> #title — ünïcödé'
    if i == 5:
        artist = "Blocked Band"
    if i == 7:
        ids = {"recording_mbid": "7e4bb014-51d5-4943-adb1-683e066a5220"}
    return TrackRef(
        source="feed",
        artist=artist,
        title=title,
        duration=180.0 + i,
        url=f"https://www.youtube.com/watch?v=cand{i:07d}",
        ids=ids,
    )


def _candidates(
    store: Store,
    pop: Population,
    rng: np.random.Generator,
    model_key: str,
    n: int,
    up: Sequence[int],
) -> None:
    refs = [_candidate_ref(i) for i in range(n)]
    store.add_feed_items("discover", refs[: n // 2])
    store.add_feed_items("new-releases", refs[n // 2 :])
    for i, ref in enumerate(refs):
        track_id = store.find_tracks(ref.url or "")[0].id
        store.mark_track(track_id, "ready")
        _embed(store, track_id, rng, model_key, [up[i % len(up)], 10 + i % 30])
        pop.candidate_ids.append(track_id)
        pop.candidates[track_id] = ref
        pop.scores[track_id] = round(0.95 - 0.04 * i, 4)
    pop.hostile_id = pop.candidate_ids[3]
    pop.blocked_id = pop.candidate_ids[5]
    pop.mbid_track_id = pop.candidate_ids[7]
    pop.disliked_id = pop.candidate_ids[1]


def _pipeline(store: Store, pop: Population) -> None:
    refs = [TrackRef(source="listenbrainz", artist="Waiting", title=f"Song {i}") for i in range(4)]
    store.add_listens(
        [ListenIn(ref, int(pop.now - DAY * (i + 1))) for i, ref in enumerate(refs)], "listenbrainz"
    )
    ids = [store.find_tracks(f"{r.artist} - {r.title}")[0].id for r in refs]
    pop.backlog_ids = ids[:2]
    pop.failed_id = ids[2]
    store.mark_track(ids[2], "failed", error="HTTP Error 410: Gone (video removed)")
    store.mark_track(ids[3], "unmatched", error="no search result within 20 s of 3:20")


def _feedback(store: Store, pop: Population) -> None:
    store.add_feedback("like", "listenbrainz", track=pop.recent_listen_ids[0], created_at=pop.now)
    store.add_feedback("dislike", "cli", track=pop.disliked_id, created_at=pop.now - 60)
    store.add_feedback("block", "cli", artist=pop.blocked_artist, created_at=pop.now - 120)


def _models(store: Store, pop: Population) -> None:
    for percentile, promote in ((0.80, True), (0.91, True), (0.85, False)):
        version = store.add_model(
            parent=pop.versions[-1] if pop.versions else None,
            hparams={"half_life_days": 21.0, "steps": 300, "adapted_on": 120},
            n_train=40 + 10 * len(pop.versions),
            n_val=8,
            metrics=_judged(percentile),
            checkpoint=f"models/v{len(pop.versions) + 1}.pt",
        )
        pop.versions.append(version)
        if promote:
            store.promote(version)
            pop.champion = version
            pop.percentiles.append(percentile)
    store.put_scores(pop.champion, pop.scores.items())


def _judged(percentile: float) -> dict[str, float]:
    """A model's metrics: judged on 12 held-out listens, better than the similarity ranking."""
    return {
        "k": 20,
        "n_heldout": 12,
        "hit_at_k": 0.45,
        "percentile": percentile,
        "similarity_hit_at_k": 0.40,
        "similarity_percentile": 0.80,
        "n_labels": 48,
    }


def _runs(store: Store) -> None:
    for job, status, error in (
        ("history:listenbrainz", "ok", None),
        ("poll-history", "ok", None),
        ("feed:discover", "failed", "feed discover: HTTP 503 from 127.0.0.1"),
        ("poll-feeds", "ok", None),
        ("fetch", "failed", "yt-dlp: HTTP Error 429: Too Many Requests"),
        ("train", "ok", None),
    ):
        run = store.start_run(job)
        store.finish_run(run, status, {"items": 3}, error)


def write_config(tmp_path: Path, extra: str = "") -> tuple[Config, Path]:
    """A config.toml in ``tmp_path`` whose state dir is ``tmp_path/state``, parsed."""
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n{extra}', encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    return parse_config(text, str(path), sources=config_schemas()), path


def non_finite_numbers(db: Path) -> int:
    """Give the best-scored candidate an infinite score, and every stored reason a NaN
    similarity (a silent track's all-zero embedding); returns the best candidate's id."""
    with sqlite3.connect(db) as conn:
        (best,) = conn.execute("SELECT track_id FROM scores ORDER BY score DESC").fetchone()
        conn.execute("UPDATE scores SET score = 9e999 WHERE track_id = ?", (best,))
        for track_id, text in conn.execute("SELECT track_id, because FROM reasons").fetchall():
            because = json.loads(text)
            for like in because["like"]:
                like["similarity"] = float("nan")
            conn.execute(
                "UPDATE reasons SET because = ? WHERE track_id = ?", (json.dumps(because), track_id)
            )
    return int(best)
