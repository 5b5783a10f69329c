"""Why each of the best-scored candidates is queued: the listened or liked tracks it is
closest to, its artist where at least :data:`ARTIST_SHARE` of the last week's listening
went to that artist (the ranking head's artist signal, :mod:`classifier.taste.artists`),
and its most probable musicnn tags.

Closeness is the cosine of track profiles z-scored over the tracks involved (the
candidates and the positives): the space of the similarity ranking
(:mod:`classifier.taste.kernel`). The positives are those of the labelled set,
listened or liked and not disliked since. One matmul compares every candidate with
every positive, so 500 candidates against 2,000 positives take milliseconds; reading
their features takes the rest.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import numpy as np

from classifier.config import ModelConfig
from classifier.cycle.features import read_profiles
from classifier.cycle.labels import build_labels
from classifier.cycle.scene import scene_at
from classifier.musicnn.weights import tag_names
from classifier.taste.artists import artist_share
from classifier.taste.kernel import Basis, space_of, unit_vectors
from classifier.taste.mix import Scene
from store import ArtistShare, Because, Like, Store, TastebudError, Track

__all__ = ["ARTIST_SHARE", "LIKES", "TOP_TAGS", "closest", "explain"]

logger = logging.getLogger(__name__)

LIKES = 2  # the closest positives a reason names (the second only when it is similar at all)
TOP_TAGS = 3
ARTIST_SHARE = 0.1
"""The least share of the last week's listening a reason names a track's artist for."""


def explain(
    store: Store,
    config: ModelConfig,
    key: str,
    *,
    now: float,
    top: int = 500,
    known: Scene | None = None,
    scored: Sequence[tuple[int, float]] | None = None,
    embedded: set[int] | None = None,
) -> int:
    """Store why each of the ``top`` best-scored candidates is queued, replacing every
    stored reason; returns how many were stored. Rescoring passes what it has in hand
    (else it is read): ``known``, the history's profiles; ``scored``, the candidates'
    scores it just stored; ``embedded``, the tracks with features under ``key``."""
    candidates = _best(_stored_scores(store) if scored is None else scored, top)
    usable = store.embedded_ids(key) if embedded is None else embedded
    ask = _Ask(store, config, key, now, known, usable)
    likes = _likes(ask, candidates) if candidates else {}
    tags = _top_tags(store, config, key, candidates)
    artists = _artists(ask, candidates) if candidates else {}
    reasons = {
        t: Because(likes.get(t, ()), tags.get(t, ()), artists.get(t))
        for t in candidates
        if likes.get(t) or tags.get(t) or t in artists
    }
    written = store.put_reasons(reasons, now=now)
    logger.info("reasons stored for %d of the %d best-scored candidates", written, len(candidates))
    return written


def _stored_scores(store: Store) -> list[tuple[int, float]]:
    """(track, score) of the never-listened feed tracks that are scored."""
    scores = store.scores()
    return [(t, scores[t]) for t in store.candidate_ids() if t in scores]


def _best(scored: Sequence[tuple[int, float]], top: int) -> list[int]:
    """The ``top`` tracks of ``scored`` with the highest scores, best first (ties: the
    lower id)."""
    ids = np.fromiter((t for t, _ in scored), np.int64, len(scored))
    values = np.fromiter((s for _, s in scored), np.float64, len(scored))
    order = np.lexsort((ids, -values))[:top]
    return [int(t) for t in ids[order]]


def closest(
    candidates: np.ndarray, positives: np.ndarray, k: int = LIKES
) -> tuple[np.ndarray, np.ndarray]:
    """(indices (C, k) into ``positives``, cosines (C, k)), most similar first, of each
    candidate's ``k`` closest positives, all z-scored over both sets together."""
    mean, std = space_of(np.concatenate([candidates, positives]))
    cosines = unit_vectors(candidates, mean, std) @ unit_vectors(positives, mean, std).T
    k = min(k, cosines.shape[1])
    part = np.argpartition(-cosines, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(cosines, part, axis=1), axis=1, kind="stable")
    index = np.take_along_axis(part, order, axis=1)
    return index, np.take_along_axis(cosines, index, axis=1)


@dataclasses.dataclass(frozen=True)
class _Ask:
    """What a reason is looked up in: the store, the model's settings and feature key, the
    time, the history's profiles where the caller has them, the tracks with features."""

    store: Store
    config: ModelConfig
    key: str
    now: float
    known: Scene | None
    usable: set[int]


