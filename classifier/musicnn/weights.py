"""musicnn's pretrained weights: found in the installed ``musicnn`` wheel, loaded into torch.

The ``musicnn`` package is used only as a data package: its checkpoint files and
tag lists are located with :mod:`importlib.metadata` and read with
:mod:`classifier.musicnn.tfbundle`; it is never imported (it imports TensorFlow).
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from classifier.errors import WeightsMissingError
from classifier.musicnn.names import check_checkpoint_name, check_model_name

if TYPE_CHECKING:
    from torch import Tensor, nn

    from classifier.musicnn.model import MusiCNN
    from classifier.musicnn.tfbundle import TFBundle
    from classifier.musicnn.vgg import VGG

__all__ = [
    "INSTALL_HINT",
    "load_musicnn",
    "load_vgg",
    "tag_names",
    "weights_available",
    "weights_dir",
]

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install --no-deps musicnn==0.1.0 (or make venv)"

_LABEL_LISTS = {
    "MSD_musicnn": "MSD_LABELS",
    "MTT_musicnn": "MTT_LABELS",
    "MSD_vgg": "MSD_LABELS",
    "MTT_vgg": "MTT_LABELS",
}


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
    check_checkpoint_name(name)
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
    check_checkpoint_name(name)
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
    from classifier.musicnn.model import MusiCNN  # torch: only where the network runs
    from classifier.musicnn.tfmap import state_from_bundle

    check_model_name(name)
    return _loaded(MusiCNN(), state_from_bundle, name, root)


def load_vgg(name: str = "MTT_vgg", root: Path | None = None) -> VGG:
    """An eval-mode float32 :class:`~classifier.musicnn.vgg.VGG` with ``name``'s weights
    (``MSD_vgg`` or ``MTT_vgg``)."""
    from classifier.musicnn.names import VGG_NAMES
    from classifier.musicnn.vgg import VGG, vgg_state_from_bundle

    if name not in VGG_NAMES:
        raise ValueError(f"unknown VGG checkpoint {name!r}; choose one of {', '.join(VGG_NAMES)}")
    return _loaded(VGG(), vgg_state_from_bundle, name, root)


_Net = TypeVar("_Net", bound="nn.Module")


def _loaded(
    model: _Net,
    state_from: Callable[[_Net, TFBundle], dict[str, Tensor]],
    name: str,
    root: Path | None,
) -> _Net:
    """``model`` with checkpoint ``name``'s weights (mapped by ``state_from``), eval, float32."""
    from classifier.musicnn.tfbundle import TFBundle, TFBundleError

    directory = weights_dir(name, root)
    try:
        state = state_from(model, TFBundle.from_dir(directory))
    except TFBundleError as exc:
        raise WeightsMissingError(
            f"{name} checkpoint is unreadable ({exc}): {INSTALL_HINT}"
        ) from exc
    model.load_state_dict(state, strict=True)
    logger.debug("loaded %s from %s", name, directory)
    return model.float().eval()
