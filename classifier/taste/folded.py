"""The taste model folded for scoring: one matmul per chunk of float16 patches.

In eval mode the model is ``head(bn_dense(relu(dense(bn_in(x)))))`` and both
batch norms are fixed affine maps, so ``bn_in`` folds into the dense layer and
``bn_dense`` into the head: ``logit = v . relu(W x + c) + k``. The float16
feature matrix is converted to float32 a cache-sized block at a time, into one
reused buffer, so rescoring runs near the rate of the matmul itself; the same
pass takes each track's profile (the mean and spread of its patches), which its
similarity to the history is measured on, while the block is in cache. With an
adapter (:mod:`classifier.taste.adapter`), its layer shares the dense layer's matmul
(their weights side by side) and the profile takes the spread of its output too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from classifier.taste.features import Adapter
from classifier.taste.model import TasteModel

__all__ = ["BLOCK_ROWS", "FoldedScorer", "batch_norm_affine", "patch_profiles"]

BLOCK_ROWS = 640
"""Patches converted and multiplied at a time: 640 x 1506 float32 (4 MB) stays near the
core for the matmul and the sums that read it again, and is rows enough for the matmul
to run at its full rate (2048 rows measured 10-20% slower)."""


def batch_norm_affine(bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift) of a batch norm in eval mode, in float64."""
    assert bn.running_var is not None
    assert bn.running_mean is not None
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    return scale, bn.bias.double() - bn.running_mean.double() * scale


@dataclass(frozen=True)
class FoldedScorer:
    """``logit = head . relu(x @ weight + bias) + offset`` for patches ``x`` (N, D)."""

    weight: torch.Tensor  # (D, H + A) float32: the dense layer's, then the adapter's
    bias: torch.Tensor  # (H + A,) float32
    head: torch.Tensor  # (H, 1) float32
    offset: float
    adapter: Adapter | None = None

    @classmethod
    def from_model(cls, model: TasteModel) -> FoldedScorer:
        """Fold ``model``'s batch norms into its dense layer and head (float64, then float32)."""
        with torch.no_grad():
            a_in, b_in = batch_norm_affine(model.bn_in)
            dense_w, dense_b = model.dense.weight.double(), model.dense.bias.double()
            a_out, b_out = batch_norm_affine(model.bn_dense)
            head_w, head_b = model.head.weight.double()[0], model.head.bias.double()[0]
            weight = (dense_w * a_in).T
            bias = dense_b + dense_w @ b_in
            head = head_w * a_out
            offset = float(head_b + head_w @ b_out)
        adapter = model.adapter()
        if adapter is not None:
            weight = torch.cat([weight.float(), adapter.weight.T.float()], dim=1)
            bias = torch.cat([bias.float(), adapter.bias.float()])
        head = head.float().reshape(-1, 1)
        return cls(weight.float().contiguous(), bias.float(), head, offset, adapter)

    def per_track(
        self,
        patches: np.ndarray,
        n_patches: np.ndarray,
        *,
        profiles: bool = True,
        logits: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mean patch logit (T,) float64, with ``profiles`` each track's profile (T, 2D)
        float32 (patch mean and spread, as :func:`~classifier.taste.features.profile`),
        else an empty array) of tracks whose patches lie back to back in ``patches``,
        ``n_patches`` each: one pass over the float16 rows. Without ``logits`` the matmul
        is skipped and every logit is the offset alone.

        When every track has the same number of patches (the usual case), blocks hold
        whole tracks, whose profiles are finished while the block is in cache."""
        track, step, aligned = _layout(n_patches)
        dim, units = self.weight.shape[0], self.head.shape[0]
        logit_sums = torch.zeros(len(n_patches), dtype=torch.float64)
        spread = _Spread(n_patches, dim, aligned) if profiles else None
        adapted = _adapted_spread(self.adapter, n_patches, aligned) if profiles else None
        weight, bias = self._layers(logits, profiles)
        hidden, logit = torch.empty(step, len(bias)), torch.empty(step, 1)
        with torch.inference_mode():
            for x, here in _float32_blocks(patches, track, step):
                h, z = hidden[: len(x)], logit[: len(x)]
                if len(bias):
                    torch.addmm(bias, x, weight, out=h).relu_()
                if logits:
                    torch.mm(h[:, :units], self.head, out=z)
                    logit_sums.index_add_(0, here, z[:, 0].double())
                if spread is not None:
                    spread.add(x, here)
                if adapted is not None:
                    adapted.add(h[:, -adapted.dim :], here)
        count = torch.from_numpy(np.maximum(n_patches, 1))
        mean_logits = (logit_sums / count).numpy() + self.offset
        if spread is None:
            return mean_logits, np.empty((0, 2 * dim), np.float32)
        parts = [spread.finish()] + ([adapted.finish()] if adapted is not None else [])
        return mean_logits, torch.cat(parts, dim=1).numpy()

    def _layers(self, logits: bool, profiles: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """The (weight, bias) of the columns a pass needs: the dense layer's for the logits,
        the adapter's for the profiles."""
        units = self.head.shape[0]
        if logits and (profiles or self.adapter is None):
            return self.weight, self.bias
        if logits:
            return self.weight[:, :units].contiguous(), self.bias[:units]
        if profiles and self.adapter is not None:
            return self.weight[:, units:].contiguous(), self.bias[units:]
        return self.weight[:, :0], self.bias[:0]


