"""Deeper fine-tuning: musicnn's mid end fine-tuned with the back end on one listener's
labels, from kept log-mel patches, against the back end alone (the shipped body).

For each listener (kinds x seeds) and each scored day (every ``every``-th of the last
``days``, and the last), both bodies start from the pretrained network with the head
pointed at the positives' centroid (:func:`classifier.taste.fit.init_head`'s rule) and
train ``steps`` steps on the same balanced batches (the daemon's ``[model]`` settings:
listens weighted by a 7-day half-life and capped, 500 unlabelled candidates at weight
0.05, batch 64, L2-SP toward the pretrained weights, the mid end's included). Rows: each
body's content logit (mean patch probability), and the 7-day kernel similarity over the
track means of the features before and after the mid end was fine-tuned. The front end
stays frozen, so its output is computed once per corpus; the log-mel patches are cached
in ``bench/.cache/<cache_stem>_logmel.v1.npz``.

    .venv/bin/python -m bench.drift.deep --corpus a --seeds 0,1,2,3,4 --every 30 --json a.json
    .venv/bin/python -m bench.drift.deep --corpus a --timings --json timings.json

and :mod:`bench.drift.deep_report` writes the section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from bench.common import CACHE, timer
from bench.drift import rankers
from bench.drift.corpus import N_PATCHES, Corpus, build
from bench.drift.listeners import KINDS, Listener, simulate
from bench.drift.run import metrics
from classifier import ModelConfig
from classifier.audio import decode
from classifier.featurize import featurize_audio
from classifier.musicnn import load_musicnn
from classifier.musicnn.model import MidEnd, MusiCNN
from classifier.taste.model import TasteModel

BODY = "back end fine-tuned (the shipped body), content logit"
DEEP = "mid end and back end fine-tuned, content logit"
KERNEL_FROZEN = "kernel similarity, 7 d, over the pretrained features"
KERNEL_DEEP = "kernel similarity, 7 d, over the features of the fine-tuned mid end"
ROWS = {"shallow": BODY, "deep": DEEP, "kernel_frozen": KERNEL_FROZEN, "kernel_deep": KERNEL_DEEP}
"""Record key -> row name."""
CHUNK = 200  # patches per forward pass when scoring or re-embedding


@dataclasses.dataclass
class Inputs:
    """A corpus's frozen front-end output per patch and the pooled features it gives."""

    fronts: Tensor  # (N * P, 561, T)
    pooled: Tensor  # (N * P, 1506), the pretrained mid end's
    n: int
    p: int
    midend: MidEnd
    front_s: float  # seconds the front end took over every patch


def logmels(corpus: Corpus) -> np.ndarray:
    """``(N, P, 187, 96)`` float16 log-mel patches of the corpus's tracks (cached)."""
    path = CACHE / f"{corpus.spec.cache_stem}_logmel.v1.npz"
    if path.exists():
        return np.asarray(np.load(path)["mels"])
    mels = np.stack(
        [featurize_audio(decode(CACHE / p), N_PATCHES, name=p) for p in corpus.paths]
    ).astype(np.float16)
    np.savez(path, mels=mels)
    return mels


@torch.no_grad()
def inputs(corpus: Corpus, backbone: str) -> Inputs:
    """The front end's output of every patch of ``corpus``, and the pooled features."""
    mels = logmels(corpus)
    net = load_musicnn(backbone).eval()
    n, p = mels.shape[:2]
    with timer() as t:
        fronts = torch.cat([net.frontend(torch.from_numpy(m.astype(np.float32))) for m in mels])
    pooled = torch.cat(
        [MusiCNN.temporal_pool(net.midend(fronts[i * p : (i + 1) * p])) for i in range(n)]
    )
    return Inputs(fronts, pooled, n, p, net.midend, t[0])


class Tuned(nn.Module):
    """A copy of a pretrained part of musicnn fine-tuned ahead of the taste model: L2-SP
    pulls both toward their pretrained weights, and batch norm keeps its pretrained
    statistics while dropout trains."""

    def __init__(self, part: nn.Module, taste: TasteModel) -> None:
        super().__init__()
        self.part = copy.deepcopy(part)
        self.taste = taste
        self.anchor = [p.detach().clone() for p in self.part.parameters()]

    def l2sp(self) -> Tensor:
        """The taste model's pull plus the part's."""
        pulls = zip(self.part.parameters(), self.anchor, strict=True)
        return self.taste.l2sp() + sum((p - a).pow(2).sum() for p, a in pulls)

    def train(self, mode: bool = True) -> Tuned:
        """Dropout trains; batch norm keeps its pretrained statistics."""
        super().train(mode)
        self.part.eval()
        self.taste.train(mode)
        return self


