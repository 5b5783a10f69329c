"""Taste-model checkpoints on disk, without a store: round trip, corruption, pruning."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from classifier import ModelError
from classifier.taste import checkpoints
from classifier.taste.checkpoints import (
    CHECKPOINT_SUFFIX,
    latest_checkpoint_ok,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from classifier.taste.heard import HeardFit
from classifier.taste.model import ARTIST, HEARD, N_MIX, TasteModel


def _model() -> TasteModel:
    torch.manual_seed(0)
    model = TasteModel(in_features=8, units=4)
    torch.nn.init.normal_(model.head.weight)
    return model.eval()


def test_a_saved_model_loads_back_unchanged(tmp_path: Path) -> None:
    model = _model()
    path = save_checkpoint(model, tmp_path / "m", {"created_at": 1.0})
    assert path.suffix == CHECKPOINT_SUFFIX
    loaded = load_checkpoint(path)
    assert latest_checkpoint_ok(path)
    assert not loaded.training
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in loaded.state_dict().items())


def test_a_flipped_byte_is_refused(tmp_path: Path) -> None:
    path = save_checkpoint(_model(), tmp_path, {})
    raw = bytearray(path.read_bytes())
    raw[-10] ^= 0xFF
    path.write_bytes(bytes(raw))
    assert not latest_checkpoint_ok(path)
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_checkpoint(path)


def test_a_checkpoint_measuring_similarity_on_means_alone_says_how_it_heals(
    tmp_path: Path,
) -> None:
    model = _model()
    for name in ("space_mean", "space_std"):  # as wide as the features: the older layout
        model.register_buffer(name, model.get_buffer(name)[:8].clone())
    path = save_checkpoint(model, tmp_path, {})
    with pytest.raises(ModelError, match=r"older tastebud .* trains anew") as caught:
        load_checkpoint(path)
    assert "\n" not in str(caught.value)
    assert not latest_checkpoint_ok(path)


@pytest.mark.parametrize(
    "newer", [(ARTIST, HEARD), (HEARD,)], ids=["before the artist", "before the regression"]
)
def test_a_head_saved_before_newer_inputs_ranks_as_it_did(
    tmp_path: Path, newer: tuple[int, ...]
) -> None:
    model = _model()
    torch.nn.init.normal_(model.mix.weight)
    keep = [i for i in range(N_MIX) if i not in newer]  # the head's columns back then
    for name in ("mix_mean", "mix_std", "mix_anchor"):
        model.register_buffer(name, model.get_buffer(name)[..., keep].clone())
    for name in ("heard_ids", "heard_units", "heard_coef"):
        del model._buffers[name]  # saved before the heard regression: none of it
    old = model.mix.weight.detach()[:, keep].clone()
    model.mix = torch.nn.Linear(len(keep), 1, bias=False)
    model.mix.weight.data.copy_(old)
    inputs = torch.randn(6, N_MIX)
    expected = model.mix(inputs[:, keep]).squeeze(-1)
    loaded = load_checkpoint(save_checkpoint(model, tmp_path, {}))
    assert all(loaded.mix.weight[0, column] == 0.0 for column in newer)
    assert torch.allclose(loaded.rank(inputs), expected)
    assert len(loaded.heard().ids) == 0


def test_a_model_keeps_its_heard_regression(tmp_path: Path) -> None:
    model = _model()
    rng = np.random.default_rng(0)
    fit = HeardFit(
        np.array([4, 9, 12]), rng.normal(size=(3, 6)).astype(np.float32), rng.normal(size=(5, 3))
    )
    model.set_heard(fit)
    loaded = load_checkpoint(save_checkpoint(model, tmp_path, {})).heard()
    assert loaded.ids.tolist() == [4, 9, 12]
    assert np.array_equal(loaded.units, fit.units)
    assert np.array_equal(loaded.coef, fit.coef)


def test_pruning_keeps_the_newest_and_the_protected(tmp_path: Path) -> None:
    paths = [save_checkpoint(_model(), tmp_path, {}) for _ in range(4)]
    (tmp_path / f"taste-1{CHECKPOINT_SUFFIX}.tmp").write_bytes(b"half")
    deleted = prune_checkpoints(tmp_path, keep=2, protect={paths[0].resolve()})
    assert sorted(tmp_path.iterdir()) == sorted([paths[0], *paths[2:]])
    assert paths[1] in deleted


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_disk_full_is_one_line_and_leaves_no_temp_file(
    failing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if failing == "fsync":  # the temp file is written, then the disk fills up
        monkeypatch.setattr(checkpoints.os, "fsync", no_space)
    else:
        monkeypatch.setattr(Path, "replace", no_space)
    with pytest.raises(ModelError) as err:
        save_checkpoint(_model(), tmp_path, {})
    message = str(err.value)
    assert "\n" not in message
    assert "No space left on device" in message
    assert "free disk space" in message
    assert list(tmp_path.iterdir()) == []
