"""Reusable layers of musicnn (Pons et al., ISMIR 2018; Pons & Serra, ISMIR 2019 LBD).

Layout conventions: spectrograms are ``(batch, channels, time, freq)``; the 1-D
feature maps after frequency pooling are ``(batch, channels, time)``.

Every convolution here is followed by ReLU and *then* batch norm, as in the
original TensorFlow graph, and batch norm uses TensorFlow's defaults
(epsilon 1e-3, moving-average decay 0.99 = torch momentum 0.01) so that
checkpoint statistics carry over unchanged.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "BN_EPS",
    "BN_MOMENTUM",
    "MidEndConv",
    "TemporalBlock",
    "TimbralBlock",
    "VggBlock",
    "batch_norm_1d",
    "batch_norm_2d",
    "tf_same_padding",
]

logger = logging.getLogger(__name__)

BN_EPS = 1e-3  # tf.compat.v1.layers.batch_normalization default
BN_MOMENTUM = 0.01  # = 1 - TF's decay of 0.99


def batch_norm_1d(num_features: int) -> nn.BatchNorm1d:
    """``BatchNorm1d`` with TensorFlow's epsilon and momentum."""
    return nn.BatchNorm1d(num_features, eps=BN_EPS, momentum=BN_MOMENTUM)


def batch_norm_2d(num_features: int) -> nn.BatchNorm2d:
    """``BatchNorm2d`` with TensorFlow's epsilon and momentum."""
    return nn.BatchNorm2d(num_features, eps=BN_EPS, momentum=BN_MOMENTUM)


def tf_same_padding(kernel: int) -> tuple[int, int]:
    """``(before, after)`` padding of TensorFlow's ``"same"`` at stride 1: the extra one goes after.

    For odd kernels this is symmetric, e.g. 7 -> (3, 3), which is also what the
    original's explicit ``tf.pad`` does before its ``"valid"`` convolutions.
    """
    total = kernel - 1
    return total // 2, total - total // 2


class _FreqPooledConv(nn.Module):
    """Conv over (time, freq) -> ReLU -> batch norm -> max over all frequencies.

    Time is zero-padded TF-``"same"`` style so the output keeps the input's
    length; frequency is not padded (``"valid"``), then pooled away entirely.
    """

    def __init__(self, *, filters: int, kernel_time: int, kernel_freq: int) -> None:
        super().__init__()
        self.time_padding = tf_same_padding(kernel_time)
        self.conv = nn.Conv2d(1, filters, kernel_size=(kernel_time, kernel_freq))
        self.bn = batch_norm_2d(filters)

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (B, 1, T, F) -> (B, filters, T)."""
        before, after = self.time_padding
        x = self.conv(F.pad(x, (0, 0, before, after)))  # pad = (freq_l, freq_r, time_l, time_r)
        if self.training or self.bn.running_var is None:
            normalized: Tensor = self.bn(torch.relu(x))
            return normalized.amax(dim=3)
        return self._pool_then_normalize(x)

    def _pool_then_normalize(self, x: Tensor) -> Tensor:
        """Inference shortcut for ``amax_f(bn(relu(x)))`` with the same result (bit for bit).

        With frozen statistics ReLU and batch norm are monotone per channel
        (increasing where ``gamma >= 0``, decreasing where ``gamma < 0``), so
        pooling first — max or min by the sign of ``gamma`` — and normalising the
        ``(B, C, T)`` result picks the same element without touching the large
        ``(B, C, T, F)`` map twice more.
        """
        low, high = torch.aminmax(x, dim=3)
        increasing = (self.bn.weight >= 0).view(1, -1, 1)
        pooled = torch.relu(torch.where(increasing, high, low))
        bn = self.bn
        return F.batch_norm(
            pooled, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps
        )


class TimbralBlock(_FreqPooledConv):
    """musicnn's timbral filter: a short-in-time, tall-in-frequency kernel (default 7x38).

    musicnn uses two of them, 7x38 and 7x67 (0.4 and 0.7 of the 96 mel bands), 204 filters each.
    """

    def __init__(self, *, filters: int = 204, kernel_time: int = 7, kernel_freq: int = 38) -> None:
        super().__init__(filters=filters, kernel_time=kernel_time, kernel_freq=kernel_freq)


class TemporalBlock(_FreqPooledConv):
    """musicnn's temporal filter: a long-in-time, one-band kernel (default 128x1).

    musicnn uses three of them, 128x1, 64x1 and 32x1, 51 filters each.
    """

    def __init__(self, *, filters: int = 51, kernel_time: int = 128) -> None:
        super().__init__(filters=filters, kernel_time=kernel_time, kernel_freq=1)


class MidEndConv(nn.Module):
    """1-D conv over time (TF-``"same"``) -> ReLU -> batch norm, plus an optional residual.

    The original writes these as 2-D convolutions whose kernel spans the whole
    feature axis (e.g. 7x561), which is a 1-D convolution with that many input
    channels.
    """

    def __init__(
        self, *, in_channels: int, filters: int = 64, width: int = 7, residual: bool = False
    ) -> None:
        super().__init__()
        if residual and in_channels != filters:
            raise ValueError(
                f"a residual needs in_channels == filters, got {in_channels}, {filters}"
            )
        self.residual = residual
        self.time_padding = tf_same_padding(width)
        self.conv = nn.Conv1d(in_channels, filters, kernel_size=width)
        self.bn = batch_norm_1d(filters)

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (B, in_channels, T) -> (B, filters, T)."""
        y: Tensor = self.bn(torch.relu(self.conv(F.pad(x, self.time_padding))))
        return y + x if self.residual else y


class VggBlock(nn.Module):
    """The VGG baseline's layer: dropout (training only, not before the first) -> 3x3 conv
    (TF-``"same"``) -> ReLU -> batch norm -> max pooling (TF-``"valid"``: the rest dropped)."""

    def __init__(
        self,
        *,
        in_channels: int,
        filters: int = 128,
        pool: tuple[int, int] = (2, 2),
        stride: tuple[int, int] | None = None,
        dropout: float = 0.25,
    ) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.conv = nn.Conv2d(in_channels, filters, kernel_size=3, padding=1)
        self.bn = batch_norm_2d(filters)
        self.pool = nn.MaxPool2d(pool, stride=stride or pool)

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (B, in_channels, T, F) -> (B, filters, T', F')."""
        pooled: Tensor = self.pool(self.bn(torch.relu(self.conv(self.dropout(x)))))
        return pooled
