"""The queue's ranking rules on plain candidates: no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from store import Track, match_key
from store.ranking import Candidate, by_score, dedupe, rank, spread_artists, without_blocked


def _candidate(
    track_id: int,
    artist: str | None = "A",
    title: str | None = None,
    score: float | None = None,
    position: int | None = 0,
) -> Candidate:
    title = title if title is not None else f"t{track_id}"
    track = Track(
        track_id, artist, title, None, None, None, "feed", match_key(artist, title), 0.0,
        "ready", 0, None, None, None,
    )  # fmt: skip
    return Candidate(track, score, model_version=1, feed="f", offered_at=1.0, position=position)


def _ids(candidates: list[Candidate]) -> list[int]:
    return [c.track.id for c in candidates]


def test_by_score_puts_the_best_first_then_unscored_in_feed_order() -> None:
    candidates = [
        _candidate(1, score=None, position=2),
        _candidate(2, score=0.4),
        _candidate(3, score=0.9),
        _candidate(4, score=None, position=1),
        _candidate(5, score=0.4, position=None),  # no position sorts first, as in SQL
        _candidate(6, score=None, position=1),
    ]
    assert _ids(by_score(candidates)) == [3, 5, 2, 4, 6, 1]


def test_blocked_artists_compare_normalized() -> None:
    candidates = [
        _candidate(1, artist="Blocked Band"),
        _candidate(2, artist="Other"),
        _candidate(3, artist=None, title="no artist"),
    ]
    assert _ids(without_blocked(candidates, ["blocked band"])) == [2, 3]
    assert _ids(without_blocked(candidates, ["BLOCKED   Band!"])) == [2, 3]
    assert _ids(without_blocked(candidates, [])) == [1, 2, 3]


def test_dedupe_keeps_the_first_of_each_recording() -> None:
    candidates = [
        _candidate(1, artist="Daft Punk", title="One More Time"),
        _candidate(2, artist="DAFT PUNK", title="One More Time (Official Video)"),
        _candidate(3, artist=None, title=""),  # no match key: kept by id
        _candidate(4, artist=None, title=""),
    ]
    assert _ids(dedupe(candidates)) == [1, 3, 4]


def test_spread_artists_caps_each_artist_per_window() -> None:
    candidates = [_candidate(i, artist="A") for i in range(4)] + [_candidate(9, artist="B")]
    assert _ids(spread_artists(candidates, limit=10, per_artist=2, window=50)) == [0, 1, 9]


def test_spread_artists_lets_an_artist_return_after_the_window() -> None:
    candidates = [_candidate(i, artist="A") for i in range(3)] + [_candidate(9, artist="B")]
    picked = spread_artists(candidates, limit=10, per_artist=1, window=2)
    assert [c.track.artist for c in picked] == ["A", "B", "A"]


def test_spread_artists_stops_at_the_limit() -> None:
    candidates = [_candidate(i, artist=f"artist {i}") for i in range(5)]
    assert _ids(spread_artists(candidates, limit=3, per_artist=1, window=10)) == [0, 1, 2]


def test_rank_numbers_entries_and_keeps_their_details() -> None:
    candidates = [
        _candidate(1, artist="A", score=0.2),
        _candidate(2, artist="A", score=0.8),
        _candidate(3, artist="Blocked", score=0.9),
        _candidate(4, artist="A", title="t2", score=0.5),  # the same recording as 2
    ]
    queue = rank(candidates, ["blocked"], limit=10, per_artist=2, window=50)
    assert [(e.rank, e.track.id, e.score) for e in queue] == [(1, 2, 0.8), (2, 1, 0.2)]
    assert (queue[0].model_version, queue[0].feed, queue[0].offered_at) == (1, "f", 1.0)


@given(
    st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.floats(0, 1)), min_size=1, max_size=30),
    st.integers(1, 3),
    st.integers(1, 6),
)
def test_no_window_holds_an_artist_too_often(
    items: list[tuple[str, float]], per_artist: int, window: int
) -> None:
    candidates = [_candidate(i, artist=a, score=s) for i, (a, s) in enumerate(items)]
    queue = rank(candidates, [], limit=50, per_artist=per_artist, window=window)
    artists = [e.track.artist for e in queue]
    for start in range(len(artists)):
        span = artists[start : start + window]
        assert all(span.count(a) <= per_artist for a in set(span))
    assert len({e.track.id for e in queue}) == len(queue)
