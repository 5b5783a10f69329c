"""Settings of the taste model (``[model]`` in config.toml).

They live here, beside the model, so that the classifier package does not
depend on the daemon; ``daemon.config`` parses them from the TOML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ModelConfig"]

# Ranges the config loader enforces (field metadata: above, at_least, at_most).
_POSITIVE = {"above": 0}
_NON_NEGATIVE = {"at_least": 0}


@dataclass(frozen=True)
class ModelConfig:
    """The taste model (``[model]``)."""

    backbone: str = "MSD_musicnn"
    patches: int = field(default=10, metadata={"above": 0, "at_most": 100})
    # the body's recency weighting; the ranking head learns its own time scales
    half_life_days: float = field(default=7.0, metadata=_POSITIVE)
    weight_cap: float = field(default=5.0, metadata=_POSITIVE)
    skip_grace_days: float = field(default=14.0, metadata=_NON_NEGATIVE)
    skip_weight: float = field(default=0.5, metadata=_NON_NEGATIVE)
    unlabelled_weight: float = field(default=0.05, metadata=_NON_NEGATIVE)
    unlabelled_sample: int = field(default=500, metadata=_NON_NEGATIVE)
    steps: int = field(default=100, metadata=_POSITIVE)
    batch_size: int = field(default=64, metadata={"above": 0, "at_most": 4096})
    learning_rate: float = field(default=1e-3, metadata=_POSITIVE)
    l2sp: float = field(default=1.0, metadata=_NON_NEGATIVE)
    replay: int = field(default=500, metadata=_NON_NEGATIVE)
    holdout_fraction: float = field(default=0.15, metadata={"above": 0, "at_most": 0.5})
    mix_steps: int = field(default=200, metadata=_NON_NEGATIVE)
    # the ranking head's defaults were chosen with bench/drift, see bench/RESULTS.md
    mix_l2sp: float = field(default=1.5, metadata=_NON_NEGATIVE)
    mix_window_days: float = field(default=60.0, metadata=_POSITIVE)
    mix_negatives: int = field(default=8, metadata=_POSITIVE)
    # the share of a candidate's score drawn from its nearest candidates' (0: off)
    smoothing: float = field(default=0.3, metadata={"at_least": 0, "at_most": 1})
    # the back end adapted to the library, self-supervised (0: profiles of the features alone)
    adapt_steps: int = field(default=300, metadata={"at_least": 0, "at_most": 100000})
    validation_sample: int = field(default=1000, metadata=_POSITIVE)
    precision_k: int = field(default=20, metadata=_POSITIVE)
    keep_checkpoints: int = field(default=5, metadata=_POSITIVE)
    min_labels: int = field(default=5, metadata=_POSITIVE)
    seed: int = 0
