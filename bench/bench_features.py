"""Decode + features throughput: 20 four-minute tracks (10 Opus/WebM, 10 AAC/M4A).

The audio is synthesized once into ``bench/.cache/features/`` (48 kHz and 44.1 kHz
stereo, as YouTube serves it). Each track goes through ``featurize_file`` (PyAV
decode and resample to 16 kHz mono, 10 log-mel patches); the measurement runs in a
fresh process so its peak memory is the pipeline's own.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from bench.common import CACHE, machine, write_section
from classifier import featurize_file, write_audio

__all__ = ["main"]

TRACK_SECONDS = 240.0
TRACKS_PER_CODEC = 10
CODECS = {"webm": 48000, "m4a": 44100}  # ext -> sample rate (Opus/WebM, AAC/M4A)
FOLDER = CACHE / "features"


def _music(seconds: float, rate: int, seed: int) -> np.ndarray:
    """Stereo float32 music-like audio: chords on a beat, a bass line, noise hats."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    beat = np.exp(-6 * (t % 0.5))
    chord = sum(np.sin(2 * np.pi * f * t) for f in rng.uniform(200, 900, 3)) / 3
    bass = np.sin(2 * np.pi * rng.uniform(40, 90) * t) * (0.5 + 0.5 * beat)
    hats = rng.standard_normal(t.size) * np.exp(-40 * (t % 0.25))
    mono = 0.3 * chord + 0.3 * bass + 0.05 * hats
    return np.stack([mono, 0.9 * mono]).astype(np.float32)


def _encode(path: Path, audio: np.ndarray, rate: int) -> None:
    """Write stereo ``audio`` (2, n) at 128 kb/s, atomically (a temp file, then renamed)."""
    tmp = path.with_suffix(".tmp" + path.suffix)
    write_audio(tmp, audio.T, rate, bit_rate=128_000)
    tmp.replace(path)


def corpus() -> list[Path]:
    """The benchmark tracks, synthesized on first use."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext, rate in CODECS.items():
        for i in range(TRACKS_PER_CODEC):
            path = FOLDER / f"track{i:02d}.{ext}"
            if not path.exists():
                _encode(path, _music(TRACK_SECONDS, rate, seed=i), rate)
            paths.append(path)
    return paths


def _peak_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _measure(paths: list[Path], workers: int) -> tuple[float, float]:
    """(seconds of audio per wall second, peak RSS MiB) in this (fresh) process."""
    torch.set_num_threads(1)
    featurize_file(paths[0])  # warm up: imports, filterbank
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        shapes = list(pool.map(featurize_file, paths))
    elapsed = time.perf_counter() - start
    assert all(s.shape == (10, 187, 96) for s in shapes)
    return len(paths) * TRACK_SECONDS / elapsed, _peak_mib()


def _in_fresh_process(paths: list[Path], workers: int) -> tuple[float, float]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (paths, workers))


def main() -> str:
    """Measure, write the ``features`` section of bench/RESULTS.md, and return it."""
    paths = corpus()
    runs = [
        ("Opus/WebM", paths[:TRACKS_PER_CODEC], 2),
        ("AAC/M4A", paths[TRACKS_PER_CODEC:], 2),
        ("all 20", paths, 1),
        ("all 20", paths, 2),
    ]
    rows = []
    for label, subset, workers in runs:
        speed, peak = _in_fresh_process(subset, workers)
        rows.append(f"| {label} | {len(subset)} | {workers} | {speed:.0f}x | {peak:.0f} |")
    table = "\n".join(
        [
            "## Decode + features (`featurize_file`)",
            "",
            f"{TRACKS_PER_CODEC} + {TRACKS_PER_CODEC} tracks of {TRACK_SECONDS / 60:.0f} min "
            "(stereo, 128 kb/s); PyAV decode and resample to 16 kHz mono, 10 log-mel patches "
            "each; one torch thread per worker.",
            "",
            "| codec | tracks | workers | audio s per s | peak RSS (MiB) |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    write_section("features", table)
    return table


if __name__ == "__main__":
    print(main())
    print(machine())
