"""Per-track musicnn cache: the back end's input features and the tag probabilities per patch.

``features`` is what :class:`classifier.musicnn.model.BackEnd` consumes,
``concat([max_pool, mean_pool])`` (1506 values per patch, stored as float16),
so a taste model built on a copy of the back end trains from the cache without
re-running the convolutions.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from classifier.musicnn.model import (
    N_MELS,
    N_TAGS,
    PATCH_FRAMES,
    POOLED_DIM,
    MusiCNN,
    check_model_name,
)

__all__ = ["embed_patches", "feature_key", "model_key"]

logger = logging.getLogger(__name__)


def model_key(name: str) -> str:
    """The store's cache key for features computed by model ``name`` (e.g. ``"MSD_musicnn"``)."""
    check_model_name(name)
    return name


def feature_key(backbone: str) -> str:
    """The store's embedding key of ``backbone`` (the per-track cache the taste model reads)."""
    return model_key(backbone)


def _check_patches(patches: np.ndarray) -> None:
    if patches.ndim != 3 or patches.shape[1:] != (PATCH_FRAMES, N_MELS):
        raise ValueError(
            f"patches must have shape (P, {PATCH_FRAMES}, {N_MELS}), got {patches.shape}"
        )


def embed_patches(
    model: MusiCNN, patches: np.ndarray, batch_size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``model`` over log-mel ``patches`` (P, 187, 96).

    Returns ``(features (P, 1506) float16, tags (P, 50) float32)``: the back
    end's input and the sigmoid tag probabilities. ``model`` should be in eval
    mode (:func:`classifier.musicnn.weights.load_musicnn` returns it so).
    """
    _check_patches(patches)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if model.training:
        logger.warning("embed_patches called with a model in training mode; using eval mode")
        model.eval()
    features = np.empty((len(patches), POOLED_DIM), dtype=np.float16)
    tags = np.empty((len(patches), N_TAGS), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(patches), batch_size):
            stop = start + batch_size
            batch = torch.from_numpy(np.ascontiguousarray(patches[start:stop], dtype=np.float32))
            pooled = model.pooled(batch)
            logits, _ = model.backend(pooled)
            features[start:stop] = pooled.numpy()
            tags[start:stop] = torch.sigmoid(logits).numpy()
    return features, tags
