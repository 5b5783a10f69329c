"""Write float audio to a file with PyAV: the one encoder of the demo corpus, tests and benches.

The container and codec follow the file's suffix. The PyAV wheel's FFmpeg has no Vorbis
encoder worth using (its native one writes wrong lengths), so Ogg means Opus here; Vorbis
decoding is covered by a small committed fixture instead.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np

from classifier.errors import AudioError

__all__ = ["ENCODABLE", "write_audio"]

# suffix -> (container format, codec, sample rate the codec needs or None for any)
_CODECS: dict[str, tuple[str, str, int | None]] = {
    ".wav": ("wav", "pcm_s16le", None),
    ".flac": ("flac", "flac", None),
    ".mp3": ("mp3", "libmp3lame", None),
    ".opus": ("ogg", "libopus", 48000),
    ".ogg": ("ogg", "libopus", 48000),
    ".webm": ("webm", "libopus", 48000),
    ".m4a": ("mp4", "aac", None),
}
ENCODABLE = tuple(_CODECS)
_LAYOUTS = {1: "mono", 2: "stereo"}


def write_audio(
    path: Path,
    audio: np.ndarray,
    sample_rate: int = 16000,
    *,
    tags: dict[str, str] | None = None,
    bit_rate: int | None = None,
) -> Path:
    """Write float ``audio`` at ``sample_rate`` to ``path``, the codec chosen by its suffix.

    ``audio`` is mono ``(n,)`` or ``(n, channels)`` with one or two channels.
    """
    try:
        fmt, codec, rate = _CODECS[path.suffix.lower()]
    except KeyError:
        message = f"{path.name}: cannot write {path.suffix!r} (use one of {ENCODABLE})"
        raise AudioError(message) from None
    planar = np.asarray(audio, dtype=np.float32).reshape(len(audio), -1).T
    layout = _LAYOUTS[planar.shape[0]]
    with av.open(str(path), "w", format=fmt) as container:
        container.metadata.update(tags or {})
        stream = cast(av.AudioStream, container.add_stream(codec, rate=rate or sample_rate))
        stream.layout = layout
        if bit_rate:
            stream.bit_rate = bit_rate
        _encode(container, stream, np.ascontiguousarray(planar), sample_rate)
    return path


def _encode(
    container: av.container.OutputContainer,
    stream: av.AudioStream,
    samples: np.ndarray,
    sample_rate: int,
) -> None:
    resampler = av.AudioResampler(
        format=stream.format.name,
        layout=stream.layout.name,
        rate=stream.rate,
        frame_size=stream.codec_context.frame_size or None,
    )
    frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=stream.layout.name)
    frame.sample_rate = sample_rate
    frame.time_base = Fraction(1, sample_rate)
    frame.pts = 0
    for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
        container.mux(stream.encode(chunk))
    container.mux(stream.encode(None))
