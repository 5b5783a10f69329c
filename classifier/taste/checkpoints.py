"""Taste-model checkpoints on disk: written atomically, verified when read, pruned.

A checkpoint is written to a temp file, fsynced and renamed, and starts with a
SHA-256 of its payload, so a half-written or corrupt file is never loaded; the
newest ``keep`` of them are kept.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import time
from pathlib import Path

import torch

from classifier.errors import ModelError
from classifier.taste.heard import HeardFit
from classifier.taste.model import ARTIST, HEARD, N_MIX, TasteModel

__all__ = [
    "CHECKPOINT_SUFFIX",
    "latest_checkpoint_ok",
    "load_checkpoint",
    "prune_checkpoints",
    "resolve_checkpoint",
    "save_checkpoint",
]

logger = logging.getLogger(__name__)

CHECKPOINT_SUFFIX = ".taste"
_MAGIC = b"TASTEBUD-TASTE-1\n"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(model: TasteModel, directory: Path, meta: dict[str, object]) -> Path:
    """Write ``model`` atomically (temp file, fsync, rename) to a new file in ``directory``."""
    buffer = io.BytesIO()
    torch.save({"state_dict": model.state_dict(), "meta": meta}, buffer)
    payload = buffer.getvalue()
    path = directory / f"taste-{time.time_ns()}{CHECKPOINT_SUFFIX}"
    tmp = path.with_name(path.name + ".tmp")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _write_synced(tmp, _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
        tmp.replace(path)
        _fsync_dir(directory)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"cannot write taste checkpoint in {directory}: {exc.strerror}: free disk space "
            "there; the current model stays in use"
        ) from None
    return path


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _payload(path: Path) -> bytes:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(
            f"cannot read taste checkpoint {path}: {exc.strerror}; `tastebud once` trains anew"
        ) from exc
    head, _, rest = raw.partition(b"\n")
    digest, _, payload = rest.partition(b"\n")
    if head + b"\n" != _MAGIC or hashlib.sha256(payload).hexdigest().encode() != digest:
        raise ModelError(
            f"taste checkpoint {path} is truncated or corrupt: delete it; the next training "
            "cycle (`tastebud once`) starts from the pretrained weights"
        )
    return payload


def load_checkpoint(path: Path | str) -> TasteModel:
    """The taste model stored at ``path``; :class:`ModelError` when it is not intact."""
    payload = _payload(Path(path))
    try:
        state = torch.load(io.BytesIO(payload), weights_only=True)
        weights = state["state_dict"]
        _check_space(path, weights)
        dense = weights["dense.weight"]
        if "adapter_weight" not in weights:  # saved before the adapter: none
            weights |= _no_adapter(dense.shape[1])
        if weights["mix.weight"].shape[1] == N_MIX - 2:  # saved before the artist signal
            weights |= _widened(weights, ARTIST)
        if weights["mix.weight"].shape[1] == N_MIX - 1:  # saved before the heard regression
            weights |= _widened(weights, HEARD) | _no_heard()
        model = TasteModel(
            in_features=dense.shape[1],
            units=dense.shape[0],
            adapter_units=weights["adapter_weight"].shape[0],
        )
        model.set_heard(HeardFit(*(weights[n].numpy() for n in _HEARD)))
        model.load_state_dict(weights)
    except (RuntimeError, KeyError, ValueError) as exc:
        raise ModelError(f"taste checkpoint {path} does not hold a taste model: {exc}") from exc
    return model.eval()


def _no_adapter(dim: int) -> dict[str, torch.Tensor]:
    """The adapter buffers of a model without one."""
    return {
        "adapter_weight": torch.zeros(0, dim),
        "adapter_bias": torch.zeros(0),
        "adapter_tracks": torch.zeros(()),
    }


_HEARD = ("heard_ids", "heard_units", "heard_coef")
"""The heard regression's buffers, in :class:`HeardFit`'s order."""


def _no_heard() -> dict[str, torch.Tensor]:
    """The heard regression's buffers of a model without one (it reads 0)."""
    empty = HeardFit.none()
    return {
        name: torch.from_numpy(value)
        for name, value in zip(_HEARD, (empty.ids, empty.units, empty.coef), strict=True)
    }


def _widened(state: dict[str, torch.Tensor], at: int) -> dict[str, torch.Tensor]:
    """The ranking head's tensors with a newer input's column added at ``at``, weighing 0
    (the model ranks as it did; its next cycle starts the head where this version does)."""

    def widened(name: str, value: float) -> torch.Tensor:
        old = state[name]
        column = torch.full((*old.shape[:-1], 1), value, dtype=old.dtype)
        return torch.cat([old[..., :at], column, old[..., at:]], dim=-1)

    return {
        "mix.weight": widened("mix.weight", 0.0),
        "mix_anchor": widened("mix_anchor", 0.0),
        "mix_mean": widened("mix_mean", 0.0),
        "mix_std": widened("mix_std", 1.0),
    }


def _check_space(path: Path | str, state: dict[str, torch.Tensor]) -> None:
    """A checkpoint of the versions that measured similarity on track means alone (its
    space as wide as the features, not twice) cannot rank: say so, and how it heals."""
    if state["space_mean"].shape[0] == state["dense.weight"].shape[1]:
        raise ModelError(
            f"taste checkpoint {path} is from an older tastebud (similarity on patch means "
            "alone): the next training cycle (`tastebud once`) trains anew from the "
            "pretrained weights on the stored history"
        )


def latest_checkpoint_ok(path: Path | str) -> bool:
    """Whether the checkpoint at ``path`` is complete and loads."""
    try:
        load_checkpoint(path)
    except ModelError:
        return False
    return True


def resolve_checkpoint(recorded: str, directory: Path) -> Path:
    """The file of a recorded checkpoint: a name relative to ``directory`` (``models/``), so a
    state directory can be moved or restored from a copy.

    An absolute path (recorded by older versions) is used where it still exists, else the
    file of that name in ``directory``: the state directory was moved.
    """
    path = Path(recorded)
    if not path.is_absolute():
        return directory / path
    moved = directory / path.name
    return moved if not path.exists() and moved.exists() else path


def prune_checkpoints(directory: Path, keep: int, protect: set[Path]) -> list[Path]:
    """Delete all but the newest ``keep`` checkpoints (never those in ``protect``) and
    leftover temp files; returns what was deleted."""
    files = sorted(directory.glob(f"taste-*{CHECKPOINT_SUFFIX}"), key=lambda p: p.name)
    doomed = [p for p in files[: max(0, len(files) - keep)] if p.resolve() not in protect]
    doomed += list(directory.glob(f"taste-*{CHECKPOINT_SUFFIX}.tmp"))
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
