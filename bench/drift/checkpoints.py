"""Every checkpoint the ``musicnn`` wheel ships, run over a corpus: per-patch features and
tags cached per corpus, and each checkpoint's embedding time per track.

The wheel (``musicnn==0.1.0``) ships ``MSD_musicnn``, ``MTT_musicnn``, ``MSD_vgg`` and
``MTT_vgg``; ``MSD_musicnn_big`` is only in the project's source tree, not in the wheel,
so it is not here. The corpus cache (:mod:`bench.drift.corpus`) already holds
``MSD_musicnn``'s back-end input and tags; this module adds the other three from the
same log-mel patches (the daemon's front end, :data:`~bench.drift.corpus.N_PATCHES` a
track): the musicnns' back-end input (1506 per patch) and the VGGs' pool5 (256 per
patch, the dense layer's input) and pool4's global max and mean (256), each with its 50
tag probabilities, in ``bench/.cache/<cache_stem>_checkpoints.v1.npz``.
"""

from __future__ import annotations

import logging
import math
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from bench.common import CACHE, timer
from bench.drift.corpus import N_PATCHES, Corpus
from classifier import (
    N_MELS,
    PATCH_FRAMES,
    AudioError,
    decode,
    embed_patches,
    featurize_audio,
    load_musicnn,
)
from classifier.musicnn import CHECKPOINTS, VGG_NAMES, load_vgg
from classifier.musicnn.runtime import onnx_session

logger = logging.getLogger(__name__)

TODAY = "MSD_musicnn"
OTHERS = tuple(name for name in CHECKPOINTS if name != TODAY)
REPEATS = 3

Runner = Callable[[np.ndarray], dict[str, np.ndarray]]


def runner(name: str) -> Runner:
    """Log-mel patches (P, 187, 96) -> ``{name: features, name/tags: tags, ...}`` for
    checkpoint ``name`` (VGGs also give ``name/pool4``)."""
    if name not in VGG_NAMES:
        musicnn = load_musicnn(name)

        def run_musicnn(patches: np.ndarray) -> dict[str, np.ndarray]:
            features, tags = embed_patches(musicnn, patches)
            return {name: features, f"{name}/tags": tags}

        return run_musicnn
    vgg = load_vgg(name)

    def run_vgg(patches: np.ndarray) -> dict[str, np.ndarray]:
        with torch.inference_mode():
            out = vgg(torch.from_numpy(np.ascontiguousarray(patches, dtype=np.float32)))
        pool4 = torch.cat([out.pool4_max, out.pool4_mean], dim=1)
        return {
            name: out.pool5.numpy().astype(np.float16),
            f"{name}/pool4": pool4.numpy().astype(np.float16),
            f"{name}/tags": out.taggram.numpy(),
        }

    return run_vgg


def seconds_per_track(name: str) -> float:
    """Embedding time of one track (:data:`N_PATCHES` random log-mel patches, one call) by
    checkpoint ``name`` on torch's current threads, best of :data:`REPEATS` (as the
    "Embedding throughput" section of bench/RESULTS.md measures musicnn)."""
    return _best_seconds(runner(name))


def onnx_seconds_per_track(name: str) -> float:
    """:func:`seconds_per_track` under onnxruntime on one thread, as the daemon embeds:
    musicnn through its own export (:func:`classifier.musicnn.runtime.onnx_session`), a
    VGG exported plainly; NaN where the graph does not reproduce torch."""
    with tempfile.TemporaryDirectory(prefix="tastebud-study-") as tmp:
        run = _onnx_runner(name, Path(tmp))
        return math.nan if run is None else _best_seconds(run)


def _best_seconds(run: Callable[[np.ndarray], object]) -> float:
    shape = (N_PATCHES, PATCH_FRAMES, N_MELS)
    patches = np.random.default_rng(0).normal(2.0, 1.0, shape).astype(np.float32)
    run(patches[:2])  # warm-up
    best = np.inf
    for _ in range(REPEATS):
        with timer() as t:
            run(patches)
        best = min(best, t[0])
    return float(best)


def _onnx_runner(name: str, tmp: Path) -> Callable[[np.ndarray], object] | None:
    if name not in VGG_NAMES:
        return onnx_session(load_musicnn(name), name, tmp, threads=1)
    import onnxruntime as ort

    vgg, path = load_vgg(name), tmp / f"{name}.onnx"
    example = torch.zeros(2, PATCH_FRAMES, N_MELS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
        torch.onnx.export(
            _VggExport(vgg).eval(), (example,), str(path), input_names=["mel"],
            dynamic_axes={"mel": {0: "patches"}}, opset_version=17, dynamo=False,
        )  # fmt: skip
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        want = vgg(example + 2.0).taggram.numpy()
    got = session.run(None, {"mel": example.numpy() + 2.0})[1]
    if float(np.abs(got - want).max()) > 1e-3:
        return None
    return lambda mel: session.run(None, {"mel": mel})


class _VggExport(torch.nn.Module):
    def __init__(self, vgg: torch.nn.Module) -> None:
        super().__init__()
        self.vgg = vgg

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.vgg(mel)
        return out.pool5, out.taggram


def cache_path(corpus: Corpus) -> str:
    """Where the other checkpoints' outputs for ``corpus`` are cached."""
    return str(CACHE / f"{corpus.spec.cache_stem}_checkpoints.v1.npz")


def outputs(corpus: Corpus) -> dict[str, np.ndarray]:
    """Every checkpoint's per-track arrays (N, P, D) for ``corpus``, keyed as
    :func:`runner` keys them, ``MSD_musicnn`` and its tags from the corpus cache."""
    path = cache_path(corpus)
    try:
        with np.load(path) as npz:
            data = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        data = _compute(corpus)
        np.savez(path, **data)  # type: ignore[arg-type]
    if [str(p) for p in data.pop("paths")] != corpus.paths:
        raise SystemExit(f"{path} was made from other tracks: delete it and run again")
    return {TODAY: corpus.features, f"{TODAY}/tags": corpus.tags, **data}


def _compute(corpus: Corpus) -> dict[str, np.ndarray]:
    runners = [runner(name) for name in OTHERS]
    rows: dict[str, list[np.ndarray]] = {}
    for i, path in enumerate(corpus.paths):
        try:
            patches = featurize_audio(decode(CACHE / path), N_PATCHES, name=path)
        except AudioError as exc:  # the corpus holds only tracks that decoded once
            raise SystemExit(f"{path} no longer decodes: {exc}") from exc
        for run in runners:
            for key, value in run(patches).items():
                rows.setdefault(key, []).append(value)
        logger.info("%d/%d %s", i + 1, len(corpus.paths), path)
    return {"paths": np.array(corpus.paths), **{k: np.stack(v) for k, v in rows.items()}}
