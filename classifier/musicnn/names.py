"""The pretrained models' names, without torch (the tag names are read by commands that
never run the network)."""

from __future__ import annotations

__all__ = ["MODEL_NAMES", "check_model_name"]

MODEL_NAMES = ("MSD_musicnn", "MTT_musicnn")


def check_model_name(name: str) -> None:
    """Raise :class:`ValueError` unless ``name`` is one of :data:`MODEL_NAMES`."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown musicnn model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
