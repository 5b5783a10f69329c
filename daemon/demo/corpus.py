"""A synthetic music corpus for the demo and the end-to-end test.

Five clearly different styles are synthesised in code (no third-party audio)
and written as real compressed files (Opus, MP3 and FLAC) with PyAV.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier import write_audio

__all__ = ["STYLES", "DemoTrack", "encode", "make_corpus", "synthesize"]

SR = 22050
Signal = np.ndarray


def _t(seconds: float) -> Signal:
    return np.arange(int(seconds * SR)) / SR


def _midi(note: float) -> float:
    return float(440.0 * 2 ** ((note - 69) / 12))


def _place(out: Signal, sound: Signal, at: float) -> None:
    start = int(at * SR)
    end = min(len(out), start + len(sound))
    if start < end:
        out[start:end] += sound[: end - start]


def _lowpass(x: Signal, cutoff: float) -> Signal:
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    spectrum *= 1 / (1 + (freqs / cutoff) ** 4)
    return np.fft.irfft(spectrum, len(x))


def _saw(freq: float, t: Signal, detune: float = 0.0) -> Signal:
    phase = (freq * (1 + detune) * t) % 1.0
    return 2 * phase - 1


def _piano(rng: np.random.Generator, seconds: float) -> Signal:
    out = np.zeros(int(seconds * SR))
    beat = 60 / rng.uniform(62, 78)
    root = int(rng.integers(52, 60))
    scale = [0, 2, 4, 5, 7, 9, 11, 12, 14, 16]
    tone = _t(2.5)
    for i in range(int(seconds / beat)):
        for note in [root + scale[int(rng.integers(0, 10))] + 12, root - 12 + scale[i % 3 * 2]]:
            f = _midi(note)
            partials = sum(np.sin(2 * np.pi * f * k * tone) / k**1.5 for k in range(1, 7))
            _place(out, 0.25 * partials * np.exp(-tone * 2.2), i * beat)
    return out


def _drum_and_bass(rng: np.random.Generator, seconds: float) -> Signal:
    out = np.zeros(int(seconds * SR))
    step = 60 / rng.uniform(168, 176) / 4
    kick_t, snare_t = _t(0.25), _t(0.18)
    kick = np.sin(2 * np.pi * (50 + 120 * np.exp(-kick_t * 30)) * kick_t) * np.exp(-kick_t * 12)
    snare = rng.normal(0, 0.6, len(snare_t)) * np.exp(-snare_t * 18)
    hat_t = _t(0.04)
    hat = np.diff(rng.normal(0, 0.4, len(hat_t) + 1)) * np.exp(-hat_t * 90)
    pattern = {0: kick, 10: kick, 4: snare, 12: snare}
    for i in range(int(seconds / step)):
        _place(out, pattern.get(i % 16, hat if i % 2 else np.zeros(1)), i * step)
    t = _t(seconds)
    bass_note = _midi(int(rng.integers(28, 35)))
    bass = _saw(bass_note, t) + _saw(bass_note, t, 0.01)
    return out + 0.25 * _lowpass(bass, 300)


def _ambient_pad(rng: np.random.Generator, seconds: float) -> Signal:
    t = _t(seconds)
    root = int(rng.integers(45, 57))
    chord_len = rng.uniform(6, 9)
    out = np.zeros(len(t))
    for c in range(int(seconds / chord_len) + 1):
        chord = [root, root + 7, root + 12 + int(rng.choice([3, 4])), root + 19]
        seg = _t(chord_len * 1.5)
        env = np.sin(np.pi * np.clip(seg / (chord_len * 1.5), 0, 1)) ** 2
        voice = sum(_saw(_midi(n), seg, d) for n in chord for d in (-0.004, 0.004))
        _place(out, 0.08 * voice * env, c * chord_len)
    lfo = 500 + 300 * np.sin(2 * np.pi * 0.05 * t)
    return _lowpass(out, float(lfo.mean())) + 0.01 * rng.normal(0, 1, len(t))


def _pluck(freq: float, seconds: float, rng: np.random.Generator) -> Signal:
    """Karplus-Strong string: each period is the damped average of the one before."""
    period = max(2, int(SR / freq))
    blocks = [rng.uniform(-1, 1, period)]
    for _ in range(int(seconds * SR) // period):
        prev = blocks[-1]
        blocks.append(0.498 * (prev + np.roll(prev, -1)))
    return np.concatenate(blocks)[: int(seconds * SR)]


def _guitar(rng: np.random.Generator, seconds: float) -> Signal:
    out = np.zeros(int(seconds * SR))
    step = 60 / rng.uniform(92, 110) / 2
    root = int(rng.integers(45, 52))
    shapes = [[0, 7, 12, 16, 19, 16, 12, 7], [5, 9, 12, 17, 21, 17, 12, 9]]
    plucks = {n: _pluck(_midi(root + n), 1.2, rng) for s in shapes for n in s}
    for i in range(int(seconds / step)):
        shape = shapes[(i // 16) % 2]
        _place(out, 0.35 * plucks[shape[i % 8]], i * step)
    return out


def _brass(rng: np.random.Generator, seconds: float) -> Signal:
    out = np.zeros(int(seconds * SR))
    beat = 60 / rng.uniform(96, 120)
    root = int(rng.integers(50, 58))
    seg = _t(beat * 1.8)
    env = np.minimum(seg / 0.06, 1) * np.exp(-seg * 1.2)
    vibrato = 1 + 0.006 * np.sin(2 * np.pi * 5.5 * seg)
    for i in range(int(seconds / (beat * 2))):
        chord = [root, root + 4, root + 7] if i % 2 == 0 else [root + 5, root + 9, root + 12]
        stab = sum(_saw(_midi(n), seg * vibrato) for n in chord)
        _place(out, 0.12 * _lowpass(stab * env, 1800), i * beat * 2)
    return out


STYLES: dict[str, Callable[[np.random.Generator, float], Signal]] = {
    "piano-ballad": _piano,
    "drum-and-bass": _drum_and_bass,
    "ambient-pad": _ambient_pad,
    "plucked-guitar": _guitar,
    "brass-chords": _brass,
}


def synthesize(style: str, seed: int, seconds: float) -> Signal:
    """Mono float32 audio at 22.05 kHz, peak-normalised to -1 dBFS."""
    audio = STYLES[style](np.random.default_rng(seed), seconds)
    fade = np.minimum(1.0, np.minimum(_t(seconds), _t(seconds)[::-1]) / 0.05)
    audio = audio[: len(fade)] * fade[: len(audio)]
    peak = max(1e-9, float(np.abs(audio).max()))
    normalised: Signal = (0.89 * audio / peak).astype(np.float32)
    return normalised


_SUFFIXES = (".opus", ".mp3", ".flac")


def encode(audio: Signal, path: Path, *, title: str = "", artist: str = "") -> None:
    """Write mono float audio at 22.05 kHz as Opus, MP3 or FLAC (by suffix), tagged."""
    write_audio(path, audio, SR, tags={"title": title, "artist": artist})


@dataclass(frozen=True)
class DemoTrack:
    """One synthesised track: its style, artist, title and file."""

    style: str
    artist: str
    title: str
    path: Path


def make_corpus(
    directory: Path,
    per_style: dict[str, int],
    *,
    seconds: float = 30.0,
    seed: int = 0,
    series: str = "No.",
) -> list[DemoTrack]:
    """Synthesise and encode ``per_style[style]`` tracks of each style into ``directory``.

    ``series`` goes into every title, so two corpora made with different series
    never share a title (tastebud would rightly take them for the same recordings).
    """
    directory.mkdir(parents=True, exist_ok=True)
    tracks = []
    suffixes = list(_SUFFIXES)
    for s_index, (style, count) in enumerate(per_style.items()):
        name = style.replace("-", " ").title()
        for i in range(count):
            artist = f"{name} Ensemble {i % 4 + 1}"
            title = f"{name} {series} {i + 1}"
            path = directory / f"{style}-{i + 1:02d}{suffixes[(i + s_index) % len(suffixes)]}"
            if not path.exists():
                audio = synthesize(style, seed * 10_000 + s_index * 100 + i, seconds)
                encode(audio, path, title=title, artist=artist)
            tracks.append(DemoTrack(style, artist, title, path))
    return tracks
