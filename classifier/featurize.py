"""Audio file -> ``(n_patches, 187, 96)`` log-mel patches, the input of musicnn.

Each patch equals the matching 187 rows of the front end run over the whole track
(centred, zero-padded frames), but only the patches' own samples go through the STFT.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch

from classifier.audio import AudioInfo, check_audible, decode, probe
from classifier.errors import AudioError
from classifier.logmel import HOP, N_FFT, SAMPLE_RATE, LogMel
from classifier.patches import DEFAULT_PATCHES, PATCH_FRAMES, n_frames, patch_starts, repeat_pad
from classifier.seek_decode import decode_spans, seekable

__all__ = ["featurize_audio", "featurize_file", "featurize_track"]

_SEGMENT = (PATCH_FRAMES - 1) * HOP + N_FFT  # samples under one patch, STFT context included


@functools.cache
def _logmel() -> LogMel:
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
    return _log_mel(_segments(audio, starts), name)


def _log_mel(segments: np.ndarray, name: str) -> np.ndarray:
    with torch.inference_mode():
        patches: np.ndarray = _logmel()(torch.from_numpy(segments), center=False).numpy()
    if not np.isfinite(patches).all():
        raise AudioError(f"{name} gives non-finite features: the audio is corrupt")
    return patches


def featurize_file(
    path: Path, n_patches: int = DEFAULT_PATCHES, *, seek: bool = True
) -> np.ndarray:
    """Decode ``path`` and return its ``(n_patches, 187, 96)`` float32 log-mel patches.

    Decodes only the patches' own samples by seeking where the file allows it
    (:func:`classifier.seek_decode.seekable`), else the whole file; ``seek=False`` always
    decodes it whole. Raises :class:`~store.errors.AudioError` for a corrupt,
    truncated, silent or non-audio file; with seeking, truncated means a patch
    lies past the end of the audio and silent means every patch is.
    """
    return featurize_track(path, n_patches, seek=seek)[0]


def featurize_track(
    path: Path, n_patches: int = DEFAULT_PATCHES, *, seek: bool = True
) -> tuple[np.ndarray, float]:
    """:func:`featurize_file`'s patches and the track's duration in seconds (as declared
    where it seeks, as decoded where it decodes the whole file)."""
    path = Path(path)
    info = probe(path) if seek else None
    segments = _seek_segments(path, info, n_patches) if info is not None else None
    if segments is None or info is None or info.duration is None:
        audio = decode(path, sample_rate=SAMPLE_RATE)
        return featurize_audio(audio, n_patches, name=path.name), audio.size / SAMPLE_RATE
    check_audible(segments, path.name)
    return _log_mel(segments, path.name), info.duration


def _seek_segments(path: Path, info: AudioInfo, n_patches: int) -> np.ndarray | None:
    """The patches' samples (with STFT context) by seeking, or None where it cannot."""
    if info.duration is None or not seekable(info):
        return None
    total = round(info.duration * SAMPLE_RATE)
    starts = patch_starts(n_frames(total), n_patches) * HOP - N_FFT // 2
    return decode_spans(path, starts, _SEGMENT, sample_rate=SAMPLE_RATE)
