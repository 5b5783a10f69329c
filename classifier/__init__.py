"""Audio -> log-mel -> musicnn -> personal taste model -> scores."""

from __future__ import annotations

from classifier.config import ModelConfig
from classifier.embed import embed_patches, model_key
from classifier.featurize import featurize_file
from classifier.musicnn import (
    MODEL_NAMES,
    N_MELS,
    N_TAGS,
    PATCH_FRAMES,
    POOLED_DIM,
    BackEnd,
    MusiCNN,
    MusicnnOutput,
    load_musicnn,
    tag_names,
    weights_available,
    weights_dir,
)

__all__ = [
    "MODEL_NAMES",
    "N_MELS",
    "N_TAGS",
    "PATCH_FRAMES",
    "POOLED_DIM",
    "BackEnd",
    "ModelConfig",
    "MusiCNN",
    "MusicnnOutput",
    "embed_patches",
    "featurize_file",
    "load_musicnn",
    "model_key",
    "tag_names",
    "weights_available",
    "weights_dir",
]
