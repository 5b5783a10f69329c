"""The taste model folded for scoring: one matmul per chunk of float16 patches.

In eval mode the model is ``head(bn_dense(relu(dense(bn_in(x)))))`` and both
batch norms are fixed affine maps, so ``bn_in`` folds into the dense layer and
``bn_dense`` into the head: ``logit = v . relu(W x + c) + k``. The float16
feature matrix is converted to float32 a cache-sized block at a time, into one
reused buffer, so rescoring runs near the rate of the matmul itself; the same
pass sums each track's patches and their squares, for the profile its similarity to
the history is measured on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from classifier.taste.model import TasteModel

__all__ = ["BLOCK_ROWS", "FoldedScorer"]

BLOCK_ROWS = 640
"""Patches converted and multiplied at a time: 640 x 1506 float32 (4 MB) stays near the
core for the matmul and the sums that read it again, and is rows enough for the matmul
to run at its full rate (2048 rows measured 10-20% slower)."""


def _affine(bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift) of a batch norm in eval mode, in float64."""
    assert bn.running_var is not None
    assert bn.running_mean is not None
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    return scale, bn.bias.double() - bn.running_mean.double() * scale


@dataclass(frozen=True)
class FoldedScorer:
    """``logit = head . relu(x @ weight + bias) + offset`` for patches ``x`` (N, D)."""

    weight: torch.Tensor  # (D, H) float32
    bias: torch.Tensor  # (H,) float32
    head: torch.Tensor  # (H, 1) float32
    offset: float

    @classmethod
    def from_model(cls, model: TasteModel) -> FoldedScorer:
        """Fold ``model``'s batch norms into its dense layer and head (float64, then float32)."""
        with torch.no_grad():
            a_in, b_in = _affine(model.bn_in)
            dense_w, dense_b = model.dense.weight.double(), model.dense.bias.double()
            a_out, b_out = _affine(model.bn_dense)
            head_w, head_b = model.head.weight.double()[0], model.head.bias.double()[0]
            weight = (dense_w * a_in).T
            bias = dense_b + dense_w @ b_in
            head = head_w * a_out
            offset = float(head_b + head_w @ b_out)
        return cls(weight.float().contiguous(), bias.float(), head.float().reshape(-1, 1), offset)

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
        whole tracks and their sums are taken in place."""
        track = torch.from_numpy(np.repeat(np.arange(len(n_patches)), n_patches))
        same = int(n_patches[0]) if len(n_patches) and (n_patches == n_patches[0]).all() else 0
        aligned = 0 < same <= BLOCK_ROWS
        step = BLOCK_ROWS - BLOCK_ROWS % same if aligned else BLOCK_ROWS
        dim = self.weight.shape[0]
        logit_sums = torch.zeros(len(n_patches), dtype=torch.float64)
        sums = torch.zeros((2, len(n_patches) if profiles else 0, dim))  # of x, of x * x
        block, square, hidden, logit = (
            torch.empty(step, dim),
            torch.empty(step, dim),
            torch.empty(step, self.bias.shape[0]),
            torch.empty(step, 1),
        )
        with torch.inference_mode():
            for start in range(0, len(patches), step):
                rows = min(step, len(patches) - start)
                x, x2, h, z = block[:rows], square[:rows], hidden[:rows], logit[:rows]
                x.copy_(torch.from_numpy(patches[start : start + rows]))  # to float32, in cache
                here = track[start : start + rows]
                if logits:
                    torch.addmm(self.bias, x, self.weight, out=h).relu_()
                    torch.mm(h, self.head, out=z)
                    logit_sums.index_add_(0, here, z[:, 0].double())
                if profiles:
                    torch.mul(x, x, out=x2)
                    _add_sums(sums, x, x2, here, start // same if aligned else -1)
        count = torch.from_numpy(np.maximum(n_patches, 1))
        mean_logits = (logit_sums / count).numpy() + self.offset
        return mean_logits, _profiles(sums, count[: sums.shape[1]]).numpy()


def _add_sums(
    sums: torch.Tensor, x: torch.Tensor, x2: torch.Tensor, track: torch.Tensor, first: int
) -> None:
    """Add a block's rows ``x`` and squares ``x2`` to their tracks' ``sums`` (2, T, D):
    with ``first`` >= 0 the block holds whole tracks, ``first`` onward, equally long."""
    if first < 0:
        sums[0].index_add_(0, track, x)
        sums[1].index_add_(0, track, x2)
        return
    n = int(track[-1]) - int(track[0]) + 1
    for part, rows in zip(sums, (x, x2), strict=True):
        torch.sum(rows.view(n, len(rows) // n, -1), dim=1, out=part[first : first + n])


def _profiles(sums: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
    """(T, 2D) means and standard deviations from the (2, T, D) sums of x and x * x."""
    mean, square = sums.div_(count[None, :, None].float())
    square.sub_(mean * mean).clamp_(min=0.0).sqrt_()
    return torch.cat([mean, square], dim=1)