def _adapted_spread(adapter: Adapter | None, n_patches: np.ndarray, whole: bool) -> _Spread | None:
    return _Spread(n_patches, adapter.units, whole) if adapter is not None else None


def patch_profiles(
    patches: np.ndarray, n_patches: np.ndarray, adapter: Adapter | None = None
) -> np.ndarray:
    """Profiles (T, 2D, or 2D + 2A with ``adapter``) float32 of tracks whose float16
    patches lie back to back in ``patches``, ``n_patches`` each: :meth:`FoldedScorer.per_track`'s
    pass without the model."""
    track, step, aligned = _layout(n_patches)
    spread = _Spread(n_patches, patches.shape[1], aligned)
    adapted = _adapted_spread(adapter, n_patches, aligned)
    with torch.inference_mode():
        for x, here in _float32_blocks(patches, track, step):
            spread.add(x, here)
            if adapter is not None and adapted is not None:
                adapted.add(adapter.encode(x), here)
    parts = [spread.finish()] + ([adapted.finish()] if adapted is not None else [])
    return torch.cat(parts, dim=1).numpy()


def _float32_blocks(
    patches: np.ndarray, track: torch.Tensor, step: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(rows, their tracks) of ``patches``, ``step`` rows at a time, each block converted
    to float32 into one reused buffer (the next block overwrites it)."""
    block = torch.empty(step, patches.shape[1])
    for start in range(0, len(patches), step):
        x = block[: min(step, len(patches) - start)]
        x.copy_(torch.from_numpy(patches[start : start + len(x)]))  # to float32, in cache
        yield x, track[start : start + len(x)]


def _layout(n_patches: np.ndarray) -> tuple[torch.Tensor, int, bool]:
    """(each patch's track, rows per block, whether blocks hold whole tracks): they do
    when every track has as many patches, at most :data:`BLOCK_ROWS`."""
    n_patches = np.asarray(n_patches, np.int64)
    track = torch.from_numpy(np.repeat(np.arange(len(n_patches)), n_patches))
    same = int(n_patches[0]) if len(n_patches) and (n_patches == n_patches[0]).all() else 0
    aligned = 0 < same <= BLOCK_ROWS
    return track, BLOCK_ROWS - BLOCK_ROWS % same if aligned else BLOCK_ROWS, aligned


class _Spread:
    """Profiles (T, 2D) of tracks (patch means, then standard deviations) from their
    patches, a block at a time. With ``whole`` every block holds whole tracks, as many
    patches each, and theirs are finished while the block is in cache; otherwise sums
    of patches and of their squares gather per track and are finished at the end."""

    def __init__(self, n_patches: np.ndarray, dim: int, whole: bool) -> None:
        self.count = torch.from_numpy(np.maximum(n_patches, 1)).float()
        self.out = (torch.empty if whole else torch.zeros)(len(n_patches), 2 * dim)
        self.whole, self.dim = whole, dim

    def add(self, x: torch.Tensor, track: torch.Tensor) -> None:
        """Count the block of patch rows ``x``, of the tracks ``track`` (one per row)."""
        dim = x.shape[1]
        if not self.whole:
            self.out[:, :dim].index_add_(0, track, x)
            self.out[:, dim:].index_add_(0, track, x * x)
            return
        first, n = int(track[0]), int(track[-1]) - int(track[0]) + 1
        tracks = x.view(n, len(x) // n, dim)
        mean, spread = self.out[first : first + n, :dim], self.out[first : first + n, dim:]
        torch.sum(tracks, dim=1, out=mean)
        torch.mul(tracks[:, 0], tracks[:, 0], out=spread)
        for patch in range(1, tracks.shape[1]):
            spread.addcmul_(tracks[:, patch], tracks[:, patch])
        _finish(mean, spread, self.count[first : first + n, None])

    def finish(self) -> torch.Tensor:
        """The profiles, every track counted."""
        if not self.whole:
            dim = self.out.shape[1] // 2
            _finish(self.out[:, :dim], self.out[:, dim:], self.count[:, None])
        return self.out


def _finish(mean: torch.Tensor, spread: torch.Tensor, count: torch.Tensor) -> None:
    """Sums of x and of x * x (in ``mean`` and ``spread``, over ``count`` patches) turned
    into the mean and standard deviation, in place."""
    mean.div_(count)
    spread.div_(count).addcmul_(mean, mean, value=-1.0).clamp_(min=0.0).sqrt_()
