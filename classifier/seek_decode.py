"""Decoding only the spans of a file the model hears: seek to each, decode a few seconds.

A 4-minute track is decoded whole today though musicnn hears 10 x 3 s of it;
seeking to each excerpt and decoding ~3.5 s from there is several times faster
and gives the same samples. Timestamps after a seek are not exact everywhere:
WebM stores them in whole milliseconds and the first frame after an Ogg seek may
be ~10 ms off, so each span is placed by the timestamp of the *second* frame
decoded after the seek and the samples counted from there. Where a file cannot be
trusted to seek (no declared duration, as in a WebM without Cues; raw ADTS ``.aac``,
whose declared duration is an estimate; a short track) :func:`seekable` says no
and the caller decodes the whole file.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import numpy as np

from classifier.audio import AudioInfo, open_audio
from classifier.errors import AudioError

__all__ = ["MIN_SEEK_SECONDS", "decode_spans", "seekable"]

logger = logging.getLogger(__name__)

MIN_SEEK_SECONDS = 30.0
"""Shorter tracks are decoded whole: seeking would save little."""
_PREROLL_S = 0.5  # seek this far before a span: the codec's pre-roll and the anchor frame
_SKIP_MARGIN_S = 0.25
"""Where a seek lands early (WebM: at a cluster, seconds before), packets are decoded
from this far before the pre-roll on: more than any codec's own pre-roll (Opus 80 ms)."""
_UNTRUSTED_CONTAINERS = ("aac",)  # raw ADTS: the duration is estimated from the bit rate


def seekable(info: AudioInfo) -> bool:
    """Whether spans of a file like ``info`` can be decoded by seeking."""
    return (
        info.duration is not None
        and info.duration >= MIN_SEEK_SECONDS
        and info.container not in _UNTRUSTED_CONTAINERS
    )


def decode_spans(
    path: Path | str, starts: np.ndarray, length: int, *, sample_rate: int = 16000
) -> np.ndarray | None:
    """``(len(starts), length)`` mono float32 samples at ``sample_rate``: span ``i`` begins
    at sample ``starts[i]`` of the decoded track (as :func:`classifier.audio.decode` counts).

    None when the file does not seek where asked (the caller decodes it whole). Raises
    :class:`AudioError` when a span runs past the end of the audio (truncated).
    """
    path = Path(path)
    out = np.empty((len(starts), length), np.float32)
    with open_audio(path) as (container, stream):
        phase = _timestamp_phase(container, stream)
        source = _Source(container, stream, path)
        for i, start in enumerate(starts.tolist()):
            begin_s = int(start) / sample_rate + phase  # on the timestamps' clock
            span = _span(source, begin_s, length, sample_rate)
            cut = None if span is None else _cut(path, span, begin_s, length, sample_rate)
            if cut is None:
                logger.info("%s does not seek accurately: decoding it whole", path.name)
                return None
            out[i] = cut
    return out


def _timestamp_phase(container: av.container.InputContainer, stream: av.AudioStream) -> float:
    """Seconds by which coarse timestamps (WebM's whole milliseconds) run ahead of the
    samples: frames after a first short one (Opus's pre-skip) are stamped rounded. The
    phase is the same for every later frame, so two frames at the start tell it."""
    rate = stream.rate or 0
    if stream.time_base is None or not rate or stream.time_base <= Fraction(1, rate):
        return 0.0
    frames = []
    for frame in container.decode(stream):
        frames.append(frame)
        if len(frames) == 2:
            break
    if len(frames) < 2 or frames[0].pts is None or frames[1].pts is None:
        return 0.0
    stamped = float((frames[1].pts - frames[0].pts) * stream.time_base)
    return stamped - frames[0].samples / rate


@dataclass(frozen=True)
class _Source:
    container: av.container.InputContainer
    stream: av.AudioStream
    path: Path


def _span(
    source: _Source, begin_s: float, length: int, sample_rate: int
) -> tuple[float, np.ndarray] | None:
    """(anchor frame's timestamp, the samples from it) covering ``length`` samples
    from ``begin_s``, decoded after a seek a little before it; None if it cannot seek."""
    stream = source.stream
    time_base = stream.time_base or Fraction(1, stream.rate or sample_rate)
    target = max(0.0, begin_s - _PREROLL_S)
    try:
        source.container.seek(int(target / time_base), stream=stream, backward=True)
    except (av.FFmpegError, ValueError):
        return None
    window = (target, begin_s + length / sample_rate)
    anchor, chunks = _decode_from_anchor(source, window, sample_rate)
    return anchor, np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def _cut(
    path: Path, span: tuple[float, np.ndarray], begin_s: float, length: int, sample_rate: int
) -> np.ndarray | None:
    """``length`` samples from ``begin_s`` (on the timestamps' clock) out of ``span``;
    None when the seek landed after ``begin_s``."""
    anchor, samples = span
    offset = round((begin_s - anchor) * sample_rate)
    if offset < 0:
        return None
    if samples.size < offset + length:
        end = begin_s + length / sample_rate
        raise AudioError(f"{path.name} is truncated: the audio ends before {end:.1f} s")
    return samples[offset : offset + length]


