"""musicnn under onnxruntime: exported from the torch port, cached, checked, or torch."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from classifier.embed import Embedder, embed_patches
from classifier.musicnn.export import ExportGraph
from classifier.musicnn.model import MusiCNN
from classifier.musicnn.runtime import TOLERANCE, _export, _write_atomically, graph_path

needs_onnx = pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None,
    reason="onnxruntime and onnx are not installed (pip install -e .)",
)
NAME = "MSD_musicnn"


def _patches() -> np.ndarray:
    return np.random.default_rng(5).uniform(0, 3, (12, 187, 96)).astype(np.float32)


@needs_onnx
def test_onnxruntime_embeds_as_torch_and_caches_the_graph(tmp_path: Path) -> None:
    older = tmp_path / f"tastebud-{NAME}.v1.onnx"
    older.write_bytes(b"an older graph version")
    embedder = Embedder.load(NAME, graph_dir=tmp_path)
    assert not older.exists()  # replaced by this version's graph
    assert embedder.engine == "onnxruntime"
    features, tags = embedder(_patches(), batch_size=5)
    ref_features, ref_tags = embed_patches(embedder.model, _patches())
    assert features.dtype == np.float16
    diff = np.abs(features.astype(np.float32) - ref_features.astype(np.float32))
    assert diff.max() <= 0.025  # the float16 cache's own rounding
    np.testing.assert_allclose(tags, ref_tags, atol=TOLERANCE)
    assert (np.array([1e-310]) * 1.0)[0] > 0  # this thread still computes with subnormals
    cached = graph_path(NAME, tmp_path)
    stamp = cached.stat().st_mtime_ns
    assert Embedder.load(NAME, graph_dir=tmp_path).engine == "onnxruntime"
    assert cached.stat().st_mtime_ns == stamp  # read back, not exported again


@needs_onnx
def test_a_cached_graph_that_disagrees_with_torch_is_exported_again(tmp_path: Path) -> None:
    cached = graph_path(NAME, tmp_path)
    _export(MusiCNN().eval(), cached)  # random weights: not the pretrained model
    stale = cached.read_bytes()
    embedder = Embedder.load(NAME, graph_dir=tmp_path)
    assert embedder.engine == "onnxruntime"
    assert cached.read_bytes() != stale


@needs_onnx
def test_a_corrupt_cached_graph_is_exported_again(tmp_path: Path) -> None:
    graph_path(NAME, tmp_path).write_bytes(b"not a graph")
    assert Embedder.load(NAME, graph_dir=tmp_path).engine == "onnxruntime"


def test_torch_stays_the_fallback(tmp_path: Path) -> None:
    embedder = Embedder.load(NAME, onnx=False, graph_dir=tmp_path)
    assert embedder.engine == "torch"
    features, _ = embedder(_patches())
    np.testing.assert_array_equal(features, embed_patches(embedder.model, _patches())[0])
    assert not graph_path(NAME, tmp_path).exists()


def test_the_export_graph_computes_what_the_torch_port_does() -> None:
    torch.manual_seed(3)
    model = MusiCNN()
    with torch.no_grad():
        for bn in model.modules():
            if isinstance(bn, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
                bn.weight.uniform_(-2, 2)  # some filters pooled by their minimum
                bn.get_buffer("running_mean").uniform_(-1, 1)
                bn.get_buffer("running_var").uniform_(0.5, 2)
    graph = ExportGraph(model.eval())
    assert any((branch.get_buffer("sign") < 0).any() for branch in graph.branches)
    mel = torch.from_numpy(_patches()[:3])
    with torch.inference_mode():
        pooled, tags = graph(mel)
        reference = model(mel)
        expected = model.pooled(mel)
    np.testing.assert_allclose(pooled.numpy(), expected.numpy(), atol=1e-4)
    np.testing.assert_allclose(tags.numpy(), reference.taggram.numpy(), atol=1e-5)


def test_the_graph_is_cached_through_a_temp_file_of_its_own(tmp_path: Path) -> None:
    cached = graph_path(NAME, tmp_path)
    # another worker's half-written file under the old shared temp name
    cached.with_suffix(".tmp").mkdir()
    _write_atomically(cached, b"graph")
    assert cached.read_bytes() == b"graph"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == [
        cached.with_suffix(".tmp").name
    ]
