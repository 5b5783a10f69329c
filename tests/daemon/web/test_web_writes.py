"""The API's writes: feedback through the same code as ``tastebud feedback``, and retry."""

from __future__ import annotations

import time

import pytest

from store import Store
from tests.cli_helpers import run_cli
from tests.daemon.web.webapi import Api, Scene


def _queued(api: Api) -> list[int]:
    return [r["id"] for r in api.get("/api/queue?limit=100").json()]


@pytest.mark.parametrize("action", ["like", "dislike", "dismiss"])
def test_feedback_by_rank_leaves_the_queue_and_undo_brings_it_back(api: Api, action: str) -> None:
    first = _queued(api)[0]
    done = api.post("/api/feedback", {"action": action, "track": "#1"}).json()
    past = {"like": "liked", "dislike": "disliked", "dismiss": "dismissed"}[action]
    assert done["message"].startswith(f"{past} #1 ")
    assert done["stored"] is True
    assert done["track"] == first
    assert first not in _queued(api)
    again = api.post("/api/feedback", {"action": action, "track": str(first)}).json()
    assert again["stored"] is False
    assert "again" in again["message"]
    undone = api.post("/api/feedback", {"action": "undo"}).json()
    assert undone["message"].startswith(f"undid: {past} ")
    assert _queued(api)[0] == first


def test_feedback_takes_an_id_or_a_url_as_the_cli_does(api: Api, scene: Scene) -> None:
    third = scene.pop.candidate_ids[2]
    url = scene.pop.candidates[third].url
    done = api.post("/api/feedback", {"action": "like", "track": url}).json()
    assert done["track"] == third
    by_id = api.post("/api/feedback", {"action": "dismiss", "track": scene.pop.candidate_ids[4]})
    assert by_id.json()["track"] == scene.pop.candidate_ids[4]
    listed = run_cli(scene.config_path, "feedback", "list")
    assert "liked Feed Artist 2 - Candidate 2" in listed.stdout
    assert "[cli]" in listed.stdout


def test_block_and_unblock_the_artist_of_a_track(api: Api, scene: Scene) -> None:
    queue = api.get("/api/queue?limit=100").json()
    artist = queue[0]["artist"]
    done = api.post("/api/feedback", {"action": "block", "track": "#1"}).json()
    assert done["message"] == f"blocked artist {artist}"
    assert done["artist"] == artist
    assert all(r["artist"] != artist for r in api.get("/api/queue?limit=100").json())
    lifted = api.post("/api/feedback", {"action": "unblock", "artist": artist}).json()
    assert lifted["message"] == f"unblocked artist {artist}"
    assert api.get("/api/queue?limit=1").json()[0]["artist"] == artist
    unknown = api.post("/api/feedback", {"action": "block", "artist": "Nobody Ever"}).json()
    assert "no track by" in unknown["warning"]
    twice = api.post("/api/feedback", {"action": "unblock", "artist": "Not Blocked"})
    assert twice.status_code == 404
    assert "is not blocked" in twice.json()["error"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"action": "love", "track": "#1"}, 400, "is not one of like, dislike"),
        ({"action": "like"}, 400, "name the track"),
        ({"action": "like", "track": "#999"}, 404, "no #999 in the queue"),
        ({"action": "like", "track": "Nobody - Nothing"}, 404, "no track matches"),
        ({"action": "like", "track": ["#1"]}, 400, "track must be a string"),
        (["like"], 400, "must be a JSON object"),
    ],
)
def test_bad_feedback_says_what_to_send(api: Api, body: object, status: int, says: str) -> None:
    response = api.post("/api/feedback", body)
    assert response.status_code == status
    assert says in response.json()["error"]


def test_a_body_that_is_not_json(api: Api) -> None:
    headers = {"X-Tastebud-Page": api.page_token, "Content-Type": "application/json"}
    response = api.request("POST", "/api/feedback", content=b"{like", headers=headers)
    assert response.status_code == 400
    assert "not JSON" in response.json()["error"]


def test_undo_with_nothing_to_undo(api: Api, scene: Scene) -> None:
    with Store.open(scene.config.db_path) as store:
        while store.undo_feedback("cli") is not None:
            pass
    response = api.post("/api/feedback", {"action": "undo"})
    assert response.status_code == 404
    assert "nothing to undo" in response.json()["error"]


def test_retry_makes_failed_and_waiting_fetches_due_and_ends_a_back_off(
    api: Api, scene: Scene
) -> None:
    later = time.time() + 3600
    with Store.open(scene.config.db_path) as store:
        waiting = scene.pop.backlog_ids[0]
        store.mark_track(waiting, "new", error="HTTP 429", next_retry_at=later)
    done_at = time.time()
    done = api.post("/api/retry", {}).json()
    assert done["tracks"] == 2  # the waiting one and the failed one
    assert done["sources"] == ["feed:discover"]
    assert done["jobs"] == ["fetch", "poll-feeds"]
    with Store.open(scene.config.db_path) as store:
        assert store.get_track(waiting).next_retry_at is None  # type: ignore[union-attr]
        assert store.get_track(scene.pop.failed_id).state == "new"  # type: ignore[union-attr]
    source = next(s for s in api.get("/api/status").json()["sources"] if s["name"] == "discover")
    assert source["failing"] is True  # until it is polled again
    assert source["next_retry_at"] is None
    assert source["retry_asked_at"] >= done_at
    fetches = api.get("/api/status").json()["fetches"]
    assert (fetches["waiting"], fetches["failed"]) == (0, 0)


def test_retry_one_source(api: Api) -> None:
    done = api.post("/api/retry", {"job": "feed:discover"}).json()
    assert done["sources"] == ["feed:discover"]
    assert done["tracks"] == 0
    unknown = api.post("/api/retry", {"job": "feed:nope"})
    assert unknown.status_code == 404
    assert "no source 'feed:nope'" in unknown.json()["error"]


def test_retry_inside_the_daemon_runs_the_jobs_now(scene: Scene) -> None:
    from daemon.web import Access, create_app

    asked: list[list[str]] = []
    app = create_app(scene.config, Access("127.0.0.1"), trigger=lambda jobs: asked.append([*jobs]))
    done = Api(app).post("/api/retry", {}).json()
    assert asked == [["fetch", "poll-feeds"]]
    assert done["message"].endswith("retried now")


def test_a_failure_after_the_retry_backs_off_again(api: Api, scene: Scene) -> None:
    from daemon.sources import backoff_until

    api.post("/api/retry", {"job": "feed:discover"})
    with Store.open(scene.config.db_path) as store:
        assert backoff_until(store, "feed:discover") is None
        time.sleep(0.01)
        run = store.start_run("feed:discover")
        store.finish_run(run, "failed", {}, "feed discover: HTTP 503 from 127.0.0.1")
        assert backoff_until(store, "feed:discover") is not None
