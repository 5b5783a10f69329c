"""The speed benchmark's audio side: a corpus of 4.5-minute tracks, decoding, embedding.

Tracks are synthesised with the demo's styles (daemon.demo.corpus) and written as
Ogg Vorbis (oggenc, when vorbis-tools is installed), Opus/WebM and AAC/M4A at
128 kb/s into ``bench/.cache/speed/``. "Today's path" is the whole-file decode and
the torch port of musicnn, one track after another; the fidelity columns compare
other paths with it.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import torch

from bench.common import CACHE
from classifier import (
    N_MELS,
    PATCH_FRAMES,
    Embedder,
    MusiCNN,
    decode,
    embed_patches,
    featurize_audio,
    featurize_file,
    write_audio,
)
from daemon.demo.corpus import SR, STYLES, synthesize

__all__ = [
    "CODECS",
    "audiomuse",
    "corpus",
    "embed_mean",
    "fidelity",
    "flops_per_patch",
    "mean_of",
    "patches_per_s",
    "sgemm_flops",
    "today",
]

TRACK_SECONDS = 270.0
PER_CODEC = 4
CODECS = {"vorbis.ogg": "Ogg Vorbis", "webm": "Opus/WebM", "m4a": "AAC/M4A"}
FOLDER = CACHE / "speed"


def corpus() -> dict[str, list[Path]]:
    """Tracks per codec (those whose encoder is present), synthesised on first use."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[Path]] = {}
    styles = sorted(STYLES)
    for ext in CODECS:
        if ext == "vorbis.ogg" and shutil.which("oggenc") is None:
            continue
        out[ext] = []
        for i in range(PER_CODEC):
            path = FOLDER / f"{ext.split('.')[0]}{i}.{ext}"
            if not path.exists():
                audio = synthesize(styles[(i + len(out)) % len(styles)], 100 + i, TRACK_SECONDS)
                _encode(path, np.stack([audio, 0.9 * audio], axis=1))
            out[ext].append(path)
    return out


def _encode(path: Path, stereo: np.ndarray) -> None:
    tmp = path.with_name("tmp-" + path.name)
    if path.name.endswith(".vorbis.ogg"):
        wav = write_audio(path.with_suffix(".wav"), stereo, SR)
        subprocess.run(["oggenc", "-Q", "-b", "128", "-o", str(tmp), str(wav)], check=True)
        wav.unlink()
    else:
        write_audio(tmp, stereo, SR, bit_rate=128_000)
    tmp.replace(path)


def today(paths: list[Path], model: MusiCNN) -> np.ndarray:
    """Mean track features (N, 1506) by today's path: whole decode, torch musicnn."""
    return np.stack([embed_mean(model, featurize_file(p, seek=False)) for p in paths])


def _mean(features: np.ndarray) -> np.ndarray:
    mean: np.ndarray = features.astype(np.float32).mean(axis=0)
    return mean


def fidelity(got: np.ndarray, reference: np.ndarray) -> str:
    """ "max abs feature difference, Spearman of track similarities, worst track cosine"
    of mean track features ``got`` against ``reference``."""
    diff = float(np.abs(got - reference).max())
    spearman = _spearman(_similarities(got), _similarities(reference))
    cosine = (
        (got * reference).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(reference, axis=1)
    )
    return f"{diff:.3f}, {spearman:.5f}, {float(cosine.min()):.5f}"


def _similarities(vectors: np.ndarray) -> np.ndarray:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = unit @ unit.T
    upper: np.ndarray = sims[np.triu_indices(len(vectors), 1)]
    return upper


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def sgemm_flops(threads: int = 1, size: int = 1024) -> float:
    """Single-precision matmul FLOP/s with ``threads`` torch threads (best of 5)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    out = torch.empty(size, size)
    best = float("inf")
    for _ in range(6):
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    torch.set_num_threads(before)
    return 2 * size**3 / best


def flops_per_patch(model: MusiCNN) -> float:
    """Multiply-adds x 2 of musicnn's forward on one patch (torch's FLOP counter)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.zeros(4, PATCH_FRAMES, N_MELS))
    return float(counter.get_total_flops()) / 4


def patches_per_s(embedder: Embedder, patches: np.ndarray, repeats: int = 5) -> float:
    """Patches embedded per second (best of ``repeats`` batches)."""
    embedder(patches[:4])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        embedder(patches)
        best = min(best, time.perf_counter() - start)
    return len(patches) / best


def audiomuse(paths: list[Path], embedder: Embedder) -> tuple[float, np.ndarray]:
    """(seconds, mean features): whole-file decode, same model, one process, in turn."""
    start = time.perf_counter()
    means = [_mean(embedder(featurize_audio(decode(p), name=p.name))[0]) for p in paths]
    return time.perf_counter() - start, np.stack(means)


def embed_mean(model: MusiCNN, patches: np.ndarray) -> np.ndarray:
    """Mean features of ``patches`` under the torch port."""
    return _mean(embed_patches(model, patches)[0])


def mean_of(embedding: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Mean features of a stored embedding."""
    if embedding is None:
        raise ValueError("a ready track without an embedding")
    return _mean(embedding[0])
