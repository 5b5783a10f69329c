"""Per-track musicnn cache: the back end's input features and the tag probabilities per patch.

``features`` is what :class:`classifier.musicnn.model.BackEnd` consumes,
``concat([max_pool, mean_pool])`` (1506 values per patch, stored as float16),
so a taste model built on a copy of the back end trains from the cache without
re-running the convolutions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from classifier.keys import feature_key, model_key
from classifier.musicnn.model import N_MELS, N_TAGS, PATCH_FRAMES, POOLED_DIM, MusiCNN
from classifier.musicnn.runtime import OnnxMusicnn, onnx_session
from classifier.musicnn.weights import load_musicnn, weights_dir

__all__ = ["Embedder", "embed_patches", "feature_key", "model_key"]

logger = logging.getLogger(__name__)


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
    if model.training:
        logger.warning("embed_patches called with a model in training mode; using eval mode")
        model.eval()

    def forward(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pooled = model.pooled(torch.from_numpy(batch))
        logits, _ = model.backend(pooled)
        return pooled.numpy(), torch.sigmoid(logits).numpy()

    with torch.inference_mode():
        return _in_batches(patches, batch_size, forward)


def _in_batches(
    patches: np.ndarray,
    batch_size: int,
    forward: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """(features float16, tags float32) of ``patches``, ``batch_size`` at a time."""
    _check_patches(patches)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    features = np.empty((len(patches), POOLED_DIM), dtype=np.float16)
    tags = np.empty((len(patches), N_TAGS), dtype=np.float32)
    for start in range(0, len(patches), batch_size):
        stop = start + batch_size
        batch = np.ascontiguousarray(patches[start:stop], dtype=np.float32)
        features[start:stop], tags[start:stop] = forward(batch)
    return features, tags


class Embedder:
    """musicnn for the fetch job: onnxruntime where it reproduces the torch port (about
    2.5x faster), else the torch port itself. Calls are thread-safe."""

    def __init__(self, model: MusiCNN, runner: OnnxMusicnn | None = None) -> None:
        self.model = model
        self.runner = runner

    @classmethod
    def load(
        cls,
        name: str,
        *,
        threads: int = 1,
        onnx: bool = True,
        graph_dir: Path | None = None,
        flush_denormals: bool = False,
    ) -> Embedder:
        """``name``'s pretrained musicnn, run with ``threads`` threads per call; its ONNX
        graph is cached in ``graph_dir`` (default: beside the weights). ``flush_denormals``:
        see :func:`classifier.musicnn.runtime.onnx_session` (worker processes only)."""
        model = load_musicnn(name)
        graph_dir = graph_dir or weights_dir(name)
        runner = None
        if onnx:
            runner = onnx_session(
                model, name, graph_dir, threads=threads, flush_denormals=flush_denormals
            )
        logger.info("embedding with %s", "onnxruntime" if runner else "torch")
        return cls(model, runner)

    @property
    def engine(self) -> str:
        """``"onnxruntime"`` or ``"torch"``."""
        return "torch" if self.runner is None else "onnxruntime"

    def __call__(self, patches: np.ndarray, batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """As :func:`embed_patches`."""
        if self.runner is None:
            return embed_patches(self.model, patches, batch_size)
        return _in_batches(patches, batch_size, self.runner)