def _likes(ask: _Ask, candidates: list[int]) -> dict[int, tuple[Like, ...]]:
    """Each candidate's closest listened or liked tracks (of those in ``usable``)."""
    store, config, key, now = ask.store, ask.config, ask.key, ask.now
    unlabelled = dataclasses.replace(config, unlabelled_sample=0)
    labels = build_labels(store, unlabelled, ask.usable, now=now)
    wanted = [int(t) for t in labels.track_ids[labels.targets == 1]]
    pos_ids, pos_vectors = _vectors(store, key, wanted, ask.known)
    cand_ids, cand_vectors = read_profiles(store, key, candidates)
    if not pos_ids or not cand_ids:
        return {}
    index, cosines = closest(cand_vectors, pos_vectors)
    played = _last_played(store, now)
    tracks = store.get_tracks(pos_ids[i] for i in np.unique(index))
    out: dict[int, tuple[Like, ...]] = {}
    for row, candidate in enumerate(cand_ids):
        picks = [(pos_ids[i], float(c)) for i, c in zip(index[row], cosines[row], strict=True)]
        out[candidate] = tuple(
            _like(tracks.get(t), t, c, played.get(t))
            for n, (t, c) in enumerate(picks)
            if n == 0 or c > 0  # a second one only when it is similar at all
        )
    return out


def _vectors(
    store: Store, key: str, wanted: list[int], known: Scene | None
) -> tuple[list[int], np.ndarray]:
    """Profiles of ``wanted`` (those with features): from ``known`` where it has them."""
    if known is None or not len(known.basis_ids):
        return read_profiles(store, key, wanted)
    rows = {t: i for i, t in enumerate(known.basis_ids.tolist())}
    kept = [t for t in wanted if t in rows]
    read_ids, read = read_profiles(store, key, [t for t in wanted if t not in rows])
    dim = known.basis_vectors.shape[1]
    have = known.basis_vectors[[rows[t] for t in kept]].reshape(len(kept), dim)
    return kept + read_ids, np.concatenate([have, read.reshape(len(read_ids), dim)])


def _like(track: Track | None, track_id: int, similarity: float, played: float | None) -> Like:
    artist, title = (track.artist, track.title) if track else (None, None)
    return Like(artist, title, track_id, played, round(similarity, 4))


def _last_played(store: Store, now: float) -> dict[int, float]:
    """Each track's newest listen up to ``now``."""
    last: dict[int, float] = {}
    for track_id, at, _ in store.listens():
        if at <= now:
            last[track_id] = max(last.get(track_id, 0.0), float(at))
    return last


def _artists(ask: _Ask, candidates: list[int]) -> dict[int, ArtistShare]:
    """Each candidate's artist, where at least :data:`ARTIST_SHARE` of the last week's
    listening went to that artist's other tracks."""
    scene = ask.known
    if scene is None:
        scene = scene_at(ask.store, ask.config, ask.key, ask.usable, ask.now)
    basis = Basis(scene.basis_ids, scene.basis_vectors)
    ids = np.array(candidates, np.int64)
    at = np.array([ask.now])
    shares = artist_share(scene.artists, ids, scene.history, basis, at, cap=scene.cap)
    named = {t: s for t, s in zip(candidates, shares.tolist(), strict=True) if s >= ARTIST_SHARE}
    tracks = ask.store.get_tracks(named)
    return {
        t: ArtistShare(track.artist, round(named[t], 4))
        for t, track in tracks.items()
        if track.artist
    }


def _top_tags(
    store: Store, config: ModelConfig, key: str, track_ids: list[int]
) -> dict[int, tuple[str, ...]]:
    """The ``TOP_TAGS`` most probable tags of each track (patch means of its stored tags)."""
    names = _tag_names(config.backbone)
    means = store.mean_tags(key, track_ids)
    return {
        t: tuple(_tag(names, int(i)) for i in np.argsort(-m)[:TOP_TAGS]) for t, m in means.items()
    }


def _tag(names: tuple[str, ...], i: int) -> str:
    return names[i] if i < len(names) else f"tag{i}"


def _tag_names(backbone: str) -> tuple[str, ...]:
    """The backbone's tag names; none (tags show as ``tagN``) when musicnn is missing."""
    try:
        return tuple(tag_names(backbone))
    except (ImportError, TastebudError) as exc:
        logger.warning("tag names unavailable, reasons show tag numbers: %s", exc)
        return ()
