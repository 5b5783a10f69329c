"""The artist signal: the share of the recent listening that went to a track's artist."""

from __future__ import annotations

import numpy as np

from classifier.taste.artists import Artists, artist_share
from classifier.taste.kernel import Basis, History, history_weights
from store.identity import artist_key

DAY = 86400.0
NOW = 1_000 * DAY
ARTISTS = Artists.of([(1, "x"), (2, "y"), (3, "x"), (4, "y"), (6, "x"), (7, "")])


def _scene(*listens: tuple[int, float]) -> tuple[History, Basis]:
    """A history of ``(track, days ago)`` listens and a basis of its tracks."""
    ids = np.array([t for t, _ in listens], np.int64)
    times = np.array([NOW - d * DAY for _, d in listens])
    basis = np.unique(ids)
    return History(ids, times, np.ones(len(ids), bool)), Basis(basis, np.zeros((len(basis), 2)))


def test_tracks_of_one_artist_share_a_key_and_unnamed_ones_have_none() -> None:
    keys = ARTISTS.keys_of(np.array([1, 3, 6, 2, 4, 5, 7]))
    assert keys[0] == keys[1] == keys[2] != keys[3] == keys[4]
    assert keys[5] == keys[6] == -1
    assert (Artists.none().keys_of(np.array([1, 2])) == -1).all()


def test_the_share_is_the_recent_listening_that_went_to_the_artist() -> None:
    history, basis = _scene((1, 0.5), (1, 1.0), (1, 1.5), (2, 1.0))
    share = artist_share(ARTISTS, np.array([3, 4, 5, 7]), history, basis, np.array(NOW), cap=50)
    weights = 0.5 ** (np.array([0.0, 0.5, 1.0, 0.5]) / 7)  # ages from the newest listen
    x, y = weights[:3].sum(), weights[3]
    np.testing.assert_allclose(share, [x / (x + y), y / (x + y), 0.0, 0.0], rtol=1e-6)


def test_a_track_is_not_its_own_evidence() -> None:
    history, basis = _scene((1, 1.0), (1, 2.0), (6, 3.0), (2, 1.0))
    at = np.full(2, NOW)
    share = artist_share(ARTISTS, np.array([1, 3]), history, basis, at, cap=50, own=True)
    w = 0.5 ** (np.array([0.0, 1.0, 2.0, 0.0]) / 7)
    np.testing.assert_allclose(share[0], w[2] / (w[2] + w[3]), rtol=1e-6)  # 1's own left out
    np.testing.assert_allclose(share[1], w[:3].sum() / w.sum(), rtol=1e-6)  # 3 was never heard


def test_one_time_for_all_and_one_time_each_agree() -> None:
    history, basis = _scene((1, 1.0), (2, 3.0), (6, 10.0), (4, 20.0))
    ids = np.array([3, 4, 5, 1])
    shared = artist_share(ARTISTS, ids, history, basis, np.array(NOW), cap=50)
    each = artist_share(ARTISTS, ids, history, basis, np.full(4, NOW), cap=50)
    np.testing.assert_allclose(shared, each, rtol=1e-6)


def test_the_kernels_weights_give_the_same_share_as_its_own() -> None:
    history, basis = _scene((1, 1.0), (2, 3.0), (6, 10.0), (4, 20.0), (1, 40.0))
    ids = np.array([3, 4, 5, 1, 6])
    for at in (np.array([NOW]), np.full(5, NOW - 2 * DAY)):
        for own in (False, True):
            kernels = history_weights(history, basis, at, 5.0)
            given = artist_share(
                ARTISTS, ids, history, basis, at, cap=5.0, own=own, weights=kernels
            )
            alone = artist_share(ARTISTS, ids, history, basis, at, cap=5.0, own=own)
            np.testing.assert_array_equal(given, alone)
            assert given.any()


def test_placeholders_name_no_artist() -> None:
    assert artist_key("Various Artists") == artist_key("Unknown Artist") == artist_key(None) == ""
    assert artist_key("Boards of Canada") == artist_key("boards of canada") != ""
