"""musicnn in torch: the network of Pons & Serra (2019), module by module.

Pons & Serra, "musicnn: pre-trained convolutional neural networks for music audio
tagging", ISMIR 2019 LBD; the architecture of Pons, Nieto, Prockup, Schmidt, Ehmann,
Serra, "End-to-end learning for music audio tagging at scale", ISMIR 2018. A log-mel
patch goes through a front end of musically motivated filters (timbral: tall in
frequency; temporal: long in time), a mid end of residual 1-D convolutions whose
outputs are densely concatenated, temporal max and mean pooling, and a back end
(dense 200, then 50 sigmoid tags).

The layers follow the original TensorFlow 1 implementation (PyPI ``musicnn==0.1.0``,
``musicnn/models.py``, ``build_musicnn``) one for one, so the published MSD/MTT
checkpoints load unchanged (:mod:`classifier.musicnn.weights`) and reproduce the
original's outputs.

Back-end input layout (``POOLED_DIM`` = 1506), the per-track cache vector::

    pooled = concat([max_pool, mean_pool], dim=1)   # pooled[:, :753] = max, [753:] = mean

The original computes ``tf.concat([max_pool, mean_pool], 2)`` on ``(B, 753, 1)``
tensors and then flattens, which *interleaves* them (max0, mean0, max1, ...).
We keep the readable block layout above; the TensorFlow weight mapping
(:mod:`classifier.musicnn.tfmap`) permutes the back end's first batch norm and
dense weights at load time, so ``BackEnd`` and its state dict expect exactly the
block layout.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor, nn

from classifier.musicnn.blocks import (
    MidEndConv,
    TemporalBlock,
    TimbralBlock,
    batch_norm_1d,
    batch_norm_2d,
)
from classifier.musicnn.names import MODEL_NAMES, check_model_name

__all__ = [
    "MIDEND_DIM",
    "MODEL_NAMES",
    "N_MELS",
    "N_TAGS",
    "PATCH_FRAMES",
    "POOLED_DIM",
    "BackEnd",
    "FrontEnd",
    "MidEnd",
    "MusiCNN",
    "MusicnnOutput",
    "check_model_name",
]

logger = logging.getLogger(__name__)

N_MELS = 96
PATCH_FRAMES = 187  # 3 s at 16 kHz, hop 256
N_TAGS = 50
MIDEND_DIM = 753  # 561 front end + 3 x 64 mid end
POOLED_DIM = 2 * MIDEND_DIM


class MusicnnOutput(NamedTuple):
    """Per-patch outputs; ``taggram`` holds sigmoid probabilities."""

    taggram: Tensor  # (B, n_tags)
    penultimate: Tensor  # (B, 200)
    mean_pool: Tensor  # (B, 753)
    max_pool: Tensor  # (B, 753)


class FrontEnd(nn.Module):
    """Batch-normalised input, then timbral and temporal filters, each max-pooled over frequency.

    Output channels are concatenated in the original's order: timbral blocks
    (7x38, 7x67), then temporal blocks (128, 64, 32): 204 + 204 + 3 x 51 = 561.
    """

    def __init__(
        self,
        *,
        timbral_filters: int = 204,
        timbral_kernels: Sequence[tuple[int, int]] = ((7, 38), (7, 67)),
        temporal_filters: int = 51,
        temporal_kernels: Sequence[int] = (128, 64, 32),
    ) -> None:
        super().__init__()
        self.bn_in = batch_norm_2d(1)
        self.timbral = nn.ModuleList(
            TimbralBlock(filters=timbral_filters, kernel_time=kt, kernel_freq=kf)
            for kt, kf in timbral_kernels
        )
        self.temporal = nn.ModuleList(
            TemporalBlock(filters=temporal_filters, kernel_time=kt) for kt in temporal_kernels
        )
        self.out_channels = timbral_filters * len(timbral_kernels) + temporal_filters * len(
            temporal_kernels
        )

    def forward(self, mel: Tensor) -> Tensor:
        """``mel`` (B, T, F) log-mel -> (B, out_channels, T)."""
        x = self.bn_in(mel.unsqueeze(1))
        branches = [*self.timbral, *self.temporal]
        return torch.cat([branch(x) for branch in branches], dim=1)


class MidEnd(nn.Module):
    """Stacked 1-D convolutions, residual after the first, densely concatenated with the input.

    Output: ``concat([frontend, conv1, conv1 + conv2, conv1 + conv2 + conv3])``
    (561 + 3 x 64 = 753 channels for musicnn).
    """

    def __init__(
        self, *, in_channels: int = 561, filters: int = 64, width: int = 7, layers: int = 3
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            MidEndConv(
                in_channels=in_channels if i == 0 else filters,
                filters=filters,
                width=width,
                residual=i > 0,
            )
            for i in range(layers)
        )
        self.out_channels = in_channels + layers * filters

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (B, in_channels, T) -> (B, out_channels, T)."""
        features = [x]
        for layer in self.layers:
            features.append(layer(features[-1]))
        return torch.cat(features, dim=1)


