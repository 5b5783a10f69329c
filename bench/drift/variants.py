"""Variants of the shipped configuration, each an extra "as shipped with X" row.

Run with ``python -m bench.drift --variants`` (add ``--write-variants`` to record
them in bench/RESULTS.md). Append a row name and its ``ModelConfig`` overrides
(field name -> value) to try another.
"""

from __future__ import annotations

VARIANTS: dict[str, dict[str, object]] = {
    "half-life 30 d": {"half_life_days": 30.0},
}
