"""musicnn (Pons & Serra 2019) in torch: the network, its layers, its pretrained weights.

``model`` and ``blocks`` hold the nn.Modules; ``weights`` finds the checkpoints in the
installed ``musicnn`` wheel and loads them, reading TensorFlow's format with
``tfbundle`` and mapping its variable names onto ours with ``tfmap``; ``names`` lists the
pretrained models without importing torch; ``vgg`` is the VGG baseline whose two
checkpoints ship in the same wheel (benchmarks only); ``export`` rewrites the network for
onnxruntime and ``runtime`` runs it there, about 3x the torch port's speed on a CPU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store import lazy_getattr

if TYPE_CHECKING:  # the names, for type checkers; at run time each module loads on first use
    from classifier.musicnn.model import (
        MIDEND_DIM,
        N_MELS,
        N_TAGS,
        PATCH_FRAMES,
        POOLED_DIM,
        BackEnd,
        FrontEnd,
        MidEnd,
        MusiCNN,
        MusicnnOutput,
    )
    from classifier.musicnn.names import CHECKPOINTS, MODEL_NAMES, VGG_NAMES, check_model_name
    from classifier.musicnn.tfbundle import TFBundle, TFBundleError
    from classifier.musicnn.vgg import VGG, VggOutput
    from classifier.musicnn.weights import (
        INSTALL_HINT,
        load_musicnn,
        load_vgg,
        tag_names,
        weights_available,
        weights_dir,
    )

_WHERE = {
    "MIDEND_DIM": "model",
    "MODEL_NAMES": "names",
    "N_MELS": "model",
    "N_TAGS": "model",
    "PATCH_FRAMES": "model",
    "POOLED_DIM": "model",
    "BackEnd": "model",
    "FrontEnd": "model",
    "MidEnd": "model",
    "MusiCNN": "model",
    "MusicnnOutput": "model",
    "check_model_name": "names",
    "CHECKPOINTS": "names",
    "VGG_NAMES": "names",
    "VGG": "vgg",
    "VggOutput": "vgg",
    "TFBundle": "tfbundle",
    "TFBundleError": "tfbundle",
    "INSTALL_HINT": "weights",
    "load_musicnn": "weights",
    "load_vgg": "weights",
    "tag_names": "weights",
    "weights_available": "weights",
    "weights_dir": "weights",
}
__getattr__ = lazy_getattr(__name__, _WHERE, globals())

__all__ = [
    "CHECKPOINTS",
    "INSTALL_HINT",
    "MIDEND_DIM",
    "MODEL_NAMES",
    "N_MELS",
    "N_TAGS",
    "PATCH_FRAMES",
    "POOLED_DIM",
    "VGG",
    "VGG_NAMES",
    "BackEnd",
    "FrontEnd",
    "MidEnd",
    "MusiCNN",
    "MusicnnOutput",
    "TFBundle",
    "TFBundleError",
    "VggOutput",
    "check_model_name",
    "load_musicnn",
    "load_vgg",
    "tag_names",
    "weights_available",
    "weights_dir",
]
