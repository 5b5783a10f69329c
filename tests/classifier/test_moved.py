"""How far taste moved: the overlap of recent listening with all of it, and the contrast it sets."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from classifier.cycle.train import train_cycle
from classifier.taste.checkpoints import load_checkpoint
from classifier.taste.kernel import PLAY_CAP, Basis, History
from classifier.taste.model import CONTRAST, HEAD_START
from classifier.taste.moved import MOVED, STEADY, contrast, overlap
from tests.classifier.tastedata import DAY, FAST, NOW, listened_library, open_store

TRACKS = 8


def _basis() -> Basis:
    """Eight tracks: 0-3 one sound (alike among themselves), 4-7 another."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2, 32))
    vectors = np.repeat(centres, 4, axis=0) + 0.1 * rng.normal(size=(TRACKS, 32))
    units = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return Basis(np.arange(TRACKS), units.astype(np.float32))


def _history(days: list[float], tracks: list[int]) -> History:
    return History(np.array(tracks), np.array(days) * DAY, np.ones(len(days), bool))


def _spread(first: int, last: int, tracks: Sequence[int]) -> tuple[list[float], list[int]]:
    """A listen a day from day ``first`` to ``last`` (days before 0), round the ``tracks``."""
    days = [float(d) for d in range(first, last)]
    return days, [tracks[i % len(tracks)] for i in range(len(days))]


def test_a_steady_listener_overlaps_their_history_and_gets_no_contrast() -> None:
    days, tracks = _spread(-300, 0, [0, 4, 1, 5, 2, 6, 3, 7])  # the two sounds in turn
    moved = overlap(_history(days, tracks), _basis(), 0.5 * DAY, PLAY_CAP)
    assert moved == pytest.approx(1.0, abs=0.02)
    assert contrast(moved) < 0.2


def test_new_tracks_of_the_same_sounds_every_week_are_no_move() -> None:
    # each listen a track never heard before, the two sounds in turn, for months
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(2, 32))
    n = 120
    vectors = centres[np.arange(n) % 2] + 0.3 * rng.normal(size=(n, 32))
    units = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    history = _history([-300.0 + 2.5 * i for i in range(n)], list(range(n)))
    moved = overlap(history, Basis(np.arange(n), units), 0.5 * DAY, PLAY_CAP)
    assert moved == pytest.approx(1.0, abs=0.1)


def test_a_listener_who_left_their_old_sound_gets_the_whole_contrast() -> None:
    old_days, old_tracks = _spread(-300, -30, range(4))
    new_days, new_tracks = _spread(-30, 0, range(4, TRACKS))
    history = _history(old_days + new_days, old_tracks + new_tracks)
    moved = overlap(history, _basis(), 0.5 * DAY, PLAY_CAP)
    assert moved < MOVED
    assert contrast(moved) == 1.0
    # a month earlier the new sound had not begun: listens after the time are not seen
    assert overlap(history, _basis(), -30.5 * DAY, PLAY_CAP) == pytest.approx(1.0, abs=0.02)


def test_the_contrast_grows_as_the_overlap_falls() -> None:
    shares = [contrast(x) for x in np.linspace(1.2, 0.0, 25)]
    assert shares == sorted(shares)
    assert 0.0 < contrast((STEADY + MOVED) / 2) < 1.0


def test_too_few_tracks_to_compare_is_no_move() -> None:
    assert overlap(_history([], []), _basis(), 0.0, PLAY_CAP) == 1.0
    assert overlap(_history([-3.0, -2.0], [5, 5]), _basis(), 0.0, PLAY_CAP) == 1.0


@pytest.mark.parametrize(("drifted", "share"), [(False, 0.0), (True, 1.0)])
def test_a_cycle_anchors_the_head_to_the_contrast_the_history_calls_for(
    tmp_path: Path, drifted: bool, share: float
) -> None:
    history = [("A", 30, 200.0, 1.0)]  # a track every week or so, always A
    if drifted:
        history = [("A", 30, 200.0, 40.0), ("C", 12, 30.0, 1.0)]
    store = open_store(tmp_path)
    listened_library(store, history, {"A": 8, "C": 8})
    result = train_cycle(store, FAST, tmp_path / "models", now=NOW)
    record = store.champion()
    assert result.promoted
    assert record is not None
    anchor = load_checkpoint(tmp_path / "models" / record.checkpoint).get_buffer("mix_anchor")
    for column in CONTRAST:
        assert float(anchor[0, column]) / HEAD_START[column] == pytest.approx(share, abs=0.2)
    assert record.metrics["contrast"] == pytest.approx(share, abs=0.2)  # the readout's
    assert (record.metrics["overlap"] < MOVED) is drifted
