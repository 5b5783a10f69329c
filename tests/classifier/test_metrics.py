"""Ranking metrics and the centroid baseline, on plain arrays (no store)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifier.taste.centroid import centroid_scores
from classifier.taste.metrics import precision_at_k, roc_auc


def test_metrics_on_known_rankings() -> None:
    targets = np.array([1, 0, 1, 0])
    assert roc_auc(np.array([0.9, 0.1, 0.8, 0.2]), targets) == 1.0
    assert roc_auc(np.array([0.1, 0.9, 0.2, 0.8]), targets) == 0.0
    assert roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), targets) == 0.5
    assert math.isnan(roc_auc(np.array([0.3]), np.array([1])))
    assert precision_at_k(np.array([0.9, 0.8, 0.1, 0.7]), targets, 2) == 0.5


def test_centroid_scores_are_z_scored_cosines_in_unit_range() -> None:
    library = np.array([[1.0, 10.0], [3.0, 30.0], [2.0, 20.0], [2.0, 40.0]])
    scores = centroid_scores(library, library[:1], np.ones(1), library)
    assert scores[0] == pytest.approx(1.0)
    assert scores[1] == scores.min() < 0.1
    assert np.all((scores >= 0) & (scores <= 1))