def _decode_from_anchor(
    source: _Source, window: tuple[float, float], sample_rate: int
) -> tuple[float, list[np.ndarray]]:
    """(time of the anchor frame, 16 kHz chunks from it) decoded until the window's end.

    The anchor is the first frame after the seek that does not end before the window
    starts and whose timestamp follows from the frame before it (timestamp plus
    samples): where a container seeks coarsely (WebM to a cluster seconds early), the
    frames before are decoded for the codec's state but not resampled, and a frame
    stamped off the sample count is never the anchor (Ogg Vorbis stamps a frame where
    the block size changes 448 samples, 10 ms at 44.1 kHz, ahead of its samples).
    From the anchor on, samples are counted, not timestamps."""
    path, (start_s, end_s) = source.path, window
    run, expected = _Run(sample_rate), None
    ticks: dict[Fraction, float] = {}
    try:
        for frame in _frames(source, start_s - _SKIP_MARGIN_S):
            if frame.pts is None or frame.time_base is None:
                expected = None
                continue
            per_tick = ticks.get(frame.time_base) or ticks.setdefault(
                frame.time_base, float(frame.time_base * frame.sample_rate)
            )  # samples per timestamp tick
            first, tick = round(frame.pts * per_tick), math.ceil(per_tick)
            follows = expected is not None and abs(first - expected) <= tick
            expected = first + frame.samples
            if run.anchor is None and not follows:
                continue
            run.add(frame, start_s)
            if run.covers(end_s):
                break
    except (av.FFmpegError, ValueError) as exc:
        raise AudioError(
            f"{path.name} is corrupt or truncated: decoding before {end_s:.1f} s failed ({exc})"
        ) from None
    if run.anchor is None:
        raise AudioError(f"{path.name} is truncated: no audio before {end_s:.1f} s")
    return run.anchor, run.chunks


def _frames(source: _Source, skip_until: float) -> Iterator[av.AudioFrame]:
    """The stream's frames from the seek on, the packets that end before ``skip_until``
    read but not decoded (the decoder starts fresh after a seek, as after a precise one)."""
    time_base = source.stream.time_base
    limit = skip_until / float(time_base) if time_base else -math.inf  # in stream ticks
    decoding = False
    for packet in source.container.demux(source.stream):
        if not decoding and packet.pts is not None and packet.pts + (packet.duration or 0) < limit:
            continue
        decoding = True
        yield from packet.decode()


class _Run:
    """Samples resampled to ``sample_rate`` from an anchor frame on."""

    def __init__(self, sample_rate: int) -> None:
        self.rate = sample_rate
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        self.anchor: float | None = None
        self.chunks: list[np.ndarray] = []
        self.have = 0

    def add(self, frame: av.AudioFrame, start_s: float) -> None:
        """Resample ``frame``; before the anchor, only one that reaches ``start_s`` and
        can start on the sample grid becomes it."""
        if self.anchor is None:
            aligned = None if _frame_end(frame) < start_s else _on_grid(frame, self.rate)
            if aligned is None:
                return
            self.anchor, frame = aligned
        for out in self.resampler.resample(frame):
            self.chunks.append(out.to_ndarray().reshape(-1))
            self.have += self.chunks[-1].size

    def covers(self, end_s: float) -> bool:
        """Whether the samples reach ``end_s``."""
        return self.anchor is not None and self.have >= (end_s - self.anchor) * self.rate


def _frame_end(frame: av.AudioFrame) -> float:
    """Seconds at which ``frame`` (with a timestamp) ends."""
    assert frame.pts is not None
    assert frame.time_base is not None
    return float(frame.pts * frame.time_base) + frame.samples / frame.sample_rate


def _on_grid(frame: av.AudioFrame, sample_rate: int) -> tuple[float, av.AudioFrame] | None:
    """(start time, ``frame`` less its first samples) so that it starts on a sample of
    the ``sample_rate`` grid that a whole-file decode resamples onto (at 44.1 kHz every
    441st sample; else the spans are a fraction of a sample off); None if it ends first."""
    assert frame.pts is not None
    assert frame.time_base is not None
    rate = frame.sample_rate
    first = round(frame.pts * frame.time_base * rate)
    drop = -first % (rate // math.gcd(rate, sample_rate))
    if drop >= frame.samples:
        return None
    start = (first + drop) / rate
    if drop == 0:
        return start, frame
    samples = frame.to_ndarray()
    per_sample = 1 if frame.format.is_planar else len(frame.layout.channels)
    trimmed = av.AudioFrame.from_ndarray(
        cast(Any, np.ascontiguousarray(samples[:, drop * per_sample :])),
        format=frame.format.name,
        layout=frame.layout.name,
    )
    trimmed.sample_rate = rate
    return start, trimmed