class BackEnd(nn.Module):
    """musicnn's back end on the temporally pooled features.

    ``pooled`` (B, in_features) = ``concat([max_pool, mean_pool])`` (block layout,
    see the module docstring) -> batch norm -> dropout -> dense + ReLU -> batch
    norm (the "penultimate" features) -> dropout -> dense logits. Dropout is
    only active in training mode. Reusable as a trainable head: copy it with its
    pretrained state dict.
    """

    def __init__(
        self,
        *,
        in_features: int = POOLED_DIM,
        units: int = 200,
        n_tags: int = N_TAGS,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.bn_in = batch_norm_1d(in_features)
        self.dropout_in = nn.Dropout(dropout)
        self.dense = nn.Linear(in_features, units)
        self.bn_dense = batch_norm_1d(units)
        self.dropout_dense = nn.Dropout(dropout)
        self.out = nn.Linear(units, n_tags)

    def forward(self, pooled: Tensor) -> tuple[Tensor, Tensor]:
        """Return ``(logits (B, n_tags), penultimate (B, units))``."""
        x = self.dropout_in(self.bn_in(pooled))
        penultimate = self.bn_dense(torch.relu(self.dense(x)))
        logits = self.out(self.dropout_dense(penultimate))
        return logits, penultimate


class MusiCNN(nn.Module):
    """musicnn: a musically motivated CNN for music audio tagging.

    Pons, Nieto, Prockup, Schmidt, Ehmann, Serra, "End-to-end learning for music
    audio tagging at scale", ISMIR 2018; Pons & Serra, "musicnn: pre-trained
    convolutional neural networks for music audio tagging", ISMIR 2019 LBD.

    Input: log-mel patches ``(B, 187, 96)`` (``log10(1 + 10000 * mel_power)``,
    16 kHz, n_fft 512, hop 256). Front end (timbral + temporal filters), mid end
    (residual 1-D convs, dense concatenation, 753 channels), temporal max and
    mean pooling, back end (dense 200, then ``n_tags`` sigmoid tags).
    """

    def __init__(
        self,
        *,
        timbral_filters: int = 204,
        timbral_kernels: Sequence[tuple[int, int]] = ((7, 38), (7, 67)),
        temporal_filters: int = 51,
        temporal_kernels: Sequence[int] = (128, 64, 32),
        midend_filters: int = 64,
        midend_width: int = 7,
        midend_layers: int = 3,
        backend_units: int = 200,
        n_tags: int = N_TAGS,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.frontend = FrontEnd(
            timbral_filters=timbral_filters,
            timbral_kernels=timbral_kernels,
            temporal_filters=temporal_filters,
            temporal_kernels=temporal_kernels,
        )
        self.midend = MidEnd(
            in_channels=self.frontend.out_channels,
            filters=midend_filters,
            width=midend_width,
            layers=midend_layers,
        )
        self.backend = BackEnd(
            in_features=2 * self.midend.out_channels,
            units=backend_units,
            n_tags=n_tags,
            dropout=dropout,
        )

    def pooled(self, mel: Tensor) -> Tensor:
        """``mel`` (B, T, 96) -> ``concat([max_pool, mean_pool])`` (B, 1506), the back end input."""
        return self.temporal_pool(self.midend(self.frontend(mel)))

    @staticmethod
    def temporal_pool(features: Tensor) -> Tensor:
        """Mid-end ``features`` (B, 753, T) -> ``concat([max_pool, mean_pool])`` over time."""
        return torch.cat([features.amax(dim=2), features.mean(dim=2)], dim=1)

    def forward(self, mel: Tensor) -> MusicnnOutput:
        """Tags, penultimate features and both poolings of ``mel`` (B, T, 96)."""
        pooled = self.pooled(mel)
        logits, penultimate = self.backend(pooled)
        max_pool, mean_pool = pooled.chunk(2, dim=1)
        return MusicnnOutput(torch.sigmoid(logits), penultimate, mean_pool, max_pool)
