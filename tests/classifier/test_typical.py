"""A track's typicality of the library: hubs read high, a track never measures itself, and
the model a cycle trains keeps the library sample it was measured against."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.cycle.train import train_cycle
from classifier.taste.checkpoints import load_checkpoint
from classifier.taste.kernel import unit_vectors
from classifier.taste.model import TYPICAL
from classifier.taste.typical import REFERENCE, draw_reference, typicality
from tests.classifier.tastedata import FAST, KEY, NOW, listened_library, open_store

DIM = 16


def _space() -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Profiles of DIM means and DIM spreads, taken as they are (z-scores of themselves)."""
    return np.zeros(2 * DIM, np.float32), np.ones(2 * DIM, np.float32), (DIM,)


def _library() -> tuple[np.ndarray, np.ndarray]:
    """Twelve profiles: three sounds of four tracks, then a hub (the three sounds mixed)
    and an outlier (a sound of its own)."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 2 * DIM))
    tracks = np.repeat(centres, 4, axis=0) + 0.3 * rng.normal(size=(12, 2 * DIM))
    hub, outlier = centres.mean(0), rng.normal(size=2 * DIM)
    return np.vstack([tracks, hub, outlier]).astype(np.float32), np.arange(14)


def test_a_track_near_every_sound_is_more_typical_than_one_near_none() -> None:
    profiles, ids = _library()
    space = _space()
    units = unit_vectors(profiles, *space)
    out = typicality(units[12:], ids[12:], profiles[:12], ids[:12], space)
    assert out[0] > out[1] + 1.0  # logs of the mean kernel: the hub's is e times more


def test_a_track_of_the_reference_leaves_itself_out() -> None:
    profiles, ids = _library()
    space = _space()
    units = unit_vectors(profiles, *space)
    inside = typicality(units[:1], ids[:1], profiles, ids, space)
    others = typicality(units[:1], np.array([99]), profiles[1:], ids[1:], space)
    assert inside == pytest.approx(others, abs=1e-5)


def test_without_a_reference_typicality_reads_zero() -> None:
    profiles, ids = _library()
    space = _space()
    out = typicality(unit_vectors(profiles, *space), ids, profiles[:0], ids[:0], space)
    assert np.array_equal(out, np.zeros(len(ids), np.float32))


def test_the_reference_is_a_seeded_sample_of_the_library() -> None:
    library = np.arange(1000, 3000)
    drawn = draw_reference(library, seed=3)
    assert len(drawn) == REFERENCE
    assert np.all(np.diff(drawn) > 0)
    assert np.isin(drawn, library).all()
    assert np.array_equal(drawn, draw_reference(library[::-1], seed=3))
    assert np.array_equal(draw_reference(np.array([5, 2, 5]), seed=3), [2, 5])


def test_a_trained_model_keeps_the_library_it_measured_typicality_against(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 20, 60, 1)], {"A": 12, "B": 12})
    train_cycle(store, FAST, tmp_path / "models", now=NOW)
    record = store.champion()
    assert record is not None
    model = load_checkpoint(tmp_path / "models" / record.checkpoint)
    reference = model.get_buffer("reference_ids").numpy()
    assert len(reference) == len(store.embedded_ids(KEY)) == 44
    width = len(model.get_buffer("space_mean"))
    assert model.get_buffer("reference").shape == (44, width)
    assert model.mix.weight[0, TYPICAL] != 0.0
