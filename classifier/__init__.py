"""Audio -> features -> musicnn -> personal taste model -> scores."""

from __future__ import annotations

from classifier.config import ModelConfig

__all__ = ["ModelConfig"]
