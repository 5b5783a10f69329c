"""Rescoring every candidate from the store's cache; the cold-start ranking."""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from classifier.cycle.features import load_features
from classifier.cycle.rescore import _one_torch_thread, rank_tracks, rescore
from classifier.cycle.scene import scene_at
from classifier.cycle.train import train_cycle
from classifier.cycle.validation import content_logits
from classifier.embed import feature_key
from classifier.taste.checkpoints import load_checkpoint, resolve_checkpoint
from classifier.taste.features import track_profiles
from classifier.taste.kernel import PLAY_CAP
from classifier.taste.metrics import roc_auc
from classifier.taste.mix import model_inputs
from classifier.taste.model import ARTIST, TasteModel
from store import Store
from tests.classifier.tastedata import FAST, KEY, NOW, listened_library, open_store, ref


def test_rescore_writes_one_score_per_embedded_candidate(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 8, 30, 1)], {"A": 5, "B": 5})
    store.add_feed_items("feed", [ref("no features yet")])
    bare = store.find_tracks("artist no features yet - title no features yet")[0].id
    result = train_cycle(store, FAST, tmp_path / "m", now=NOW)
    embedded = [t for t in store.candidate_ids() if t != bare]
    assert rescore(store, FAST, tmp_path / "m") == len(embedded) == 10
    scores = store.scores()
    assert set(scores) == set(embedded)
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    expected = None if store.ranker().ranker == "similarity" else result.version
    assert {e.model_version for e in store.queue(limit=20)} == {expected}


def test_ranking_scores_are_the_heads_on_each_tracks_own_inputs(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    # enough to adapt; each cluster by one artist, so the artist signal takes part
    lib = listened_library(store, [("A", 8, 30, 1)], {"A": 25, "B": 26}, cluster_artists=True)
    train_cycle(store, FAST, tmp_path / "m", now=NOW)
    model = _champion(store, tmp_path / "m")
    assert model.adapter() is not None
    ids = store.candidate_ids()
    scene = scene_at(store, FAST, KEY, store.embedded_ids(KEY), NOW, model.adapter())
    assert scene.cap == PLAY_CAP  # not the body's label cap
    fast = dict(rank_tracks(model, scene, store, KEY, ids, now=NOW, chunk=3))
    feats = load_features(store, KEY, ids)
    vectors = track_profiles(feats, np.arange(len(ids)), model.adapter())
    times = np.full(len(ids), NOW)  # per-track times: the plain, per-row path
    content = content_logits(model, feats)
    inputs = model_inputs(model, scene, vectors, content, times, ids=feats.track_ids)
    heard_artist = np.array([lib.cluster[int(t)] == "A" for t in feats.track_ids])
    np.testing.assert_allclose(inputs[:, ARTIST], heard_artist.astype(np.float32))
    with torch.no_grad():
        expected = model.rank(torch.from_numpy(inputs.astype(np.float32))).numpy()
    got = np.array([fast[int(t)] for t in feats.track_ids])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)


def _champion(store: Store, models: Path) -> TasteModel:
    champion = store.champion()
    assert champion is not None
    return load_checkpoint(resolve_checkpoint(champion.checkpoint, models)).eval()


def test_cold_start_ranks_by_similarity_to_what_was_listened(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    lib = listened_library(store, [("A", 2, 3, 1)], {"A": 6, "B": 6})
    ids = store.candidate_ids()
    assert rescore(store, FAST, tmp_path / "m", now=NOW) == len(ids)
    scores = store.scores()
    assert set(scores) == set(ids)
    relevant = np.array([lib.cluster[t] == "A" for t in ids])
    assert roc_auc(np.array([scores[t] for t in ids]), relevant) == 1.0
    assert store.champion() is None
    assert all(e.model_version is None for e in store.queue(limit=20))


def _trained_state(state: Path) -> None:
    store = open_store(state, "tastebud.db")
    listened_library(store, [("A", 8, 30, 1)], {"A": 5, "B": 5})
    result = train_cycle(store, FAST, state / "models", now=NOW)
    assert result.promoted
    store.close()


def _rescore_with_the_champion(state: Path) -> int:
    with Store.open(state / "tastebud.db") as store:
        model = _champion(store, state / "models")
        key = feature_key(FAST.backbone)
        scene = scene_at(store, FAST, key, store.embedded_ids(key), NOW, model.adapter())
        scored = rank_tracks(model, scene, store, key, store.candidate_ids(), now=NOW)
        assert rescore(store, FAST, state / "models") > 0
        again = train_cycle(store, FAST, state / "models", now=NOW + 60)  # warm-starts from it
        assert again.trained
        return len(scored)


def test_a_state_directory_copied_elsewhere_still_finds_its_model(tmp_path: Path) -> None:
    _trained_state(tmp_path / "old")
    with Store.open(tmp_path / "old" / "tastebud.db") as store:
        recorded = store.champion().checkpoint  # type: ignore[union-attr]
    assert not Path(recorded).is_absolute()
    shutil.copytree(tmp_path / "old", tmp_path / "new")
    shutil.rmtree(tmp_path / "old")
    assert _rescore_with_the_champion(tmp_path / "new") == 10


def test_an_absolute_checkpoint_path_from_an_older_version_is_found_after_a_move(
    tmp_path: Path,
) -> None:
    _trained_state(tmp_path / "old")
    with Store.open(tmp_path / "old" / "tastebud.db") as store:
        name = store.champion().checkpoint  # type: ignore[union-attr]
        absolute = str((tmp_path / "old" / "models" / name).resolve())
        store.conn.execute("UPDATE models SET checkpoint = ?", (absolute,))  # as older versions
    shutil.move(tmp_path / "old", tmp_path / "new")
    assert resolve_checkpoint(absolute, tmp_path / "new" / "models") == (
        tmp_path / "new" / "models" / name
    )
    assert _rescore_with_the_champion(tmp_path / "new") == 10


def test_overlapping_rescorings_put_torchs_threads_back_once() -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    seen: list[int] = []
    barrier = threading.Barrier(2, timeout=30)

    def rescoring() -> None:
        with _one_torch_thread():
            barrier.wait()  # both inside at once
            seen.append(torch.get_num_threads())
            barrier.wait()

    try:
        threads = [threading.Thread(target=rescoring) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert seen == [1, 1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_candidates_without_the_ranking_features_lose_their_old_scores(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 8, 30, 1)], {"A": 5, "B": 5})
    rescore(store, FAST, tmp_path / "models", now=NOW)
    candidates = store.candidate_ids()
    assert set(store.scores()) >= set(candidates)
    other = replace(FAST, backbone="MTT_musicnn")
    moved = [t.id for t in store.tracks() if t.id not in candidates[:3]]
    for track_id in moved:  # all but three candidates analysed with the other network
        feats, tags = store.get_embedding(track_id, KEY)
        store.put_embedding(track_id, feature_key(other.backbone), feats, tags)
    rescore(store, other, tmp_path / "models", now=NOW)
    scores = store.scores()
    assert not set(candidates[:3]) & set(scores)
    assert set(candidates[3:]) <= set(scores)
