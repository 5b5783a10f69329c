"""musicnn in torch, with its pretrained weights read straight from the musicnn wheel.

The architecture follows the original TensorFlow 1 implementation (PyPI
``musicnn==0.1.0``, ``musicnn/models.py``, ``build_musicnn``) layer for layer, so
the published MSD/MTT checkpoints load unchanged and reproduce the original's
outputs. The ``musicnn`` package is used only as a data package: its files are
located with :mod:`importlib.metadata` and read with :mod:`classifier.tfbundle`;
it is never imported (it imports TensorFlow).

Back-end input layout (``POOLED_DIM`` = 1506), the per-track cache vector::

    pooled = concat([max_pool, mean_pool], dim=1)   # pooled[:, :753] = max, [753:] = mean

The original computes ``tf.concat([max_pool, mean_pool], 2)`` on ``(B, 753, 1)``
tensors and then flattens, which *interleaves* them (max0, mean0, max1, ...).
We keep the readable block layout above and permute the back end's first batch
norm and dense weights at load time (:func:`_interleaved_to_blocks`), so our
``BackEnd`` and its state dict expect exactly the block layout.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import logging
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from classifier.blocks import (
    MidEndConv,
    TemporalBlock,
    TimbralBlock,
    batch_norm_1d,
    batch_norm_2d,
)
from classifier.tfbundle import TFBundle, TFBundleError
from store.errors import WeightsMissingError

__all__ = [
    "INSTALL_HINT",
    "MODEL_NAMES",
    "N_MELS",
    "N_TAGS",
    "PATCH_FRAMES",
    "POOLED_DIM",
    "BackEnd",
    "FrontEnd",
    "MidEnd",
    "MusiCNN",
    "MusicnnOutput",
    "load_musicnn",
    "tag_names",
    "weights_available",
    "weights_dir",
]

logger = logging.getLogger(__name__)

MODEL_NAMES = ("MSD_musicnn", "MTT_musicnn")
N_MELS = 96
PATCH_FRAMES = 187  # 3 s at 16 kHz, hop 256
N_TAGS = 50
MIDEND_DIM = 753  # 561 front end + 3 x 64 mid end
POOLED_DIM = 2 * MIDEND_DIM
INSTALL_HINT = "pip install --no-deps musicnn==0.1.0 (or make venv)"

_LABEL_LISTS = {"MSD_musicnn": "MSD_LABELS", "MTT_musicnn": "MTT_LABELS"}


class MusicnnOutput(NamedTuple):
    """Per-patch outputs; ``taggram`` holds sigmoid probabilities."""

    taggram: Tensor  # (B, n_tags)
    penultimate: Tensor  # (B, 200)
    mean_pool: Tensor  # (B, 753)
    max_pool: Tensor  # (B, 753)


# --------------------------------------------------------------------------- modules


class FrontEnd(nn.Module):
    """Batch-normalised input, then timbral and temporal filters, each max-pooled over frequency.

    Output channels are concatenated in the original's order: timbral blocks
    (7x38, 7x67), then temporal blocks (128, 64, 32): 204 + 204 + 3 x 51 = 561.
    """

    def __init__(
        self,
        *,
        timbral_filters: int = 204,
        timbral_kernels: Sequence[tuple[int, int]] = ((7, 38), (7, 67)),
        temporal_filters: int = 51,
        temporal_kernels: Sequence[int] = (128, 64, 32),
    ) -> None:
        super().__init__()
        self.bn_in = batch_norm_2d(1)
        self.timbral = nn.ModuleList(
            TimbralBlock(filters=timbral_filters, kernel_time=kt, kernel_freq=kf)
            for kt, kf in timbral_kernels
        )
        self.temporal = nn.ModuleList(
            TemporalBlock(filters=temporal_filters, kernel_time=kt) for kt in temporal_kernels
        )
        self.out_channels = timbral_filters * len(timbral_kernels) + temporal_filters * len(
            temporal_kernels
        )

    def forward(self, mel: Tensor) -> Tensor:
        """``mel`` (B, T, F) log-mel -> (B, out_channels, T)."""
        x = self.bn_in(mel.unsqueeze(1))
        branches = [*self.timbral, *self.temporal]
        return torch.cat([branch(x) for branch in branches], dim=1)


class MidEnd(nn.Module):
    """Stacked 1-D convolutions, residual after the first, densely concatenated with the input.

    Output: ``concat([frontend, conv1, conv1 + conv2, conv1 + conv2 + conv3])``
    (561 + 3 x 64 = 753 channels for musicnn).
    """

    def __init__(
        self, *, in_channels: int = 561, filters: int = 64, width: int = 7, layers: int = 3
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            MidEndConv(
                in_channels=in_channels if i == 0 else filters,
                filters=filters,
                width=width,
                residual=i > 0,
            )
            for i in range(layers)
        )
        self.out_channels = in_channels + layers * filters

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (B, in_channels, T) -> (B, out_channels, T)."""
        features = [x]
        for layer in self.layers:
            features.append(layer(features[-1]))
        return torch.cat(features, dim=1)


