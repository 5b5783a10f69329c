"""TensorFlow checkpoint variables -> a torch state dict for :class:`MusiCNN`.

The original graph names its variables by auto-numbered scopes (``conv2d_3/kernel``,
``batch_normalization_4/moving_mean``, ...) in the order it creates the layers; this
module maps each of our tensors to its variable and converts the layout: TF's HWIO
convolution kernels to torch's OIHW (or OIW), dense kernels transposed, and the back
end's input axis from the original's interleaved (max0, mean0, max1, ...) to our
block layout ``[max..., mean...]`` (see :mod:`classifier.musicnn.model`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from classifier.musicnn.model import MusiCNN
from classifier.musicnn.tfbundle import TFBundle, TFBundleError

__all__ = ["state_from_bundle", "tf_prefixes"]

_CONV_BLOCKS = (
    "frontend.timbral.0",  # 7x38
    "frontend.timbral.1",  # 7x67
    "frontend.temporal.0",  # 128x1
    "frontend.temporal.1",  # 64x1
    "frontend.temporal.2",  # 32x1
    "midend.layers.0",
    "midend.layers.1",
    "midend.layers.2",
)
"""Our conv blocks in the order the original graph creates them (TF auto-numbers its scopes)."""

_Transform = Callable[[np.ndarray], np.ndarray]
_BN_NAMES = {
    "weight": "gamma",
    "bias": "beta",
    "running_mean": "moving_mean",
    "running_var": "moving_variance",
}


def tf_prefixes() -> dict[str, str]:
    """Our module path -> TF variable scope (``conv2d_3``, ``batch_normalization_4``, ...)."""
    prefixes = {"frontend.bn_in": "batch_normalization"}
    for i, block in enumerate(_CONV_BLOCKS):
        prefixes[f"{block}.conv"] = _tf_scope("conv2d", i)
        prefixes[f"{block}.bn"] = _tf_scope("batch_normalization", i + 1)
    return prefixes | {
        "backend.bn_in": "batch_normalization_9",
        "backend.dense": "dense",
        "backend.bn_dense": "batch_normalization_10",
        "backend.out": "dense_1",
    }


def _tf_scope(base: str, index: int) -> str:
    return base if index == 0 else f"{base}_{index}"


def _conv_kernel(kernel: np.ndarray, ndim: int) -> np.ndarray:
    """TF HWIO -> torch OIHW (2-D) or, for full-width kernels ``(W, C, 1, O)``, OIW (1-D)."""
    oihw = kernel.transpose(3, 2, 0, 1)
    if ndim == 4:
        return oihw
    # (W, C, 1, O) -> OIHW (O, 1, W, C) -> (O, C, W)
    return oihw[:, 0].transpose(0, 2, 1)


def _interleaved_to_blocks(values: np.ndarray) -> np.ndarray:
    """Reorder axis 0 from the original's (max0, mean0, max1, ...) to [max..., mean...]."""
    half = values.shape[0] // 2
    return values.reshape(half, 2, *values.shape[1:]).swapaxes(0, 1).reshape(values.shape)


def _converter(module: nn.Module, param: str, ndim: int) -> tuple[str, _Transform]:
    """TF variable suffix and array transform for one of ``module``'s tensors."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return _BN_NAMES[param], lambda a: a
    if isinstance(module, nn.Conv1d | nn.Conv2d):
        if param == "weight":
            return "kernel", lambda a: _conv_kernel(a, ndim)
        return "bias", lambda a: a
    if isinstance(module, nn.Linear):
        return ("kernel", lambda a: a.T) if param == "weight" else ("bias", lambda a: a)
    raise TypeError(f"no TF mapping for {type(module).__name__}")


def state_from_bundle(model: MusiCNN, bundle: TFBundle) -> dict[str, Tensor]:
    """A full state dict for ``model`` from the checkpoint's variables."""
    state = model.state_dict()
    modules = dict(model.named_modules())
    loaded: set[str] = set()
    for prefix, scope in tf_prefixes().items():
        module = modules[prefix]
        for param, current in module.state_dict().items():
            if param == "num_batches_tracked":
                continue
            suffix, transform = _converter(module, param, current.ndim)
            array = transform(bundle.read(f"{scope}/{suffix}"))
            if prefix in ("backend.bn_in", "backend.dense"):
                array = _backend_input_order(array, param, prefix)
            state[f"{prefix}.{param}"] = _as_tensor(array, current, f"{scope}/{suffix}")
            loaded.add(f"{prefix}.{param}")
    missed = {k for k in state if not k.endswith("num_batches_tracked")} - loaded
    if missed:
        raise TFBundleError(f"no checkpoint variable mapped onto {sorted(missed)}")
    return state


def _backend_input_order(array: np.ndarray, param: str, prefix: str) -> np.ndarray:
    """Permute the back end's input axis (BN vectors, dense weight columns) to block layout."""
    if prefix == "backend.dense":
        return _interleaved_to_blocks(array.T).T if param == "weight" else array
    return _interleaved_to_blocks(array)


def _as_tensor(array: np.ndarray, like: Tensor, source: str) -> Tensor:
    if tuple(array.shape) != tuple(like.shape):
        raise TFBundleError(f"{source}: shape {array.shape} does not fit {tuple(like.shape)}")
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
