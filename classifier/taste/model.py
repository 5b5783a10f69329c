"""The personal taste model: musicnn's back end, fine-tuned, and a head that ranks.

Two parts, trained in turn each cycle. The body scores what a track sounds
like: musicnn's back end fine-tuned, with a one-unit head, on what was listened
to against unlabelled candidates (its "content" logit). The ranking head
(:attr:`TasteModel.mix`) then weighs that logit together with the track's
similarity to the listener's history at several time scales
(:mod:`classifier.taste.kernel`), trained to put what was listened to next
above the candidates (:mod:`classifier.taste.mix`). The head starts at
:data:`HEAD_START`: the 7-day kernel similarity plus the nearest neighbours, less
half the 120-day kernel and half the kernel over every listen alike (in units of
their spread over the candidates), and is pulled back toward that (L2-SP again), so
a few labels cannot wreck it and more labels teach it which time scales and signals
matter. The long terms are a contrast: what sounds like tracks played long ago and
not lately is what the listener moved away from, so of two tracks as close to the
recent listens, the one nearer the abandoned ones ranks lower. Each cycle scales
the contrast by how far the listener's taste moved (:mod:`classifier.taste.moved`),
and the regression of heard tracks against candidates (:mod:`classifier.taste.heard`,
fit on the whole history) the other way: a steady listener's start is recent
similarity, the nearest neighbours and that regression, a moved one's the contrast.

Transfer learning with an explicit inductive bias toward the starting point
(L2-SP; Li, Grandvalet, Davoine, "Explicit inductive bias for transfer
learning with convolutional networks", ICML 2018): the trainable body is a
copy of musicnn's back end (batch norm over the 1506 pooled mid-end features,
dense 1506 -> 200 + ReLU, batch norm) initialised from the pretrained
weights, and the loss adds ``l2sp * ||theta - theta_pretrained||^2`` so a few
hundred labels cannot wreck it. The personal head (200 -> 1) starts at zero.

Batch-norm running statistics stay frozen at musicnn's (the layers act as
fixed affine maps whose scale and shift are trained): a few hundred tracks
are too few to re-estimate them, and it keeps scoring independent of batches.
"""

from __future__ import annotations

import logging
from functools import cache

import numpy as np
import torch
from torch import Tensor, nn

from classifier.musicnn.blocks import batch_norm_1d
from classifier.musicnn.model import POOLED_DIM, BackEnd
from classifier.musicnn.weights import load_musicnn
from classifier.taste.features import Adapter
from classifier.taste.heard import FOLDS, HeardFit
from classifier.taste.kernel import ALL_TIME, LONG, N_KERNEL, NEAREST, SIMILARITY

__all__ = [
    "ANCHORED",
    "ARTIST",
    "CONTRAST",
    "HEAD_START",
    "HEARD",
    "N_MIX",
    "STEADY_TERMS",
    "TasteModel",
    "head_start",
    "pretrained_backend",
]

logger = logging.getLogger(__name__)

ANCHORED = (
    "bn_in.weight",
    "bn_in.bias",
    "dense.weight",
    "dense.bias",
    "bn_dense.weight",
    "bn_dense.bias",
)
"""The back-end parameters pulled toward their pretrained values."""

ARTIST = N_KERNEL
"""The column of the artist signal (:mod:`classifier.taste.artists`)."""
HEARD = N_KERNEL + 1
"""The column of the regression of heard tracks against candidates
(:mod:`classifier.taste.heard`)."""
N_MIX = N_KERNEL + 3
"""Inputs of the ranking head: the kernel features, the artist signal, the heard
regression, then the content logit."""
HEAD_START = {
    SIMILARITY: 1.0,
    NEAREST: 1.0,
    LONG: -0.5,
    ALL_TIME: -0.5,
    ARTIST: 0.5,
    HEARD: 1.0,
}
"""The ranking head's start and L2-SP anchor: weights of its standardised inputs (the
rest 0). Measured on the drift bench (bench/RESULTS.md): the all-time contrast at
-0.5 lifts switching, sliding and noisy listeners more than it costs a steady one, and
the 120-day one at -0.5 more again (tuning seeds 5-9, the start alone with plays
uncapped, four-kind means:
corpus A +0.025 / +0.023 P@20 / ROC-AUC on the last day, +0.026 / +0.026 along the way;
B and C +0.001 to +0.024, none lower)."""


