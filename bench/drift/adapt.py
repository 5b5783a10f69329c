"""Self-supervised adaptation of musicnn's back end on a corpus's cached features.

No labels: two different patches of one track are a positive pair, every other track
of the batch a negative (SimCLR's NT-Xent loss: Chen, Kornblith, Norouzi, Hinton, "A
simple framework for contrastive learning of visual representations", ICML 2020). The
encoder is the pretrained back end's first half (batch norm, dense 1506 -> 200, ReLU,
batch norm: the "penultimate" features), its batch norms kept at their statistics; a
small projection (200 -> 128) carries the loss and is dropped afterwards. The adapted
features are the encoder's 200 values per patch, as cheap to compute and store as the
back end's penultimate layer.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from bench.common import timer
from bench.drift.checkpoints import TODAY
from bench.drift.corpus import Corpus
from bench.drift.representations import TODAYS, Study, representation, study
from bench.drift.run import Settings
from classifier import load_musicnn

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
    """The contrastive run's settings."""

    steps: int = 300
    batch: int = 128  # tracks a step (each gives two patches)
    lr: float = 1e-3
    temperature: float = 0.1
    projection: int = 128
    seed: int = 0


class Encoder(nn.Module):
    """The pretrained back end up to its penultimate layer, batch norms frozen."""

    def __init__(self, model: str = "MSD_musicnn") -> None:
        super().__init__()
        backend = load_musicnn(model).backend
        self.bn_in, self.dense, self.bn_dense = backend.bn_in, backend.dense, backend.bn_dense

    def forward(self, pooled: Tensor) -> Tensor:
        """``pooled`` (B, 1506) -> (B, 200)."""
        out: Tensor = self.bn_dense(torch.relu(self.dense(self.bn_in(pooled))))
        return out

    def train(self, mode: bool = True) -> Encoder:
        """Train the weights only: the batch norms keep their pretrained statistics."""
        super().train(mode)
        self.bn_in.eval()
        self.bn_dense.eval()
        return self


def nt_xent(a: Tensor, b: Tensor, temperature: float) -> Tensor:
    """NT-Xent of two views ``a``, ``b`` (B, D): row i of each is the other's positive."""
    z = F.normalize(torch.cat([a, b]), dim=1)
    logits = z @ z.T / temperature
    logits.fill_diagonal_(-torch.inf)
    n = len(a)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(logits, target)


def _views(x: Tensor, batch: int, rng: np.random.Generator) -> tuple[Tensor, Tensor]:
    """Two different patches of each of ``batch`` random tracks of ``x`` (N, P, D)."""
    n, p, _ = x.shape
    tracks = torch.from_numpy(rng.choice(n, size=min(batch, n), replace=False))
    first = rng.integers(0, p, size=len(tracks))
    second = (first + rng.integers(1, p, size=len(tracks))) % p
    return x[tracks, torch.from_numpy(first)], x[tracks, torch.from_numpy(second)]


def adapt(features: np.ndarray, a: Adaptation = Adaptation()) -> tuple[np.ndarray, float]:
    """The adapted per-patch features (N, P, 200) of ``features`` (N, P, 1506), trained
    on all of them, and the training seconds."""
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    x = torch.from_numpy(features.astype(np.float32))
    encoder = Encoder()
    head = nn.Linear(encoder.dense.out_features, a.projection)
    params = [*encoder.dense.parameters(), *head.parameters()]
    params += [*encoder.bn_in.parameters(), *encoder.bn_dense.parameters()]
    optimiser = torch.optim.Adam(params, lr=a.lr)
    encoder.train()
    with timer() as t:
        for _ in range(a.steps):
            first, second = _views(x, a.batch, rng)
            loss = nt_xent(head(encoder(first)), head(encoder(second)), a.temperature)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
    encoder.eval()
    with torch.inference_mode():
        out = encoder(x.reshape(-1, x.shape[2])).reshape(*x.shape[:2], -1)
    return out.numpy(), t[0]


def penultimate(features: np.ndarray) -> np.ndarray:
    """The pretrained back end's penultimate features (N, P, 200), unadapted."""
    encoder = Encoder().eval()
    x = torch.from_numpy(features.astype(np.float32))
    with torch.inference_mode():
        out = encoder(x.reshape(-1, x.shape[2])).reshape(*x.shape[:2], -1)
    return np.asarray(out.numpy())


def with_adapted(corpus: Corpus, outputs: dict[str, np.ndarray], s: Settings) -> Study:
    """The study's self-supervised rows on ``corpus``: today's features, the pretrained
    back end's penultimate layer, the back end adapted on every track of the corpus, and
    today's features with the adapted ones appended (and the same from a second seed, to
    see how much the adaptation's own randomness moves the numbers)."""
    a = Adaptation()
    adapted, seconds = adapt(outputs[TODAY], a)
    reseeded, _ = adapt(outputs[TODAY], dataclasses.replace(a, seed=1))
    data = {**outputs, ADAPTED: adapted, RESEEDED: reseeded}
    x = study(corpus, data | {PENULTIMATE: penultimate(outputs[TODAY])}, s, ROWS)
    batch = min(a.batch, len(corpus.paths))
    for rep in ROWS[2:]:
        x.stored[rep.name] = x.stored[TODAYS]  # the back-end input stays, to adapt again
        x.extra[rep.name] = (
            f"adaptation trained {seconds:.1f} s ({a.steps} steps of {batch} tracks, torch "
            f"on {s.threads} thread(s)) on all {len(corpus.paths)} tracks, no labels; stored: "
            "today's back-end input, kept to adapt again"
        )
    return x
