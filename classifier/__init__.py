"""Audio -> log-mel -> musicnn -> personal taste model -> scores.

Layout: ``audio`` decodes a file (``seek_decode`` only the spans the model hears),
``patches`` says which spans those are, ``logmel`` turns them into log-mel patches,
``featurize`` runs those steps for one file, ``embed`` caches musicnn's features per track
under the keys ``keys`` names (without torch),
``encode`` writes audio (the demo's and the tests' files); ``config`` holds ``[model]``
and ``errors`` the audio and model errors; ``musicnn/`` is the network and its pretrained
weights; ``taste/`` is the personal model on arrays and tensors (fit, metrics,
checkpoints); ``cycle/`` is what drives it from the store (labels, the training cycle,
rescoring). Other packages import only the names below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store import lazy_getattr

if TYPE_CHECKING:  # the names, for type checkers; at run time each module loads on first use
    from classifier.audio import AudioInfo, decode, probe
    from classifier.config import ModelConfig
    from classifier.cycle import TrainResult, rescore, train_cycle
    from classifier.cycle.because import explain
    from classifier.embed import Embedder, embed_patches
    from classifier.encode import write_audio
    from classifier.errors import AudioError, ModelError, WeightsMissingError
    from classifier.featurize import featurize_audio, featurize_file, featurize_track
    from classifier.keys import feature_key, model_key
    from classifier.logmel import SAMPLE_RATE, LogMel
    from classifier.musicnn import (
        MODEL_NAMES,
        N_MELS,
        N_TAGS,
        PATCH_FRAMES,
        POOLED_DIM,
        BackEnd,
        MusiCNN,
        MusicnnOutput,
        load_musicnn,
        tag_names,
        weights_available,
        weights_dir,
    )
    from classifier.patches import patch_starts
    from classifier.taste import (
        Record,
        TasteModel,
        centroid_scores,
        load_checkpoint,
        precision_at_k,
        roc_auc,
    )

_WHERE = {
    "AudioInfo": "audio",
    "decode": "audio",
    "probe": "audio",
    "ModelConfig": "config",
    "TrainResult": "cycle",
    "explain": "cycle.because",
    "rescore": "cycle",
    "train_cycle": "cycle",
    "AudioError": "errors",
    "ModelError": "errors",
    "WeightsMissingError": "errors",
    "Embedder": "embed",
    "embed_patches": "embed",
    "feature_key": "keys",
    "model_key": "keys",
    "write_audio": "encode",
    "patch_starts": "patches",
    "featurize_audio": "featurize",
    "featurize_file": "featurize",
    "featurize_track": "featurize",
    "SAMPLE_RATE": "logmel",
    "LogMel": "logmel",
    "MODEL_NAMES": "musicnn",
    "N_MELS": "musicnn",
    "N_TAGS": "musicnn",
    "PATCH_FRAMES": "musicnn",
    "POOLED_DIM": "musicnn",
    "BackEnd": "musicnn",
    "MusiCNN": "musicnn",
    "MusicnnOutput": "musicnn",
    "load_musicnn": "musicnn",
    "tag_names": "musicnn",
    "weights_available": "musicnn",
    "weights_dir": "musicnn",
    "Record": "taste",
    "TasteModel": "taste",
    "centroid_scores": "taste",
    "load_checkpoint": "taste",
    "precision_at_k": "taste",
    "roc_auc": "taste",
}
__getattr__ = lazy_getattr(__name__, _WHERE, globals())

__all__ = [
    "MODEL_NAMES",
    "N_MELS",
    "N_TAGS",
    "PATCH_FRAMES",
    "POOLED_DIM",
    "SAMPLE_RATE",
    "AudioError",
    "AudioInfo",
    "BackEnd",
    "Embedder",
    "LogMel",
    "ModelConfig",
    "ModelError",
    "MusiCNN",
    "MusicnnOutput",
    "Record",
    "TasteModel",
    "TrainResult",
    "WeightsMissingError",
    "centroid_scores",
    "decode",
    "embed_patches",
    "explain",
    "feature_key",
    "featurize_audio",
    "featurize_file",
    "featurize_track",
    "load_checkpoint",
    "load_musicnn",
    "model_key",
    "patch_starts",
    "precision_at_k",
    "probe",
    "rescore",
    "roc_auc",
    "tag_names",
    "train_cycle",
    "weights_available",
    "weights_dir",
    "write_audio",
]