class BackEnd(nn.Module):
    """musicnn's back end on the temporally pooled features.

    ``pooled`` (B, in_features) = ``concat([max_pool, mean_pool])`` (block layout,
    see the module docstring) -> batch norm -> dropout -> dense + ReLU -> batch
    norm (the "penultimate" features) -> dropout -> dense logits. Dropout is
    only active in training mode. Reusable as a trainable head: copy it with its
    pretrained state dict.
    """

    def __init__(
        self,
        *,
        in_features: int = POOLED_DIM,
        units: int = 200,
        n_tags: int = N_TAGS,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.bn_in = batch_norm_1d(in_features)
        self.dropout_in = nn.Dropout(dropout)
        self.dense = nn.Linear(in_features, units)
        self.bn_dense = batch_norm_1d(units)
        self.dropout_dense = nn.Dropout(dropout)
        self.out = nn.Linear(units, n_tags)

    def forward(self, pooled: Tensor) -> tuple[Tensor, Tensor]:
        """Return ``(logits (B, n_tags), penultimate (B, units))``."""
        x = self.dropout_in(self.bn_in(pooled))
        penultimate = self.bn_dense(torch.relu(self.dense(x)))
        logits = self.out(self.dropout_dense(penultimate))
        return logits, penultimate


class MusiCNN(nn.Module):
    """musicnn: a musically motivated CNN for music audio tagging.

    Pons, Nieto, Prockup, Schmidt, Ehmann, Serra, "End-to-end learning for music
    audio tagging at scale", ISMIR 2018; Pons & Serra, "musicnn: pre-trained
    convolutional neural networks for music audio tagging", ISMIR 2019 LBD.

    Input: log-mel patches ``(B, 187, 96)`` (``log10(1 + 10000 * mel_power)``,
    16 kHz, n_fft 512, hop 256). Front end (timbral + temporal filters), mid end
    (residual 1-D convs, dense concatenation, 753 channels), temporal max and
    mean pooling, back end (dense 200, then ``n_tags`` sigmoid tags).
    """

    def __init__(
        self,
        *,
        timbral_filters: int = 204,
        timbral_kernels: Sequence[tuple[int, int]] = ((7, 38), (7, 67)),
        temporal_filters: int = 51,
        temporal_kernels: Sequence[int] = (128, 64, 32),
        midend_filters: int = 64,
        midend_width: int = 7,
        midend_layers: int = 3,
        backend_units: int = 200,
        n_tags: int = N_TAGS,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.frontend = FrontEnd(
            timbral_filters=timbral_filters,
            timbral_kernels=timbral_kernels,
            temporal_filters=temporal_filters,
            temporal_kernels=temporal_kernels,
        )
        self.midend = MidEnd(
            in_channels=self.frontend.out_channels,
            filters=midend_filters,
            width=midend_width,
            layers=midend_layers,
        )
        self.backend = BackEnd(
            in_features=2 * self.midend.out_channels,
            units=backend_units,
            n_tags=n_tags,
            dropout=dropout,
        )

    def pooled(self, mel: Tensor) -> Tensor:
        """``mel`` (B, T, 96) -> ``concat([max_pool, mean_pool])`` (B, 1506), the back end input."""
        features = self.midend(self.frontend(mel))  # (B, 753, T)
        return torch.cat([features.amax(dim=2), features.mean(dim=2)], dim=1)

    def forward(self, mel: Tensor) -> MusicnnOutput:
        pooled = self.pooled(mel)
        logits, penultimate = self.backend(pooled)
        max_pool, mean_pool = pooled.chunk(2, dim=1)
        return MusicnnOutput(torch.sigmoid(logits), penultimate, mean_pool, max_pool)


# --------------------------------------------------------------------------- weights


def _check_name(name: str) -> None:
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown musicnn model {name!r}; choose one of {', '.join(MODEL_NAMES)}")


def _package_dir() -> Path:
    """The installed ``musicnn`` package directory, found without importing it."""
    try:
        located = importlib.metadata.distribution("musicnn").locate_file("musicnn")
        path = Path(str(located))
        if path.is_dir():
            return path
    except importlib.metadata.PackageNotFoundError:
        pass
    spec = importlib.util.find_spec("musicnn")  # top-level: locates, does not execute
    if spec is None or not spec.submodule_search_locations:
        raise WeightsMissingError(f"the musicnn weights package is not installed: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


def weights_dir(name: str = "MSD_musicnn", root: Path | None = None) -> Path:
    """Directory of ``name``'s checkpoint (``.index`` + ``.data-00000-of-00001``).

    ``root`` overrides the musicnn package directory. Raises
    :class:`WeightsMissingError` when the package or its files are missing.
    """
    _check_name(name)
    directory = (root if root is not None else _package_dir()) / name
    for filename in (".index", ".data-00000-of-00001"):
        if not (directory / filename).is_file():
            raise WeightsMissingError(
                f"musicnn weights not found ({directory / filename} is missing): {INSTALL_HINT}"
            )
    return directory


def weights_available(name: str = "MSD_musicnn", root: Path | None = None) -> bool:
    """Whether ``name``'s pretrained weights are installed (for ``tastebud doctor``)."""
    try:
        weights_dir(name, root)
    except WeightsMissingError:
        return False
    return True


def tag_names(name: str = "MSD_musicnn", root: Path | None = None) -> tuple[str, ...]:
    """The model's tag names, parsed from ``musicnn/configuration.py`` without importing it."""
    _check_name(name)
    return _tag_names(name, root if root is not None else _package_dir())


@cache
def _tag_names(name: str, package_dir: Path) -> tuple[str, ...]:
    path = package_dir / "configuration.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError) as exc:
        raise WeightsMissingError(
            f"cannot read musicnn tag names from {path}: {INSTALL_HINT}"
        ) from exc
    wanted = _LABEL_LISTS[name]
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == wanted for t in node.targets
        ):
            return tuple(str(label) for label in ast.literal_eval(node.value))
    raise WeightsMissingError(f"{path} has no {wanted} list: {INSTALL_HINT}")


def load_musicnn(name: str = "MSD_musicnn", root: Path | None = None) -> MusiCNN:
    """An eval-mode float32 :class:`MusiCNN` with ``name``'s pretrained weights."""
    directory = weights_dir(name, root)
    model = MusiCNN()
    try:
        state = _state_from_checkpoint(model, TFBundle.from_dir(directory))
    except TFBundleError as exc:
        raise WeightsMissingError(
            f"musicnn checkpoint is unreadable ({exc}): {INSTALL_HINT}"
        ) from exc
    model.load_state_dict(state, strict=True)
    logger.debug("loaded %s from %s", name, directory)
    return model.float().eval()


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


def _tf_prefixes() -> dict[str, str]:
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


_Transform = Callable[[np.ndarray], np.ndarray]
_BN_NAMES = {
    "weight": "gamma",
    "bias": "beta",
    "running_mean": "moving_mean",
    "running_var": "moving_variance",
}


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


def _state_from_checkpoint(model: MusiCNN, bundle: TFBundle) -> dict[str, Tensor]:
    """Build a full state dict for ``model`` from the checkpoint's variables."""
    state = model.state_dict()
    modules = dict(model.named_modules())
    loaded: set[str] = set()
    for prefix, scope in _tf_prefixes().items():
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
