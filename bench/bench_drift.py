"""Taste drift on real recordings: does the queue follow a listener whose taste changes?

A simulated listener likes two of the corpus's four packages for the first
months, then switches to the other two for the last :data:`SWITCH_DAYS` days;
listens are drawn over time from part of the liked packages' tracks; every
other track is a candidate. Rankings of the candidates are judged against the
listener's *current* taste (tracks of the two packages liked now), on the same
splits and seeds, with ROC-AUC and precision@20.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from bench.common import timer, write_section
from bench.corpus import PACKAGES, Corpus, build
from classifier.config import ModelConfig
from classifier.scoring import centroid_scores, rescore
from classifier.taste import TasteModel
from classifier.train import feature_key, precision_at_k, roc_auc, train_cycle
from store import ListenIn, Store, TrackRef

logger = logging.getLogger(__name__)

DAY = 86400.0
NOW = 1_750_000_000.0
HISTORY_DAYS = 180
SWITCH_DAYS = 45
LISTENED_SHARE = 0.5  # of each liked package's tracks, the ones the listener has heard
LISTENS_PER_DAY = 3
SEEDS = (0, 1, 2)
K = 20
SWEEP = (7.0, 14.0, 21.0, 30.0, 60.0)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One simulated listener: what was heard when, and the candidates to rank."""

    listens: list[tuple[int, float]]  # (corpus index, time)
    candidates: np.ndarray  # corpus indices
    relevant: np.ndarray  # bool per candidate: of a package liked now


def scenario(corpus: Corpus, seed: int) -> Scenario:
    """Old taste = two random packages, new taste = the other two."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(PACKAGES))
    old, new = order[:2], order[2:]
    labels = corpus.labels
    heard: dict[int, np.ndarray] = {}
    for package in order:
        members = rng.permutation(np.flatnonzero(labels == package))
        heard[int(package)] = members[: max(2, int(LISTENED_SHARE * len(members)))]
    listens = []
    for day in range(HISTORY_DAYS):
        liked = old if day < HISTORY_DAYS - SWITCH_DAYS else new
        pool = np.concatenate([heard[int(p)] for p in liked])
        for track in rng.choice(pool, LISTENS_PER_DAY):
            at = NOW - (HISTORY_DAYS - day) * DAY + rng.uniform(0, DAY)
            listens.append((int(track), at))
    listened = {t for t, _ in listens}
    candidates = np.array([i for i in range(len(labels)) if i not in listened])
    return Scenario(listens, candidates, np.isin(labels[candidates], new))


def _ref(index: int) -> TrackRef:
    return TrackRef(source="bench", artist=f"artist {index}", title=f"track {index}")


def fill_store(store: Store, corpus: Corpus, sc: Scenario, key: str) -> dict[int, int]:
    """Tracks, cached features, listens and feed items; returns corpus index -> track id."""
    ids = {}
    for i in range(len(corpus.paths)):
        ids[i] = store.upsert_track(_ref(i))
        store.put_embedding(ids[i], key, corpus.features[i], corpus.tags[i])
        store.mark_track(ids[i], "ready")
    store.add_listens([ListenIn(_ref(t), int(at)) for t, at in sc.listens], "bench")
    store.add_feed_items("bench", [_ref(int(i)) for i in sc.candidates])
    return ids


def ours(corpus: Corpus, sc: Scenario, config: ModelConfig) -> tuple[np.ndarray, float, float]:
    """Candidate scores after one training cycle, and the cycle's and rescoring's seconds."""
    key = feature_key(config.backbone)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.db") as store:
        ids = fill_store(store, corpus, sc, key)
        with timer() as t_train:
            result = train_cycle(store, config, Path(tmp) / "models", now=NOW)
        if not result.promoted:
            logger.warning("bench cycle not promoted: %s", result.reason)
        with timer() as t_score:
            rescore(store, config, Path(tmp) / "models")
        scores = store.scores()
    return np.array([scores[ids[int(i)]] for i in sc.candidates]), t_train[0], t_score[0]


def _penultimate(corpus: Corpus) -> np.ndarray:
    """Per-track mean of musicnn's 200-d penultimate features (the 'musicnn embedding')."""
    model = TasteModel.pretrained()
    n, p, d = corpus.features.shape
    with torch.no_grad():
        pen = model.penultimate(torch.from_numpy(corpus.features.reshape(n * p, d)).float())
    return pen.numpy().reshape(n, p, -1).mean(axis=1)


def fingerprint(
    embeddings: np.ndarray, sc: Scenario, half_life_days: float, zscore: bool
) -> np.ndarray:
    """Cosine to the recency-weighted centroid of listened tracks' embeddings."""
    ages = np.array([(NOW - at) / DAY for _, at in sc.listens])
    weights = 0.5 ** (ages / half_life_days)
    tracks = np.array([t for t, _ in sc.listens])
    library = embeddings if zscore else np.zeros((2, embeddings.shape[1]))
    if not zscore:  # plain cosine: no centring, unit spread
        library = np.stack([np.ones(embeddings.shape[1]), -np.ones(embeddings.shape[1])])
    return centroid_scores(library, embeddings[tracks], weights, embeddings[sc.candidates])


