"""The cheaper deeper fine-tuning: only the mid end's last layer, with the back end.

:mod:`bench.drift.deep` fine-tunes the whole mid end from the front end's output, which
would keep 350.6 KiB of log-mel patches a track. The last layer's input is the second
layer's output, 64 channels x 187 frames: 23.4 KiB a patch in float16. Its output is
64 of the 753 pooled channels; the rest stay the pretrained network's, so the store
keeps today's pooled features and only this layer's input. Two rows: every patch of a
track kept (what the layer can give), and one patch a track (what fits beside today's
31.4 KiB under 60 KB), trained and scored on that patch alone. Both train as
:func:`bench.drift.deep.train` does, on the same listeners, days and batches.

    .venv/bin/python -m bench.drift.last_layer --corpus a --seeds 0,1,2,3,4 --json a.json

Its records join :mod:`bench.drift.deep`'s in :mod:`bench.drift.deep_report`.
"""

from __future__ import annotations

import json
import sys
from typing import Any, cast

import torch
from torch import Tensor

from bench.common import timer
from bench.drift import deep, rankers
from bench.drift.corpus import Corpus
from bench.drift.deep import Inputs, Tuned, init_head, labels, scored_days, track_scores, train
from bench.drift.listeners import KINDS, Listener, simulate
from bench.drift.run import metrics
from classifier import ModelConfig
from classifier.musicnn.blocks import MidEndConv
from classifier.musicnn.model import MidEnd, MusiCNN
from classifier.taste.model import TasteModel

LAST = "mid end's last layer and back end fine-tuned, every patch kept, content logit"
LAST_ONE = "mid end's last layer and back end fine-tuned, one patch a track kept, content logit"
ROWS = {"last_layer": LAST, "last_layer1": LAST_ONE}
"""Record key -> row name."""


class Kept:
    """What the store would keep per patch: the last layer's input (float16) and the
    pretrained pooled features; indexing picks patches of both."""

    def __init__(self, hidden: Tensor, pooled: Tensor) -> None:
        self.hidden, self.pooled = hidden, pooled

    def __len__(self) -> int:
        return len(self.pooled)

    def __getitem__(self, rows: Tensor | slice) -> Kept:
        return Kept(self.hidden[rows], self.pooled[rows])

    def patch(self, p: int, which: int) -> Kept:
        """Only patch ``which`` of each track (``p`` a track)."""
        return self[torch.arange(which, len(self), p)]


@torch.no_grad()
def kept(x: Inputs) -> Kept:
    """The last layer's input of every patch of the corpus, stored as float16."""
    layers = x.midend.layers
    chunks = []
    for i in range(0, len(x.fronts), deep.CHUNK):
        h = x.fronts[i : i + deep.CHUNK]
        for layer in layers[:-1]:
            h = layer(h)
        chunks.append(h.half().float())
    return Kept(torch.cat(chunks), x.pooled)


class Last(Tuned):
    """Kept patches -> taste logit: the last mid-end layer (a trained copy) makes its 64
    channels again, pooled into their place among the pretrained pooled features."""

    def __init__(self, midend: MidEnd, taste: TasteModel) -> None:
        last = cast(MidEndConv, midend.layers[-1])
        super().__init__(last, taste)
        channels, filters = midend.out_channels, int(last.conv.out_channels)
        own = torch.arange(channels - filters, channels)
        self.own: Tensor
        self.register_buffer("own", torch.cat([own, own + channels]))

    def forward(self, x: Kept) -> Tensor:
        """Logits ``(B,)``."""
        pooled = x.pooled.clone()
        pooled[:, self.own] = MusiCNN.temporal_pool(self.part(x.hidden))
        out: Tensor = self.taste(pooled)
        return out


def fitted(x: Inputs, data: Kept, p: int, lab: deep.Labels, seed: int, steps: int) -> Last:
    """A fresh last layer and body trained on ``data`` (``p`` patches a track)."""
    c = ModelConfig()
    taste = TasteModel.pretrained(c.backbone)
    init_head(taste, x, lab)
    model = Last(x.midend, taste)
    train(model, data, p, lab, c, seed, steps)  # type: ignore[arg-type]
    return model


def day_record(x: Inputs, data: Kept, listener: Listener, day: int, steps: int) -> dict[str, Any]:
    """Both rows' (P@20, ROC-AUC) on ``day``, with the seconds each took."""
    h = rankers.history(listener, day)
    lab = labels(h, x.n, listener.seed * 1000 + day, ModelConfig())
    out: dict[str, Any] = {"kind": listener.kind.name, "seed": listener.seed, "day": day}
    out["last"] = day == listener.days - 1
    one = data.patch(x.p, x.p // 2)
    for key, kept_data, p in (("last_layer", data, x.p), ("last_layer1", one, 1)):
        with timer() as t:
            model = fitted(x, kept_data, p, lab, listener.seed, steps)
        out[f"{key}_s"] = t[0]
        with timer() as t:
            scores = track_scores(model, kept_data, x.n, p)  # type: ignore[arg-type]
        out[f"{key}_score_s"] = t[0]
        out[key] = metrics(scores[h.candidates], h.relevant)
    return out


def run(
    corpus: Corpus, seeds: list[int], days: int, every: int, steps: int
) -> list[dict[str, Any]]:
    """The records of every kind and seed of ``corpus``."""
    x = deep.inputs(corpus, ModelConfig().backbone)
    data = kept(x)
    records = []
    for kind in KINDS:
        for seed in seeds:
            listener = simulate(KINDS[kind], corpus.labels, seed)
            for day in scored_days(listener, days, every):
                records.append(day_record(x, data, listener, day, steps))
                print(json.dumps(records[-1]), flush=True)
    return records


def timings(corpus: Corpus, steps: int) -> dict[str, float]:
    """Seconds of one listener's last day (kind switch, seed 0), for a quiet machine."""
    x = deep.inputs(corpus, ModelConfig().backbone)
    data = kept(x)
    listener = simulate(KINDS["switch"], corpus.labels, 0)
    record = day_record(x, data, listener, listener.days - 1, steps)
    keys = ("last_layer_s", "last_layer_score_s", "last_layer1_s", "last_layer1_score_s")
    return {**{k: record[k] for k in keys}, "last_tracks": x.n}


def main(argv: list[str] | None = None) -> int:
    """Run one corpus and write its records (or with ``--timings`` its costs) as JSON."""
    return deep.cli(argv, "bench.drift.last_layer", __doc__ or "", run, timings)


if __name__ == "__main__":
    sys.exit(main())
