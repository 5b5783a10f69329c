"""A personalised mix: the seed first, then its nearest neighbours among the queue and the
library, re-ranked by the listener's model (the stored standings)."""

from __future__ import annotations

import numpy as np

from daemon.playlists.formats import parse_playlist
from store import Store
from tests.daemon.web.webapi import Api, Scene


def _profiles(scene: Scene, ids: list[int]) -> dict[int, np.ndarray]:
    with Store.open(scene.config.db_path, readonly=True) as store:
        out = {}
        for track, feats, _ in store.iter_embeddings("MSD_musicnn", ids):
            x = feats.astype(np.float64)
            out[track] = np.concatenate([x.mean(0), x.std(0)])
    return out


def test_the_mix_is_the_nearest_neighbours_ranked_by_standing(api: Api, scene: Scene) -> None:
    seed = scene.pop.candidate_ids[4]
    n = 5
    mix = api.get(f"/api/mix?seed={seed}&n={n}").json()
    tracks = mix["tracks"]
    assert mix["seed"]["id"] == seed
    assert tracks[0]["id"] == seed
    assert tracks[0]["from"] == "seed"
    assert len(tracks) == n
    assert [t["rank"] for t in tracks] == list(range(1, n + 1))
    rest = tracks[1:]
    standings = [t["standing"] for t in rest]
    assert standings == sorted(standings, reverse=True)
    # the pool: the queue and the library; each kept track is among the 2 (n - 1) nearest
    pool = [r["id"] for r in api.get("/api/queue?limit=5000").json() if r["id"] != seed]
    profiles = _profiles(scene, [seed, *pool])
    matrix = np.stack([profiles[t] for t in [seed, *pool]])
    z = (matrix - matrix.mean(0)) / np.maximum(matrix.std(0), 1e-6)
    units = z / np.linalg.norm(z, axis=1, keepdims=True)
    sims = dict(zip(pool, units[1:] @ units[0], strict=True))
    nearest = sorted(pool, key=lambda t: -sims[t])[: 2 * (n - 1)]
    assert {t["id"] for t in rest} <= set(nearest)
    for t in rest:
        assert abs(t["similarity"] - sims[t["id"]]) < 1e-3


def test_a_mix_from_a_url_or_a_rank_and_from_outside_the_queue(api: Api, scene: Scene) -> None:
    url = scene.pop.candidates[scene.pop.candidate_ids[6]].url
    assert (
        api.get("/api/mix", params={"seed": url, "n": 3}).json()["seed"]["id"]
        == (scene.pop.candidate_ids[6])
    )
    first = api.get("/api/queue?limit=1").json()[0]["id"]
    assert api.get("/api/mix", params={"seed": "#1", "n": 3}).json()["seed"]["id"] == first
    listened = scene.pop.recent_listen_ids[0]  # not queued, but it has features
    mix = api.get(f"/api/mix?seed={listened}&n=4").json()
    assert mix["tracks"][0]["id"] == listened
    assert len(mix["tracks"]) == 4


def test_a_mix_as_a_playlist(api: Api, scene: Scene) -> None:
    seed = scene.pop.candidate_ids[0]
    m3u = api.get(f"/api/mix?seed={seed}&n=4&format=m3u8")
    assert m3u.headers["content-type"].startswith("audio/x-mpegurl")
    entries = parse_playlist("m3u8", m3u.text)
    assert len(entries) == 4
    assert entries[0].url == scene.pop.candidates[seed].url
    xspf = parse_playlist("xspf", api.get(f"/api/mix?seed={seed}&n=4&format=xspf").text)
    assert [e.track_id for e in xspf] == [
        t["id"] for t in api.get(f"/api/mix?seed={seed}&n=4").json()["tracks"]
    ]


def test_a_mix_that_cannot_be_made_says_why(api: Api, scene: Scene) -> None:
    missing = api.get("/api/mix?seed=Nobody%20-%20Nothing")
    assert missing.status_code == 404
    assert "no track matches" in missing.json()["error"]
    unfetched = api.get(f"/api/mix?seed={scene.pop.backlog_ids[0]}")
    assert unfetched.status_code == 404
    assert "no audio features yet" in unfetched.json()["error"]
    assert api.get("/api/mix").status_code == 400
    assert api.get(f"/api/mix?seed={scene.pop.candidate_ids[0]}&n=0").status_code == 400
    assert api.get(f"/api/mix?seed={scene.pop.candidate_ids[0]}&format=csv").status_code == 400
