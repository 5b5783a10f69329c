"""Decoding any audio file yt-dlp may return to mono float32 at 16 kHz, with PyAV.

Frames stream from the demuxer through PyAV's resampler (libswresample) one at a
time, so a long file is never held whole at its native rate: only the 16 kHz mono
result is kept. Every failure (no file, not audio, corrupt, truncated, silent)
becomes one :class:`~store.errors.AudioError` naming the file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from classifier.errors import AudioError

__all__ = ["AudioInfo", "check_audible", "decode", "open_audio", "probe", "stream"]

logger = logging.getLogger(__name__)

SILENCE_PEAK = 1e-4  # below this peak amplitude (about -80 dBFS) a track is silent
_TRUNCATED_SHORTFALL = 0.9  # decoded less than this share of the declared duration: truncated
_TRUNCATED_SLACK_S = 2.0


@dataclass(frozen=True)
class AudioInfo:
    """What the container declares about its first audio stream."""

    duration: float | None
    codec: str
    container: str
    sample_rate: int
    channels: int


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise AudioError(f"audio file {path} does not exist: fetch the track again")
    try:
        return av.open(str(path), mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise AudioError(f"{path.name} is not a readable audio file ({exc})") from None


def _audio_stream(container: av.container.InputContainer, path: Path) -> av.AudioStream:
    if not container.streams.audio:
        raise AudioError(f"{path.name} has no audio stream: the URL does not lead to audio")
    return container.streams.audio[0]


@contextmanager
def open_audio(path: Path) -> Iterator[tuple[av.container.InputContainer, av.AudioStream]]:
    """The open container of ``path`` and its first audio stream (:class:`AudioError` if none)."""
    with _open(path) as container:
        yield container, _audio_stream(container, path)


def _duration(container: av.container.InputContainer, stream: av.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def probe(path: Path | str) -> AudioInfo:
    """The declared duration and format of ``path``'s first audio stream."""
    path = Path(path)
    with open_audio(path) as (container, stream):
        return AudioInfo(
            duration=_duration(container, stream),
            codec=stream.codec_context.name,
            container=container.format.name,
            sample_rate=stream.rate or 0,
            channels=stream.channels or 0,
        )


def _resampled(
    container: av.container.InputContainer, stream: av.AudioStream, sample_rate: int
) -> Iterator[np.ndarray]:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    for frame in container.decode(stream):
        for out in resampler.resample(frame):
            yield out.to_ndarray().reshape(-1)
    for out in resampler.resample(None):
        yield out.to_ndarray().reshape(-1)


def stream(
    path: Path | str, *, sample_rate: int = 16000, max_seconds: float | None = None
) -> Iterator[np.ndarray]:
    """Chunks of mono float32 samples at ``sample_rate``, in order, up to ``max_seconds``."""
    path = Path(path)
    limit = None if max_seconds is None else int(max_seconds * sample_rate)
    seen = 0
    with _open(path) as container:
        audio = _audio_stream(container, path)
        try:
            for chunk in _resampled(container, audio, sample_rate):
                if limit is not None and seen + len(chunk) >= limit:
                    yield chunk[: limit - seen]
                    return
                seen += len(chunk)
                yield chunk
        except (av.FFmpegError, ValueError) as exc:
            raise AudioError(
                f"{path.name} is corrupt or truncated: decoding failed after "
                f"{seen / sample_rate:.1f} s ({exc})"
            ) from None


def decode(
    path: Path | str, *, sample_rate: int = 16000, max_seconds: float | None = None
) -> np.ndarray:
    """The whole file (or its first ``max_seconds``) as mono float32 at ``sample_rate``.

    Raises :class:`AudioError` for a missing, non-audio, corrupt, truncated or empty file.
    """
    path = Path(path)
    chunks = list(stream(path, sample_rate=sample_rate, max_seconds=max_seconds))
    audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if audio.size == 0:
        raise AudioError(f"{path.name} holds no audio samples: the file is empty or corrupt")
    if not np.isfinite(audio).all():
        raise AudioError(f"{path.name} decodes to non-finite samples: the file is corrupt")
    if max_seconds is None:
        _check_complete(path, audio.size / sample_rate)
    return audio


def _check_complete(path: Path, decoded_s: float) -> None:
    declared = probe(path).duration
    if declared and decoded_s < declared * _TRUNCATED_SHORTFALL - _TRUNCATED_SLACK_S:
        raise AudioError(
            f"{path.name} is truncated: {decoded_s:.1f} s decoded of {declared:.1f} s declared"
        )


def check_audible(audio: np.ndarray, name: str) -> None:
    """Raise :class:`AudioError` when ``audio`` is silent (peak below about -80 dBFS)."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < SILENCE_PEAK:
        raise AudioError(f"{name} is silent (peak {peak:.1e}): nothing to learn from")
