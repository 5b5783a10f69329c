"""The pretrained models' names, without torch (the tag names are read by commands that
never run the network)."""

from __future__ import annotations

__all__ = ["CHECKPOINTS", "MODEL_NAMES", "VGG_NAMES", "check_checkpoint_name", "check_model_name"]

MODEL_NAMES = ("MSD_musicnn", "MTT_musicnn")
"""The musicnn checkpoints: what the daemon can embed with (``[model] backbone``)."""
VGG_NAMES = ("MSD_vgg", "MTT_vgg")
"""The VGG baseline's checkpoints (:mod:`classifier.musicnn.vgg`), for the benchmarks."""
CHECKPOINTS = MODEL_NAMES + VGG_NAMES
"""Every checkpoint the ``musicnn==0.1.0`` wheel ships (not ``MSD_musicnn_big``)."""


def check_model_name(name: str) -> None:
    """Raise :class:`ValueError` unless ``name`` is one of :data:`MODEL_NAMES`."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown musicnn model {name!r}; choose one of {', '.join(MODEL_NAMES)}")


def check_checkpoint_name(name: str) -> None:
    """Raise :class:`ValueError` unless ``name`` is one of :data:`CHECKPOINTS`."""
    if name not in CHECKPOINTS:
        raise ValueError(f"unknown musicnn model {name!r}; choose one of {', '.join(CHECKPOINTS)}")