class Deep(Tuned):
    """Front-end output ``(B, 561, T)`` -> taste logit: a copy of the mid end, pooled, then
    the taste model's body and head (``Deep(midend, taste)``)."""

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(B,)``."""
        out: Tensor = self.taste(MusiCNN.temporal_pool(self.part(x)))
        return out

    @torch.no_grad()
    def reembed(self, fronts: Tensor) -> Tensor:
        """The pooled features ``(N * P, 1506)`` the fine-tuned mid end makes."""
        return torch.cat(
            [
                MusiCNN.temporal_pool(self.part(fronts[i : i + CHUNK]))
                for i in range(0, len(fronts), CHUNK)
            ]
        )


@dataclasses.dataclass
class Labels:
    """The day's labelled set, the daemon's way: listened tracks and their capped recency
    weights, then the unlabelled candidates drawn as negatives."""

    pos: np.ndarray
    weights: np.ndarray
    neg: np.ndarray


def labels(h: rankers.History, n: int, seed: int, c: ModelConfig) -> Labels:
    """The labelled set of history ``h`` over a corpus of ``n`` tracks."""
    w = np.zeros(n)
    np.add.at(w, h.tracks, rankers.decay(h.ages_days, c.half_life_days))
    w = np.minimum(w, c.weight_cap)
    pos = np.flatnonzero(w > 0)
    size = min(c.unlabelled_sample, len(h.candidates))
    neg = np.sort(np.random.default_rng(seed).choice(h.candidates, size=size, replace=False))
    return Labels(pos, w[pos], neg)


@torch.no_grad()
def init_head(model: TasteModel, x: Inputs, lab: Labels, scale: float = 4.0) -> None:
    """Point the head at the positives' recency-weighted centroid of penultimate features,
    z-scored over the labelled tracks (as the daemon starts a fresh model)."""
    rows = np.concatenate([lab.pos, lab.neg])
    pen = torch.stack([model.penultimate(x.pooled[r * x.p : (r + 1) * x.p]).mean(0) for r in rows])
    mean, std = pen.mean(0), pen.std(0) + 1e-6
    wp = torch.tensor(lab.weights / lab.weights.max()).float()
    centroid = (wp[:, None] * (pen[: len(lab.pos)] - mean) / std).sum(0) / wp.sum()
    direction = centroid / (centroid.norm() + 1e-12)
    model.head.weight.copy_((scale * direction / std)[None, :] / np.sqrt(len(direction)))
    model.head.bias.fill_(float(-(model.head.weight[0] * mean).sum()))


def train(
    model: TasteModel | Deep,
    data: Tensor,
    p: int,
    lab: Labels,
    c: ModelConfig,
    seed: int,
    steps: int,
) -> None:
    """``steps`` steps of balanced batches (one random patch per drawn track) on ``data``,
    the patches of each track back to back, ``p`` a track."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    half = c.batch_size // 2
    ratio = min(1.0, len(lab.neg) * c.unlabelled_weight / lab.weights.sum())
    y = torch.cat([torch.ones(half), torch.zeros(half)])
    scale = torch.cat([torch.ones(half), torch.full((half,), ratio)]) / (1 + ratio)
    optimizer = torch.optim.Adam(model.parameters(), lr=c.learning_rate)
    wp = torch.tensor(lab.weights / lab.weights.max())
    model.train()
    for _ in range(steps):
        tp = torch.from_numpy(lab.pos)[torch.multinomial(wp, half, replacement=True, generator=gen)]
        tn = torch.from_numpy(lab.neg)[torch.randint(len(lab.neg), (half,), generator=gen)]
        rows = torch.cat([tp, tn]) * p + torch.randint(p, (2 * half,), generator=gen)
        bce = F.binary_cross_entropy_with_logits(model(data[rows]), y, reduction="none")
        loss = 2 * (scale * bce).mean() + c.l2sp * model.l2sp()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()


@torch.no_grad()
def track_scores(model: TasteModel | Deep, data: Tensor, n: int, p: int) -> np.ndarray:
    """Mean patch probability per track."""
    probs = [
        torch.sigmoid(model(data[i : i + p * 20]).double()) for i in range(0, len(data), p * 20)
    ]
    return torch.cat(probs).reshape(n, p).mean(1).numpy()


def kernel(pooled: Tensor, x: Inputs, h: rankers.History) -> np.ndarray:
    """The 7-day kernel similarity of the candidates over z-scored track means."""
    raw = pooled.numpy().reshape(x.n, x.p, -1).mean(1)
    z = (raw - raw.mean(0)) / (raw.std(0) + 1e-6)
    unit = z / np.linalg.norm(z, axis=1, keepdims=True)
    sim = unit[h.candidates] @ unit[h.tracks].T
    return np.asarray((np.exp((sim - 1) / 0.2) * rankers.decay(h.ages_days, 7.0)[None, :]).sum(1))