CONTRAST = (LONG, ALL_TIME)
"""The columns of the start's contrast, scaled by how far taste moved
(:mod:`classifier.taste.moved`)."""
STEADY_TERMS = (HEARD,)
"""The columns of the start scaled by how little taste moved (1 less the contrast's
share): the heard regression, fit on the whole history."""


def head_start(contrast: float = 1.0) -> Tensor:
    """The (1, N_MIX) weights :data:`HEAD_START` describes, its :data:`CONTRAST` terms
    times ``contrast`` and its :data:`STEADY_TERMS` times ``1 - contrast``."""
    shares = {column: contrast for column in CONTRAST}
    shares |= {column: 1.0 - contrast for column in STEADY_TERMS}
    start = torch.zeros(1, N_MIX)
    for column, weight in HEAD_START.items():
        start[0, column] = weight * shares.get(column, 1.0)
    return start


@cache
def pretrained_backend(backbone: str) -> BackEnd:
    """musicnn's pretrained back end, loaded once per process (callers copy it)."""
    return load_musicnn(backbone).backend


def _anchor_name(param: str) -> str:
    return "anchor_" + param.replace(".", "_")


class TasteModel(nn.Module):
    """Pooled patch features ``(B, 1506)`` -> taste logit ``(B,)``.

    Build it with :meth:`from_backend` (pretrained musicnn back end); a bare
    instance has random weights and anchors equal to them.
    """

    def __init__(
        self,
        *,
        in_features: int = POOLED_DIM,
        units: int = 200,
        dropout: float = 0.5,
        adapter_units: int = 0,
    ) -> None:
        super().__init__()
        self.bn_in = batch_norm_1d(in_features)
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(in_features, units)
        self.bn_dense = batch_norm_1d(units)
        self.head = nn.Linear(units, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        for name in ANCHORED:
            self.register_buffer(_anchor_name(name), self.get_parameter(name).detach().clone())
        self.mix = nn.Linear(N_MIX, 1, bias=False)
        start = head_start()
        self.mix.weight.data.copy_(start)
        self.register_buffer("mix_anchor", start.clone())
        # standardisation of the head's inputs, and the space kernels are measured in
        self.register_buffer("mix_mean", torch.zeros(N_MIX))
        self.register_buffer("mix_std", torch.ones(N_MIX))
        # the back end adapted to the library (:mod:`classifier.taste.adapter`), folded:
        # a second view of every patch, ``relu(x @ adapter_weight.T + adapter_bias)``
        self.register_buffer("adapter_weight", torch.zeros(adapter_units, in_features))
        self.register_buffer("adapter_bias", torch.zeros(adapter_units))
        self.register_buffer("adapter_tracks", torch.zeros(()))  # the library it was fit on
        width = 2 * (in_features + adapter_units)  # profiles': patch means and spreads
        self.register_buffer("space_mean", torch.zeros(width))
        self.register_buffer("space_std", torch.ones(width))
        # the heard regression (:mod:`classifier.taste.heard`): its tracks, their unit
        # profiles in the space above and each fold's dual coefficients
        self.register_buffer("heard_ids", torch.zeros(0, dtype=torch.int64))
        self.register_buffer("heard_units", torch.zeros(0, 0))
        self.register_buffer("heard_coef", torch.zeros(FOLDS, 0, dtype=torch.float64))

    @classmethod
    def from_backend(cls, backend: BackEnd, *, dropout: float = 0.5) -> TasteModel:
        """A taste model whose body (and L2-SP anchor) is a copy of ``backend``."""
        model = cls(
            in_features=backend.dense.in_features, units=backend.dense.out_features, dropout=dropout
        )
        for part in ("bn_in", "dense", "bn_dense"):
            getattr(model, part).load_state_dict(getattr(backend, part).state_dict())
        model.reset_anchors()
        return model.eval()

    @classmethod
    def pretrained(cls, backbone: str = "MSD_musicnn", *, dropout: float = 0.5) -> TasteModel:
        """A fresh taste model on the pretrained back end of ``backbone``."""
        return cls.from_backend(pretrained_backend(backbone), dropout=dropout)

    def reset_anchors(self) -> None:
        """Make the current body weights the L2-SP anchor."""
        for name in ANCHORED:
            self.get_buffer(_anchor_name(name)).copy_(self.get_parameter(name).detach())

    def adapter(self) -> Adapter | None:
        """The adapted back end the track profiles include, if any."""
        weight = self.get_buffer("adapter_weight")
        return Adapter(weight, self.get_buffer("adapter_bias")) if len(weight) else None

    def set_adapter(self, adapter: Adapter | None, tracks: int) -> None:
        """Profile tracks with ``adapter`` too (None: patch means and spreads alone), fit on
        a library of ``tracks``; the similarity space is to be set again."""
        dim = self.dense.in_features
        weight = adapter.weight if adapter else torch.zeros(0, dim)
        self.adapter_weight = weight.detach().clone()
        self.adapter_bias = adapter.bias.detach().clone() if adapter else torch.zeros(0)
        self.adapter_tracks = torch.tensor(float(tracks) if adapter else 0.0)
        width = 2 * (dim + len(weight))
        self.space_mean, self.space_std = torch.zeros(width), torch.ones(width)
        self.set_heard(HeardFit.none())

    def heard(self) -> HeardFit:
        """The heard regression the model ranks with (none: it reads 0)."""
        ids, units = self.get_buffer("heard_ids"), self.get_buffer("heard_units")
        return HeardFit(ids.numpy(), units.numpy(), self.get_buffer("heard_coef").numpy())

    def set_heard(self, fit: HeardFit) -> None:
        """Rank with the heard regression ``fit`` (its profiles in the model's space)."""
        self.heard_ids = torch.from_numpy(np.asarray(fit.ids, np.int64)).clone()
        self.heard_units = torch.from_numpy(np.asarray(fit.units, np.float32)).clone()
        self.heard_coef = torch.from_numpy(np.asarray(fit.coef, np.float64)).clone()

    def parts(self) -> tuple[int, ...]:
        """Widths of the profile's parts: the features', then the adapter's."""
        adapter = self.adapter()
        dim = self.dense.in_features
        return (dim, adapter.units) if adapter else (dim,)

    def train(self, mode: bool = True) -> TasteModel:
        """Training mode for dropout; batch norm always uses its frozen running statistics."""
        super().train(mode)
        self.bn_in.eval()
        self.bn_dense.eval()
        return self

    def penultimate(self, pooled: Tensor) -> Tensor:
        """The 200-d penultimate features of ``pooled`` (B, 1506)."""
        x = self.dropout(self.bn_in(pooled))
        out: Tensor = self.bn_dense(torch.relu(self.dense(x)))
        return out

    def forward(self, pooled: Tensor) -> Tensor:
        """Logits ``(B,)``; ``sigmoid`` gives the probability that the patch is to taste."""
        logits: Tensor = self.head(self.penultimate(pooled)).squeeze(-1)
        return logits

    def l2sp(self) -> Tensor:
        """``sum ||theta - theta_pretrained||^2`` over the anchored back-end parameters."""
        terms = [
            (self.get_parameter(n) - self.get_buffer(_anchor_name(n))).pow(2).sum()
            for n in ANCHORED
        ]
        return torch.stack(terms).sum()

    def mix_l2sp(self) -> Tensor:
        """``||w - w_start||^2``: the ranking head's pull toward its starting point."""
        return (self.mix.weight - self.get_buffer("mix_anchor")).pow(2).sum()

    def rank(self, inputs: Tensor) -> Tensor:
        """Ranking logits ``(N,)`` of raw head inputs ``(N, N_MIX)``."""
        z = (inputs - self.get_buffer("mix_mean")) / self.get_buffer("mix_std")
        out: Tensor = self.mix(z).squeeze(-1)
        return out

    @torch.no_grad()
    def track_scores(self, features: Tensor, n_patches: Tensor) -> Tensor:
        """Mean patch probability per track.

        ``features`` (sum(n_patches), 1506) holds the tracks' patches back to
        back; ``n_patches`` (T,) says how many belong to each track.
        """
        was_training = self.training
        self.eval()
        # float64: a confident model must not tie its top tracks at exactly 1.0
        probs = torch.sigmoid(self(features.float()).double())
        self.train(was_training)
        index = torch.repeat_interleave(torch.arange(len(n_patches)), n_patches)
        sums = torch.zeros(len(n_patches), dtype=torch.float64).index_add_(0, index, probs)
        return sums / n_patches.clamp(min=1)
