"""Settings of the taste model (``[model]`` in config.toml).

They live here, beside the model, so that the classifier package does not
depend on the daemon; ``daemon.config`` parses them from the TOML.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ModelConfig"]


@dataclass(frozen=True)
class ModelConfig:
    """The taste model (``[model]``)."""

    backbone: str = "MSD_musicnn"
    patches: int = 10
    half_life_days: float = 7.0  # chosen with bench/bench_drift.py, see bench/RESULTS.md
    weight_cap: float = 5.0
    skip_grace_days: float = 14.0
    skip_weight: float = 0.5
    unlabelled_weight: float = 0.05
    unlabelled_sample: int = 500
    steps: int = 100
    batch_size: int = 64
    learning_rate: float = 1e-3
    l2sp: float = 1.0
    replay: int = 500
    holdout_fraction: float = 0.15
    promote_tolerance: float = 0.02
    precision_k: int = 20
    keep_checkpoints: int = 5
    min_labels: int = 5
    seed: int = 0
