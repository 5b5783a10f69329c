"""The representation study: its spaces are the drift tables' for today's features, its
concatenations weigh their parts equally, and its numbers survive a save and a load;
and corpus C's zip archive is unpacked."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from bench.drift import rankers
from bench.drift.corpus import SPECS, Corpus, unpack_archives
from bench.drift.representations import (
    REPRESENTATIONS,
    TODAYS,
    representation,
    stored_bytes,
    study,
    track_space,
)
from bench.drift.run import Settings, kinds_mean
from bench.drift.study import corpus_block, load, save

N, P = 24, 4


def _corpus(rng: np.random.Generator, dims: int = 1506) -> Corpus:
    """Four styles of six tracks, each style offset from the others."""
    labels = np.repeat(np.arange(4), N // 4)
    centres = rng.normal(0.0, 1.0, size=(4, dims))
    features = centres[labels][:, None, :] + rng.normal(0.0, 1.0, size=(N, P, dims))
    tags = rng.uniform(size=(N, P, 50)).astype(np.float32)
    spec = SPECS["a"]
    packages = [spec.packages[i] for i in labels]
    paths = [f"track{i}.ogg" for i in range(N)]
    return Corpus(spec, paths, packages, features.astype(np.float16), tags)


def test_todays_space_is_the_drift_tables_space() -> None:
    corpus = _corpus(np.random.default_rng(0))
    ours = track_space([corpus.features], [False])
    theirs = rankers.space(corpus.features)
    np.testing.assert_allclose(ours.profiles, theirs.profiles, atol=1e-6)
    np.testing.assert_allclose(ours.z, theirs.z, atol=1e-5)


def test_a_concatenation_weighs_its_parts_equally() -> None:
    rng = np.random.default_rng(1)
    big, small = rng.normal(size=(N, P, 300)), rng.normal(size=(N, P, 20))
    both = track_space([big, small], [False, False])
    one, two = track_space([big], [False]), track_space([small], [False])
    cosines = both.profiles @ both.profiles.T
    halves = (one.profiles @ one.profiles.T + two.profiles @ two.profiles.T) / 2
    np.testing.assert_allclose(cosines, halves, atol=1e-5)
    share = np.square(both.z[:, :300]).sum() / np.square(both.z).sum()
    assert share == pytest.approx(0.5, abs=1e-3)
    assert np.square(both.z).sum(axis=1).mean() == pytest.approx(1506, rel=1e-3)


def test_stored_bytes_count_features_as_float16_and_every_checkpoints_tags() -> None:
    outputs = {"MSD_musicnn": np.zeros((1, 10, 1506)), "MTT_vgg": np.zeros((1, 10, 256))}
    outputs["MSD_musicnn/tags"] = np.zeros((1, 10, 50))
    today = representation(TODAYS, "MSD_musicnn")
    assert stored_bytes(today, outputs, 2) == 10 * (1506 * 2 + 50 * 4)
    both = representation("both", "MSD_musicnn", "MTT_vgg")
    assert stored_bytes(both, outputs, 4) == 10 * ((1506 + 256) * 4 + 2 * 50 * 4)
    tags = representation("tags", "MSD_musicnn/tags", spread=("MSD_musicnn/tags",))
    assert stored_bytes(tags, outputs, 2) == 10 * 50 * 4
    joined = representation("joined", "MSD_musicnn+MSD_musicnn/tags")
    assert joined.models == ("MSD_musicnn",)
    assert joined.dims(outputs) == 1556
    assert stored_bytes(joined, outputs, 2) == stored_bytes(today, outputs, 2)


def test_the_study_ranks_separable_styles_and_its_numbers_round_trip(tmp_path: Path) -> None:
    corpus = _corpus(np.random.default_rng(2))
    outputs = {"MSD_musicnn": corpus.features, "MSD_musicnn/tags": corpus.tags}
    rows = (REPRESENTATIONS[0], *REPRESENTATIONS[-2:])
    s = Settings(kinds=["switch", "multi"], seeds=[0, 1], days=2, rows="similarity")
    x = study(corpus, outputs, s, rows)
    _, auc = kinds_mean(x.results, f"{TODAYS} | kernel", along=True)
    assert auc > 0.9  # P@20 is bounded by the few relevant candidates of 24 tracks
    timings = {"torch": {"MSD_musicnn": 0.5}, "onnxruntime": {"MSD_musicnn": 0.25}}
    save([x], timings, tmp_path / "x.json")
    (back,), embed_s = load([tmp_path / "x.json"])
    assert back.results.cells == x.results.cells
    text = corpus_block(back, embed_s)
    assert f"**{TODAYS}** | 1506 |" in text
    assert "| 0.50 (2.0/s) / 0.25 (4.0/s) |" in text
    assert "| today's + MSD taggram |" in text
    assert "| today's with the MSD taggram as 50 more values per patch | 1556 |" in text


def test_a_corpus_package_s_zip_archives_are_unpacked_beside_them(tmp_path: Path) -> None:
    data = tmp_path / "usr" / "share" / "data"
    data.mkdir(parents=True)
    with zipfile.ZipFile(data / "music.pk3", "w") as archive:
        archive.writestr("sound/cdtracks/one.ogg", b"not really audio")
    unpack_archives(tmp_path, "")
    assert not (data / "music").exists()
    unpack_archives(tmp_path, SPECS["c"].archives)
    assert (data / "music" / "sound" / "cdtracks" / "one.ogg").read_bytes() == b"not really audio"
