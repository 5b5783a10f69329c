"""Which parts of a track the model hears: N patches of 187 frames spread over it.

musicnn reads 3-second patches (187 frames of 256 samples at 16 kHz). A track is
represented by ``n_patches`` of them spread evenly over its middle, skipping the
first and last 10% (intros, fade-outs, applause). A track shorter than one patch
is repeated end to end until it fills one, as musicnn does.
"""

from __future__ import annotations

import numpy as np

from classifier.logmel import HOP

__all__ = ["DEFAULT_PATCHES", "EDGE_SKIP", "PATCH_FRAMES", "n_frames", "patch_starts", "repeat_pad"]

PATCH_FRAMES = 187
DEFAULT_PATCHES = 10
EDGE_SKIP = 0.1


def n_frames(n_samples: int) -> int:
    """Frames of a centred STFT over ``n_samples`` samples."""
    return 1 + n_samples // HOP


def repeat_pad(audio: np.ndarray, patch_frames: int = PATCH_FRAMES) -> np.ndarray:
    """``audio`` repeated end to end until it spans at least one patch (unchanged if it does)."""
    needed = (patch_frames - 1) * HOP
    if audio.size == 0 or audio.size >= needed:
        return audio
    return np.tile(audio, -(-needed // audio.size))


def patch_starts(
    total_frames: int,
    n_patches: int = DEFAULT_PATCHES,
    *,
    patch_frames: int = PATCH_FRAMES,
    edge_skip: float = EDGE_SKIP,
) -> np.ndarray:
    """First frame of each of ``n_patches`` patches spread evenly over the track's middle.

    Patches overlap when the middle is shorter than ``n_patches`` patches; when it is
    shorter than one patch the edges are used too.
    """
    if n_patches < 1:
        raise ValueError(f"n_patches must be at least 1, not {n_patches}")
    if total_frames < patch_frames:
        raise ValueError(f"{total_frames} frames are fewer than one patch: repeat_pad first")
    skip = int(total_frames * edge_skip)
    lo, hi = skip, total_frames - skip
    if hi - lo < patch_frames:
        lo, hi = 0, total_frames
    return np.linspace(lo, hi - patch_frames, n_patches).round().astype(np.int64)