def day_record(x: Inputs, listener: Listener, day: int, steps: int) -> dict[str, Any]:
    """Every row's (P@20, ROC-AUC) on ``day``, and the seconds each body took."""
    c = ModelConfig()
    h = rankers.history(listener, day)
    lab = labels(h, x.n, listener.seed * 1000 + day, c)
    out: dict[str, Any] = {"kind": listener.kind.name, "seed": listener.seed, "day": day}
    out["last"] = day == listener.days - 1
    with timer() as t:
        shallow = TasteModel.pretrained(c.backbone)
        init_head(shallow, x, lab)
        train(shallow, x.pooled, x.p, lab, c, listener.seed, steps)
        out["shallow"] = metrics(
            track_scores(shallow, x.pooled, x.n, x.p)[h.candidates], h.relevant
        )
    out["shallow_s"] = t[0]
    with timer() as t:
        taste = TasteModel.pretrained(c.backbone)
        init_head(taste, x, lab)
        deep = Deep(x.midend, taste)
        train(deep, x.fronts, x.p, lab, c, listener.seed, steps)
        out["deep"] = metrics(track_scores(deep, x.fronts, x.n, x.p)[h.candidates], h.relevant)
    out["deep_s"] = t[0]
    with timer() as t:
        refit = deep.reembed(x.fronts)
    out["reembed_s"] = t[0]
    out["kernel_frozen"] = metrics(kernel(x.pooled, x, h), h.relevant)
    out["kernel_deep"] = metrics(kernel(refit, x, h), h.relevant)
    return out


def scored_days(listener: Listener, days: int, every: int) -> list[int]:
    """Every ``every``-th of the last ``days`` days, and the last."""
    out = list(range(listener.days - days, listener.days, every))
    return out if out[-1] == listener.days - 1 else [*out, listener.days - 1]


def run(
    corpus: Corpus, seeds: list[int], days: int, every: int, steps: int
) -> list[dict[str, Any]]:
    """The records of every kind and seed of ``corpus``."""
    x = inputs(corpus, ModelConfig().backbone)
    records = []
    for kind in KINDS:
        for seed in seeds:
            listener = simulate(KINDS[kind], corpus.labels, seed)
            for day in scored_days(listener, days, every):
                records.append(day_record(x, listener, day, steps))
                print(json.dumps(records[-1]), flush=True)
    return records


def timings(corpus: Corpus, steps: int) -> dict[str, float]:
    """Seconds of one listener's last day (kind switch, seed 0), for a quiet machine."""
    x = inputs(corpus, ModelConfig().backbone)
    listener = simulate(KINDS["switch"], corpus.labels, 0)
    record = day_record(x, listener, listener.days - 1, steps)
    costs = {k: record[k] for k in ("shallow_s", "deep_s", "reembed_s")}
    return {**costs, "steps": steps, "tracks": x.n, "front_s_per_track": x.front_s / x.n}


Run = Callable[[Corpus, list[int], int, int, int], list[dict[str, Any]]]
"""A study's run: (corpus, seeds, days, every, steps) -> its records."""
Timings = Callable[[Corpus, int], dict[str, float]]
"""A study's costs on one listener-day: (corpus, steps) -> seconds by name."""


def cli(argv: list[str] | None, module: str, doc: str, study: Run, costs: Timings) -> int:
    """``python -m <module>``: run one corpus and write its records (or with
    ``--timings`` its costs) as JSON."""
    p = argparse.ArgumentParser(prog=f"python -m {module}", description=doc.split("\n")[0])
    p.add_argument("--corpus", default="a")
    p.add_argument("--seeds", default="0,1,2,3,4")
    p.add_argument("--days", type=int, default=60)
    p.add_argument("--every", type=int, default=30)
    p.add_argument("--steps", type=int, default=ModelConfig().steps)
    p.add_argument("--json", type=Path, required=True)
    p.add_argument("--timings", action="store_true", help="time one listener-day instead")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    corpus = build(args.corpus)
    if args.timings:
        args.json.write_text(json.dumps(costs(corpus, args.steps)))
        return 0
    seeds = [int(s) for s in args.seeds.split(",") if s]
    records = study(corpus, seeds, args.days, args.every, args.steps)
    run_of = {"corpus": args.corpus, "steps": args.steps, "days": args.days, "every": args.every}
    args.json.write_text(json.dumps({**run_of, "records": records}))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one corpus and write its records (or with ``--timings`` its costs) as JSON."""
    return cli(argv, "bench.drift.deep", __doc__ or "", run, timings)


if __name__ == "__main__":
    sys.exit(main())