def _metrics(scores: np.ndarray, sc: Scenario) -> tuple[float, float]:
    relevant = sc.relevant.astype(float)
    return roc_auc(scores, relevant), precision_at_k(scores, relevant, K)


def _row(name: str, values: list[tuple[float, float]]) -> str:
    auc, p20 = np.mean(values, axis=0)
    return f"| {name} | {p20:.2f} | {auc:.2f} |"


def run(corpus: Corpus, config: ModelConfig) -> tuple[dict[str, list], list[float], list[float]]:
    """Metrics per method and seed, and the training/rescoring seconds of ours."""
    pen = _penultimate(corpus)
    results: dict[str, list] = {}
    t_train, t_score = [], []

    def add(name: str, fn: Callable[[Scenario], np.ndarray], sc: Scenario) -> None:
        results.setdefault(name, []).append(_metrics(fn(sc), sc))

    for seed in SEEDS:
        sc = scenario(corpus, seed)
        rng = np.random.default_rng(seed)
        add("random", lambda s, r=rng: r.uniform(size=len(s.candidates)), sc)
        add(
            "ours without recency (no decay)",
            lambda s, seed=seed: ours(
                corpus, s, dataclasses.replace(config, half_life_days=float("inf"), seed=seed)
            )[0],
            sc,
        )
        add(
            "sonic fingerprint: cosine to 30-day-weighted centroid of musicnn embeddings",
            lambda s: fingerprint(pen, s, 30.0, zscore=False),
            sc,
        )
        add(
            "same, z-scored (our cold start, on back-end inputs)",
            lambda s: fingerprint(
                corpus.features.astype(np.float32).mean(1), s, config.half_life_days, zscore=True
            ),
            sc,
        )
        for hl in SWEEP:
            scores, tt, ts = ours(
                corpus, sc, dataclasses.replace(config, half_life_days=hl, seed=seed)
            )
            results.setdefault(f"ours, half-life {hl:g} d", []).append(_metrics(scores, sc))
            if hl == config.half_life_days:
                t_train.append(tt)
                t_score.append(ts)
    return results, t_train, t_score


def _table(results: dict[str, list], config: ModelConfig) -> str:
    lines = ["| ranking of the candidates | P@20 | ROC-AUC |", "|---|---|---|"]
    for name, values in results.items():
        star = " **(default)**" if name == f"ours, half-life {config.half_life_days:g} d" else ""
        lines.append(_row(name + star, values))
    return "\n".join(lines)


def main() -> str:
    """Run the benchmark and write the ``drift`` section of bench/RESULTS.md."""
    corpus = build()
    config = ModelConfig()
    results, t_train, t_score = run(corpus, config)
    counts = ", ".join(f"{p} {corpus.packages.count(p)}" for p in PACKAGES)
    section = f"""## Taste drift on real recordings

Corpus: {len(corpus.paths)} music files longer than 40 s from Debian game-soundtrack
packages ({counts}), {corpus.features.shape[1]} patches each through the pretrained
MSD musicnn. A simulated listener hears {LISTENS_PER_DAY} tracks a day for {HISTORY_DAYS} days,
drawn from half of the tracks of two packages, then switches to the other two
packages for the last {SWITCH_DAYS} days. Candidates: every track never listened to;
relevant: candidates of the two packages liked now. Means over seeds {list(SEEDS)}
(the package pairs and listens differ per seed); every method sees the same
listens and candidates. "Ours" is one `train_cycle` (defaults of `[model]`:
{config.steps} steps, L2-SP {config.l2sp}, newest {config.holdout_fraction:.0%} of listened
tracks held out for evaluation) then `rescore`.

{_table(results, config)}

Default half-life: chosen from the sweep above. 7 and 14 days tie on ROC-AUC and
beat 21 days and longer; we take 14 days, the longer of the two, because this
listener's switch is abrupt and a real one drifts more slowly (a shorter half-life
also forgets a long-standing taste after a week away). Recency matters most:
without it our model is barely better than random here, because most listens are
of the old taste. Ours beats random, no recency, and the 30-day "sonic fingerprint"
on musicnn's 200-d embedding, but it does *not* beat the plain recency-weighted
centroid on z-scored 1506-d back-end inputs (our cold-start ranking): it starts
from that centroid direction in the 200-d penultimate space, and with ~50 candidates
and the newest listens held out for evaluation there is little left to learn.
Training also treats the candidates as weak negatives, which a high-capacity model
can memorise (the unit tests avoid that case on purpose); the regularisation
(L2-SP {config.l2sp}, {config.steps} steps) is what keeps it near the centroid.

One training cycle: {np.mean(t_train):.1f} s; rescoring the candidates: {np.mean(t_score):.2f} s
(mean over seeds, including SQLite reads and writes, on a loaded 2-core machine).
"""
    write_section("drift", section)
    return section


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    print(main())
