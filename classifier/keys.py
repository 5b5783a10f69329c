"""The store's keys of the per-track feature cache, one per pretrained backbone (without
torch: the short commands that read the cache never run the network)."""

from __future__ import annotations

from classifier.musicnn.names import check_model_name

__all__ = ["feature_key", "model_key"]


def model_key(name: str) -> str:
    """The store's cache key for features computed by model ``name`` (e.g. ``"MSD_musicnn"``)."""
    check_model_name(name)
    return name


def feature_key(backbone: str) -> str:
    """The store's embedding key of ``backbone`` (the per-track cache the taste model reads)."""
    return model_key(backbone)
