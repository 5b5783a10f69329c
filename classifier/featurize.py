"""Audio file -> ``(n_patches, 187, 96)`` log-mel patches, the input of musicnn.

Each patch equals the matching 187 rows of the front end run over the whole track
(centred, zero-padded frames), but only the patches' own samples go through the STFT.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch

from classifier.audio import check_audible, decode
from classifier.excerpt import DEFAULT_PATCHES, PATCH_FRAMES, n_frames, patch_starts, repeat_pad
from classifier.frontend import HOP, N_FFT, SAMPLE_RATE, LogMel
from store import AudioError

__all__ = ["featurize_audio", "featurize_file"]

_SEGMENT = (PATCH_FRAMES - 1) * HOP + N_FFT  # samples under one patch, STFT context included


@functools.cache
def _frontend() -> LogMel:
    return LogMel().eval()


def _segments(audio: np.ndarray, starts: np.ndarray) -> np.ndarray:
    padded = np.pad(audio, (N_FFT // 2, N_FFT // 2))
    return np.stack([padded[s * HOP : s * HOP + _SEGMENT] for s in starts])


def featurize_audio(
    audio: np.ndarray, n_patches: int = DEFAULT_PATCHES, *, name: str = "audio"
) -> np.ndarray:
    """``(n_patches, 187, 96)`` float32 patches of mono 16 kHz ``audio``."""
    check_audible(audio, name)
    audio = repeat_pad(np.ascontiguousarray(audio, dtype=np.float32))
    starts = patch_starts(n_frames(audio.size), n_patches)
    with torch.inference_mode():
        patches: np.ndarray = _frontend()(
            torch.from_numpy(_segments(audio, starts)), center=False
        ).numpy()
    if not np.isfinite(patches).all():
        raise AudioError(f"{name} gives non-finite features: the audio is corrupt")
    return patches


def featurize_file(path: Path, n_patches: int = DEFAULT_PATCHES) -> np.ndarray:
    """Decode ``path`` and return its ``(n_patches, 187, 96)`` float32 log-mel patches.

    Raises :class:`~store.errors.AudioError` for a corrupt, truncated, silent or
    non-audio file.
    """
    path = Path(path)
    return featurize_audio(decode(path, sample_rate=SAMPLE_RATE), n_patches, name=path.name)
