"""The representation study's self-supervised rows: musicnn's back end adapted on a
corpus's cached features, as the daemon adapts it (:mod:`classifier.taste.adapter`).

No labels: two different patches of one track are a positive pair, every other track
of the batch a negative (NT-Xent). The adapted features are the adapted layer's 200
values per patch, as cheap to compute and store as the back end's penultimate layer.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from bench.common import timer
from bench.drift.checkpoints import TODAY
from bench.drift.corpus import Corpus
from bench.drift.rankers import penultimate
from bench.drift.representations import TODAYS, Study, representation, study
from bench.drift.run import Settings
from classifier import ModelConfig
from classifier.taste.adapter import BATCH, adapt
from classifier.taste.features import pack_features

ADAPTED = f"{TODAY}/adapted"
PENULTIMATE = f"{TODAY}/penultimate"
RESEEDED = f"{TODAY}/adapted-seed1"
ROWS = (
    representation(TODAYS, TODAY),
    representation("MSD_musicnn penultimate, 200-d (the back end unadapted)", PENULTIMATE),
    representation("MSD_musicnn back end adapted self-supervised, 200-d", ADAPTED),
    representation("today's + the adapted back end", TODAY, ADAPTED),
    representation("same, adapted again from another seed", TODAY, RESEEDED),
)


@dataclasses.dataclass(frozen=True)
class Adaptation:
    """The contrastive run's settings (the daemon's ``[model] adapt_steps``)."""

    steps: int = ModelConfig().adapt_steps
    seed: int = 0


def adapted(features: np.ndarray, a: Adaptation = Adaptation()) -> tuple[np.ndarray, float]:
    """The adapted per-patch features (N, P, 200) of ``features`` (N, P, 1506), trained
    on all of them, and the training seconds."""
    n, p, d = features.shape
    feats = pack_features(np.arange(n), list(features.astype(np.float32)))
    with timer() as t:
        adapter = adapt(feats, ModelConfig().backbone, steps=a.steps, seed=a.seed)
    out = adapter.encode(torch.from_numpy(features.astype(np.float32).reshape(n * p, d)))
    return out.numpy().reshape(n, p, -1), t[0]


def with_adapted(corpus: Corpus, outputs: dict[str, np.ndarray], s: Settings) -> Study:
    """The study's self-supervised rows on ``corpus``: today's features, the pretrained
    back end's penultimate layer, the back end adapted on every track of the corpus, and
    today's features with the adapted ones appended (and the same from a second seed, to
    see how much the adaptation's own randomness moves the numbers)."""
    a = Adaptation()
    mine, seconds = adapted(outputs[TODAY], a)
    reseeded, _ = adapted(outputs[TODAY], dataclasses.replace(a, seed=1))
    data = {**outputs, ADAPTED: mine, RESEEDED: reseeded}
    x = study(corpus, data | {PENULTIMATE: penultimate(outputs[TODAY])}, s, ROWS)
    batch = min(BATCH, len(corpus.paths))
    for rep in ROWS[2:]:
        x.stored[rep.name] = x.stored[TODAYS]  # the back-end input stays, to adapt again
        x.extra[rep.name] = (
            f"adaptation trained {seconds:.1f} s ({a.steps} steps of {batch} tracks, torch "
            f"on {s.threads} thread(s)) on all {len(corpus.paths)} tracks, no labels; stored: "
            "today's back-end input, kept to adapt again"
        )
    return x
