"""musicnn under onnxruntime: about 3x the torch port's speed on a CPU, same outputs.

The ONNX graph is exported from the torch port, rewritten for onnxruntime's
blocked convolutions (:mod:`classifier.musicnn.export`; the port itself stays
the reference: the fixture tests and training use it), cached beside the weights as
``tastebud-<name>.v<GRAPH_VERSION>.onnx`` (kept in memory where that folder is
read-only), and checked against torch on fixed patches every time a session is
made. Without onnxruntime, or when the check fails, :func:`onnx_session` returns
None and the caller embeds with torch.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from classifier.musicnn.export import ExportGraph
from classifier.musicnn.model import N_MELS, N_TAGS, PATCH_FRAMES, POOLED_DIM, MusiCNN

__all__ = ["GRAPH_VERSION", "TOLERANCE", "OnnxMusicnn", "graph_path", "onnx_session"]

logger = logging.getLogger(__name__)

GRAPH_VERSION = 3
TOLERANCE = 1e-3
"""Largest difference to torch allowed in the pooled features (the float16 cache
rounds them by about 0.025; onnxruntime agrees within 2e-4)."""
CHUNK = 2
"""Patches per onnxruntime call: the front end's maps of a few patches stay in cache
(at 20 patches a call the rate drops by a sixth)."""


class _Outputs(nn.Module):
    """What the embedding path needs of musicnn, as the torch port computes it: the
    reference the exported graph is checked against."""

    def __init__(self, model: MusiCNN) -> None:
        super().__init__()
        self.model = model

    def forward(self, mel: Tensor) -> tuple[Tensor, Tensor]:
        pooled = self.model.pooled(mel)
        logits, _ = self.model.backend(pooled)
        return pooled, torch.sigmoid(logits)


class OnnxMusicnn:
    """An onnxruntime session over the exported graph: log-mel patches in, (pooled, tags) out."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def __call__(self, mel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mel = np.ascontiguousarray(mel, np.float32)
        parts = [
            self.session.run(None, {"mel": mel[i : i + CHUNK]}) for i in range(0, len(mel), CHUNK)
        ]
        if not parts:
            return np.zeros((0, POOLED_DIM), np.float32), np.zeros((0, N_TAGS), np.float32)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def graph_path(name: str, weights: Path) -> Path:
    """Where the exported graph of ``name`` is cached: beside its weights."""
    return weights / f"tastebud-{name}.v{GRAPH_VERSION}.onnx"


def onnx_session(
    model: MusiCNN, name: str, weights: Path, *, threads: int, flush_denormals: bool = False
) -> OnnxMusicnn | None:
    """``model`` under onnxruntime with ``threads`` threads, or None (embed with torch).

    ``flush_denormals`` (5% faster) sets the flush-to-zero flags of the threads that run
    it, the calling thread included: only for a process that does nothing else
    (the fetch job's analysis workers)."""
    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None:
        logger.info("onnxruntime is not installed: embedding with torch (slower)")
        return None
    path = graph_path(name, weights)
    graph = _cached(path)
    for attempt in ("cached", "exported"):
        if graph is None:
            graph = _export(model, path)
        runner = _session(graph, threads, flush_denormals)
        if runner is not None and _agrees(runner, model):
            return runner
        logger.warning("the %s ONNX graph of %s disagrees with torch", attempt, name)
        graph = None
    logger.warning("embedding %s with torch: onnxruntime does not reproduce it", name)
    return None


def _cached(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _export(model: MusiCNN, path: Path) -> bytes:
    with tempfile.TemporaryDirectory(prefix="tastebud-onnx-") as tmp:
        graph = _export_to(model, Path(tmp) / "musicnn.onnx")
    try:
        _write_atomically(path, graph)
        logger.info("exported musicnn to %s", path)
        for stale in path.parent.glob(path.name.replace(f".v{GRAPH_VERSION}.", ".v*.")):
            if stale != path:
                stale.unlink(missing_ok=True)  # an older graph version, never read again
    except OSError as exc:
        logger.info("cannot cache the ONNX graph at %s (%s): kept in memory", path, exc)
    return graph


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file of this writer's own: analysis workers
    exporting at once never write into, or rename, each other's half-written file."""
    with tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as out:
        partial = Path(out.name)
        try:
            out.write(data)
        except OSError:
            partial.unlink(missing_ok=True)
            raise
    try:
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


def _export_to(model: MusiCNN, target: Path) -> bytes:
    example = torch.zeros(2, PATCH_FRAMES, N_MELS)
    axes = {"mel": {0: "patches"}, "pooled": {0: "patches"}, "tags": {0: "patches"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
        torch.onnx.export(
            ExportGraph(model).eval(), (example,), str(target), input_names=["mel"],
            output_names=["pooled", "tags"], dynamic_axes=axes, opset_version=17,
            dynamo=False,
        )  # fmt: skip
    return target.read_bytes()


def _session(graph: bytes, threads: int, flush_denormals: bool) -> OnnxMusicnn | None:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if flush_denormals:
        options.add_session_config_entry("session.set_denormal_as_zero", "1")
    try:
        return OnnxMusicnn(ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"]))
    except Exception as exc:  # onnxruntime raises its own types for a bad graph
        logger.info("onnxruntime cannot load the graph: %s", exc)
        return None


def _agrees(runner: OnnxMusicnn, model: MusiCNN) -> bool:
    """Whether ``runner`` reproduces ``model`` on fixed log-mel-like patches."""
    mel = np.random.default_rng(0).uniform(0, 3, (3, PATCH_FRAMES, N_MELS)).astype(np.float32)
    with torch.inference_mode():
        pooled, tags = _Outputs(model).eval()(torch.from_numpy(mel))
    got_pooled, got_tags = runner(mel)
    pooled_err = float(np.abs(got_pooled - pooled.numpy()).max())
    tags_err = float(np.abs(got_tags - tags.numpy()).max())
    logger.debug("onnxruntime vs torch: pooled %.1e, tags %.1e", pooled_err, tags_err)
    return pooled_err <= TOLERANCE and tags_err <= TOLERANCE
