"""Why each queued track is there: its closest listened tracks, its artist where much of
the recent listening went there, and its top tags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier import explain, tag_names
from classifier.cycle.because import closest
from classifier.cycle.rescore import rescore
from store import ArtistShare, Because, Like
from tests.classifier.tastedata import DAY, FAST, KEY, NOW, listened_library, open_store


def test_each_candidate_is_explained_by_listened_tracks_of_its_own_cluster(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    lib = listened_library(store, [("A", 4, 10, 1), ("B", 4, 20, 2)], {"A": 4, "B": 4})
    assert rescore(store, FAST, tmp_path / "m", now=NOW) == 8  # cold start, then explained
    candidates = store.candidate_ids()
    reasons = store.reasons(candidates)
    assert set(reasons) == set(candidates)
    for track_id, because in reasons.items():
        assert 1 <= len(because.like) <= 2
        assert {lib.cluster[like.track_id] for like in because.like} == {lib.cluster[track_id]}
        first = because.like[0]
        assert first.last_played_at is not None
        assert first.last_played_at <= NOW
        assert first.artist
        assert first.title
        assert because.like == tuple(sorted(because.like, key=lambda x: -x.similarity))


def test_tags_are_the_most_probable_ones(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 3, 5, 1)], {"A": 3})
    store.put_scores(None, [(t, 0.5) for t in store.candidate_ids()])
    assert explain(store, FAST, KEY, now=NOW) == 3
    names = tag_names(FAST.backbone)
    for track_id, because in store.reasons(store.candidate_ids()).items():
        _, tags = store.get_embedding(track_id, KEY)  # type: ignore[misc]
        best = np.argsort(-tags.mean(axis=0))[:3]
        assert because.tags == tuple(names[i] for i in best)


def test_only_the_top_candidates_are_explained_and_old_reasons_go(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 3, 5, 1)], {"A": 3, "B": 3})
    ids = store.candidate_ids()
    store.put_reasons({ids[0]: Because(tags=("stale",))})
    store.put_scores(None, [(t, i / 10) for i, t in enumerate(ids)])
    assert explain(store, FAST, KEY, now=NOW, top=2) == 2
    assert set(store.reasons(ids)) == set(ids[-2:])


def test_without_listens_a_reason_is_the_tags_alone(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    listened_library(store, [], {"A": 2})
    assert rescore(store, FAST, tmp_path / "m", now=NOW) == 2
    for because in store.reasons(store.candidate_ids()).values():
        assert because.like == ()
        assert len(because.tags) == 3


def test_the_queue_carries_the_reason_and_it_reads_as_a_sentence(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 2, 3, 1)], {"A": 2})
    rescore(store, FAST, tmp_path / "m", now=NOW)
    entry = store.queue(1)[0]
    assert entry.because is not None
    text = entry.because.text(NOW)
    assert text.startswith("sounds like artist h0-A")
    assert ", played 1 d ago" in text or ", played 3 d ago" in text
    assert " · " + ", ".join(entry.because.tags) in text


def test_an_artist_played_lately_is_named_with_its_share(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    spans = [("A", 3, 6, 2), ("B", 1, 3, 3)]  # A: 3 of the week's 4 listens
    lib = listened_library(store, spans, {"A": 2, "B": 2, "C": 2}, cluster_artists=True)
    rescore(store, FAST, tmp_path / "m", now=NOW)
    reasons = store.reasons(store.candidate_ids())
    shares = {lib.cluster[t]: because.artist for t, because in reasons.items()}
    a, b = shares["A"], shares["B"]
    assert a is not None
    assert a.name == "artist of A"
    assert b is not None
    assert b.name == "artist of B"
    assert 0.5 < a.share < 1
    assert 0 < b.share < a.share
    assert a.share + b.share == pytest.approx(1, abs=1e-3)
    assert shares["C"] is None  # never played
    some_a = next(t for t in reasons if lib.cluster[t] == "A")
    assert f"artist of A: {a.share:.0%} of this week's listening" in reasons[some_a].text(NOW)


def test_an_artist_under_a_tenth_of_the_week_is_not_named(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    spans = [("A", 19, 6, 1), ("B", 1, 3, 3)]  # B: one of the week's 20 listens
    lib = listened_library(store, spans, {"A": 1, "B": 2}, cluster_artists=True)
    rescore(store, FAST, tmp_path / "m", now=NOW)
    reasons = store.reasons(store.candidate_ids())
    assert set(reasons) == set(store.candidate_ids())
    named = {lib.cluster[t]: because.artist is not None for t, because in reasons.items()}
    assert named == {"A": True, "B": False}


def test_text_and_json() -> None:
    because = Because(
        (
            Like("Boards of Canada", "Roygbiv", 1, NOW - 3 * DAY, 0.9),
            Like("Ulrich Schnauss", "Knuddelmaus", 2, NOW - 35 * DAY, 0.8),
            Like(None, "Untitled", 3, None, 0.1),
        ),
        ("ambient", "electronic"),
    )
    assert because.text(NOW) == (
        "sounds like Boards of Canada - Roygbiv, played 3 d ago; Ulrich Schnauss - Knuddelmaus, "
        "played 5 weeks ago; Untitled · ambient, electronic"
    )
    data = because.as_json(NOW)
    assert data["text"] == because.text(NOW)
    assert data["like"][0] == {
        "artist": "Boards of Canada",
        "title": "Roygbiv",
        "track_id": 1,
        "last_played_at": NOW - 3 * DAY,
        "similarity": 0.9,
    }
    assert Because.from_json(data) == because
    assert data["artist"] is None
    named = Because(because.like[:1], ("ambient",), ArtistShare("Boards of Canada", 0.25))
    assert named.text(NOW) == (
        "sounds like Boards of Canada - Roygbiv, played 3 d ago · "
        "Boards of Canada: 25% of this week's listening · ambient"
    )
    assert named.as_json(NOW)["artist"] == {"name": "Boards of Canada", "share": 0.25}
    assert Because.from_json(named.as_json(NOW)) == named
    stored_before = {"like": data["like"], "tags": data["tags"]}  # no "artist" key
    assert Because.from_json(stored_before).artist is None
    assert Because(tags=("rock",)).text(NOW) == "rock"
    assert Because((Like("A", "B", 1, NOW - 30, 1.0),)).text(NOW) == (
        "sounds like A - B, played just now"
    )


def test_ages_read_as_people_say_them() -> None:
    def played(seconds: float) -> str:
        return Like("A", "B", 1, NOW - seconds, 1.0).text(NOW).split("played ")[1]

    assert played(5 * 60) == "5 min ago"
    assert played(3 * 3600) == "3 h ago"
    assert played(13 * DAY) == "13 d ago"
    assert played(7 * DAY * 7) == "7 weeks ago"
    assert played(100 * DAY) == "3 months ago"
    assert played(400 * DAY) == "1 year ago"


def test_closest_ranks_each_candidates_nearest_profiles_first() -> None:
    rng = np.random.default_rng(0)
    candidates = rng.normal(size=(500, 1506)).astype(np.float32)
    positives = rng.normal(size=(2000, 1506)).astype(np.float32)
    index, cosines = closest(candidates, positives)
    assert index.shape == cosines.shape == (500, 2)
    assert np.all(cosines[:, 0] >= cosines[:, 1])
    twin = closest(positives[7:8] + 1e-3, positives)[0]
    assert twin[0, 0] == 7
