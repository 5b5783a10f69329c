"""The back end adapted to the listener's library, self-supervised: a second view of every track.

No labels: two different patches of one track are a positive pair, every other track
of the batch a negative (SimCLR's NT-Xent loss: Chen, Kornblith, Norouzi, Hinton, "A
simple framework for contrastive learning of visual representations", ICML 2020). The
encoder is a copy of the pretrained back end's first half (batch norm, dense 1506 ->
200, ReLU, batch norm), the batch norms kept at musicnn's statistics; a small
projection (200 -> 128) carries the loss and is dropped afterwards. Track profiles
then take the mean and spread of the adapted layer's output beside those of the
features (:mod:`classifier.taste.features`), so similarity (and the ranking head
built on it) measures what tells this library's tracks apart. It learns from the
stored features of the tracks a training cycle reads (the labelled ones and a sample
of candidates): nothing is fetched or analysed again.

The drift bench's representation study chose it (bench/RESULTS.md): over today's
features alone it lifted the 7-day kernel's P@20 along the way by about 0.01 on
each of three corpora, at no analysis or storage cost. Adapting takes about 1.5 s
(``[model] adapt_steps``, 300 steps, on two cores); it is done again when the library
has grown by :data:`GROWTH` since (the champion's adapter is kept until then), and not
before the library holds :data:`MIN_LIBRARY` tracks.
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from classifier.taste.features import Adapter, Features
from classifier.taste.folded import batch_norm_affine
from classifier.taste.model import TasteModel, pretrained_backend

__all__ = ["GROWTH", "MIN_LIBRARY", "adapt", "refresh_adapter", "same_view"]

logger = logging.getLogger(__name__)

GROWTH = 1.25
"""The library grown by this factor since the adapter was fit: adapt it again."""
MIN_LIBRARY = 50
"""Tracks with features needed before adapting: with fewer, a batch holds too few other
tracks for the contrast to teach anything but those tracks."""
BATCH = 128
"""Tracks a step, each giving two patches."""
TEMPERATURE = 0.1
PROJECTION = 128
LEARNING_RATE = 1e-3


class _Encoder(nn.Module):
    """The pretrained back end's first half (batch norm, dense layer, ReLU, batch norm), the
    batch norms' statistics kept at musicnn's."""

    def __init__(self, backbone: str) -> None:
        super().__init__()
        backend = pretrained_backend(backbone)
        self.bn_in: nn.BatchNorm1d = copy.deepcopy(backend.bn_in)
        self.dense: nn.Linear = copy.deepcopy(backend.dense)
        self.bn_dense: nn.BatchNorm1d = copy.deepcopy(backend.bn_dense)

    def forward(self, patches: Tensor) -> Tensor:
        """``patches`` (B, D) -> (B, A)."""
        out: Tensor = self.bn_dense(torch.relu(self.dense(self.bn_in(patches))))
        return out

    def train(self, mode: bool = True) -> _Encoder:
        """Train the weights only: the batch norms keep their statistics."""
        super().train(mode)
        self.bn_in.eval()
        self.bn_dense.eval()
        return self

    def folded(self) -> Adapter:
        """The encoder as one affine layer and ReLU: the first batch norm folded in, the
        last left out (an affine map per unit, which z-scoring profiles undoes)."""
        with torch.no_grad():
            scale, shift = batch_norm_affine(self.bn_in)
            w = self.dense.weight.double()
            return Adapter((w * scale).float(), (self.dense.bias.double() + w @ shift).float())


def _nt_xent(a: Tensor, b: Tensor) -> Tensor:
    """NT-Xent of two views ``a``, ``b`` (B, P): row i of each is the other's positive."""
    z = F.normalize(torch.cat([a, b]), dim=1)
    logits = z @ z.T / TEMPERATURE
    logits.fill_diagonal_(-torch.inf)
    n = len(a)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(logits, target)


def _views(feats: Features, rows: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
    """Two different random patches of each track at ``rows`` (each has two or more)."""
    n = feats.n_patches[rows]
    first = (torch.rand(len(rows), generator=gen) * n).long()
    other = 1 + (torch.rand(len(rows), generator=gen) * (n - 1)).long()
    second = (first + other) % n
    start = feats.offsets[rows]
    return feats.data[start + first], feats.data[start + second]


def adapt(feats: Features, backbone: str, *, steps: int, seed: int) -> Adapter:
    """The back end of ``backbone`` adapted on the tracks of ``feats`` (those with two or
    more patches), ``steps`` steps, deterministically for ``seed``."""
    rows = torch.from_numpy(np.flatnonzero(feats.n_patches.numpy() >= 2))
    encoder = _Encoder(backbone)
    projection = nn.Linear(encoder.dense.out_features, PROJECTION)
    params = [*encoder.parameters(), *projection.parameters()]
    optimiser = torch.optim.Adam(params, lr=LEARNING_RATE)
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        projection.reset_parameters()
        encoder.train()
        for _ in range(steps if len(rows) >= 2 else 0):
            pick = rows[torch.randperm(len(rows), generator=gen)[:BATCH]]
            first, second = _views(feats, pick, gen)
            loss = _nt_xent(projection(encoder(first)), projection(encoder(second)))
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
    return encoder.eval().folded()


def refresh_adapter(
    model: TasteModel, feats: Features, library: int, backbone: str, *, steps: int, seed: int
) -> bool:
    """Adapt ``model``'s view of the library anew when it has none or the ``library``
    (tracks with features) grew by :data:`GROWTH` since, once it holds
    :data:`MIN_LIBRARY` tracks; with ``steps`` 0, drop it. Whether it changed."""
    if steps == 0:
        changed = model.adapter() is not None
        if changed:
            model.set_adapter(None, 0)
        return changed
    fit_on = float(model.get_buffer("adapter_tracks"))
    if library < MIN_LIBRARY or (model.adapter() is not None and library < GROWTH * fit_on):
        return False
    model.set_adapter(adapt(feats, backbone, steps=steps, seed=seed), library)
    logger.info("the back end adapted to a library of %d tracks (%d steps)", library, steps)
    return True


def same_view(a: TasteModel | None, b: TasteModel | None) -> bool:
    """Whether ``a`` and ``b`` profile tracks alike (the same adapter, or none; no model has
    none)."""
    first = a.adapter() if a is not None else None
    second = b.adapter() if b is not None else None
    if first is None or second is None:
        return first is None and second is None
    return first.same(second)
