"""What the audio and model side can fail with: unreadable audio, a model that cannot be
built, trained or loaded, pretrained weights that are not installed."""

from __future__ import annotations

from store import TastebudError

__all__ = ["AudioError", "ModelError", "WeightsMissingError"]


class AudioError(TastebudError):
    """An audio file is corrupt, truncated, silent or not audio at all."""


class ModelError(TastebudError):
    """The taste model cannot be built, trained, loaded or used."""


class WeightsMissingError(ModelError):
    """The pretrained musicnn weights are not installed."""
