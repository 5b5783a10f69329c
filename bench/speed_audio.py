"""The speed benchmark's audio side: real 4-5 minute recordings, decoding, embedding.

The tracks are the game soundtracks of the drift benchmark's Debian packages
(:mod:`bench.drift.corpus`, downloaded once into ``bench/.cache/``) that last
4 to 5 minutes: Ogg Vorbis as shipped, and others transcoded with PyAV to
Opus/WebM and AAC/M4A at 128 kb/s into ``bench/.cache/speed/`` (the codecs
yt-dlp fetches). "Today's path" is the whole-file decode and the torch port of
musicnn, one track after another; the fidelity columns compare other paths with it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from bench.common import CACHE
from bench.drift.corpus import SPECS, duration_s, music_files
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

__all__ = [
    "CODECS",
    "audiomuse",
    "corpus",
    "embed_mean",
    "fidelity",
    "flops_per_patch",
    "interleaved",
    "mean_of",
    "sgemm_flops",
    "today",
    "worker_rate",
]

SECONDS = (240.0, 300.0)
PER_CODEC = 8
CODECS = {"ogg": "Ogg Vorbis", "webm": "Opus/WebM", "m4a": "AAC/M4A"}
FOLDER = CACHE / "speed"
TRANSCODE_RATE = 44100


def recordings() -> list[Path]:
    """Every 4-5 minute music file of the drift corpora's packages, the packages taken
    in turn (the first of each, then the second...) so that each codec gets several."""
    by_package = [
        sorted(p for p in music_files(spec, package) if SECONDS[0] <= duration_s(p) <= SECONDS[1])
        for spec in SPECS.values()
        for package in spec.packages
    ]
    longest = max((len(files) for files in by_package), default=0)
    return [files[i] for i in range(longest) for files in by_package if i < len(files)]


def corpus() -> dict[str, list[Path]]:
    """:data:`PER_CODEC` recordings per codec: Vorbis files as shipped, the rest
    transcoded (once) to WebM and M4A."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    found = recordings()
    vorbis = [p for p in found if p.suffix == ".ogg"][:PER_CODEC]
    rest = [p for p in found if p not in vorbis]
    if len(vorbis) < PER_CODEC or len(rest) < 2 * PER_CODEC:
        raise SystemExit(f"speed corpus: {len(found)} recordings of 4-5 min, need {3 * PER_CODEC}")
    out: dict[str, list[Path]] = {"ogg": vorbis, "webm": [], "m4a": []}
    for i, source in enumerate(rest[: 2 * PER_CODEC]):
        ext = "webm" if i < PER_CODEC else "m4a"
        target = FOLDER / f"{source.stem}.{ext}"
        if not target.exists():
            _transcode(source, target)
        out[ext].append(target)
    return out


def _transcode(source: Path, target: Path) -> None:
    mono = decode(source, sample_rate=TRANSCODE_RATE)
    tmp = target.with_name("tmp-" + target.name)
    write_audio(tmp, np.stack([mono, mono], axis=1), TRANSCODE_RATE, bit_rate=128_000)
    tmp.replace(target)


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


def sgemm_flops(seconds: float, size: int = 1024) -> float:
    """Single-precision matmul FLOP/s on the calling thread's torch threads, sustained
    over about ``seconds`` (one short matmul catches the machine's quiet moments and
    turbo clock, which a workload measured over ``seconds`` does not)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    out = torch.empty(size, size)
    torch.mm(a, b, out=out)
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        torch.mm(a, b, out=out)
        count += 1
    return 2 * size**3 * count / elapsed


def flops_per_patch(model: MusiCNN) -> float:
    """Multiply-adds x 2 of musicnn's forward on one patch (torch's FLOP counter)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.zeros(4, PATCH_FRAMES, N_MELS))
    return float(counter.get_total_flops()) / 4


def worker_rate(key: str, graph_dir: Path, patches: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(patches/s, sgemm FLOP/s, features) of onnxruntime configured as an analysis worker
    process runs it; call in a process of its own (it flushes the thread's denormals)."""
    torch.set_num_threads(1)
    embedder = Embedder.load(key, threads=1, graph_dir=graph_dir, flush_denormals=True)
    rate, sgemm = interleaved(embedder, patches)
    return rate, sgemm, embedder(patches)[0]


def interleaved(embedder: Embedder, patches: np.ndarray, rounds: int = 10) -> tuple[float, float]:
    """(patches/s, single-thread sgemm FLOP/s), each the best of ``rounds`` windows
    measured in turn and of the same length: a ratio of the two is not skewed by the
    machine's load changing between them."""
    embedder(patches[:4])
    rate, sgemm = 0.0, 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        embedder(patches)
        seconds = time.perf_counter() - start
        rate = max(rate, len(patches) / seconds)
        sgemm = max(sgemm, sgemm_flops(seconds))
    return rate, sgemm


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
