"""The JSON API's reads through httpx's ASGI transport: queue, status, feedback, a track,
export, changes; the fragments the page swaps in."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from daemon.playlists.formats import parse_playlist
from store import Store
from tests.daemon.web.webapi import Api, Scene
from tests.populate import non_finite_numbers

QUEUE_FIELDS = {"rank", "id", "standing", "artist", "title", "feed", "age", "why"}


def test_queue_numbers_rows_as_the_cli_and_says_why(api: Api, scene: Scene) -> None:
    rows = api.get("/api/queue?limit=5").json()
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert QUEUE_FIELDS <= set(rows[0])
    assert rows[0]["id"] == scene.pop.candidate_ids[0]
    assert rows[0]["standing"] == scene.pop.scores[rows[0]["id"]]
    assert rows[0]["feed"] == "discover"
    assert rows[0]["why"]["text"]
    assert rows[0]["why"]["tags"]
    assert rows[0]["audio"] is True
    assert rows[1]["audio"] is False
    assert rows[0]["age_s"] >= 0
    assert rows[0]["age"].endswith(("s", "min"))
    # the disliked track and the blocked artist are out, as in `tastebud queue`
    ids = {r["id"] for r in api.get("/api/queue?limit=100").json()}
    assert scene.pop.disliked_id not in ids
    assert scene.pop.blocked_id not in ids


def test_queue_limit_is_checked(api: Api) -> None:
    for bad in ("0", "-1", "x", "99999"):
        response = api.get(f"/api/queue?limit={bad}")
        assert response.status_code == 400
        assert "limit" in response.json()["error"]


def test_status_says_what_ranks_the_evidence_and_the_health(api: Api, scene: Scene) -> None:
    status = api.get("/api/status").json()
    assert status["ranked_by"] == "model"
    assert status["ranking"] == f"ranked by: model v{scene.pop.champion}"
    assert status["validation"]["percentile"] == 0.91
    assert "hit@20 0.45 on 12 held-out listens" in status["validation"]["line"]
    assert status["trend"] == scene.pop.percentiles
    assert status["ranker"] == f"model v{scene.pop.champion}"
    assert status["model"]["adapted_on"] == 120
    evidence = status["evidence"]
    assert (evidence["ranker"], evidence["listens"], evidence["interval"]) == ("model", 0, None)
    assert evidence["line"].startswith("evidence: no new listens tested yet")
    page = api.get("/").text
    assert "evidence: no new listens tested yet" in page
    assert f"ranked by: model v{scene.pop.champion}" in page.split("</header>")[0]
    assert status["daemon"] == {"running": False, "pid": None}
    jobs = {j["job"]: j for j in status["jobs"]}
    assert jobs["fetch"]["last"]["error"] == "yt-dlp: HTTP Error 429: Too Many Requests"
    sources = {s["job"]: s for s in status["sources"]}
    assert set(sources) == {"history:listenbrainz", "feed:discover", "feed:new-releases"}
    failing = sources["feed:discover"]
    assert failing["failing"]
    assert failing["error"] == "feed discover: HTTP 503 from 127.0.0.1"
    assert failing["next_retry_at"] > failing["last"]["finished_at"]
    assert not sources["history:listenbrainz"]["failing"]
    assert status["fetches"]["failed"] == 1
    errors = {e["id"]: e["error"] for e in status["fetches"]["errors"]}
    assert errors[scene.pop.failed_id] == "HTTP Error 410: Gone (video removed)"
    assert status["library"]["files"] == 1
    assert status["queue"]["length"] == len(api.get("/api/queue?limit=5000").json())


def test_feedback_list_names_each_event(api: Api, scene: Scene) -> None:
    events = api.get("/api/feedback").json()
    kinds = [e["kind"] for e in events]
    assert kinds == ["like", "dislike", "block"]
    assert events[2]["text"] == f"blocked artist {scene.pop.blocked_artist}"
    assert events[1]["track_id"] == scene.pop.disliked_id


def test_a_track_in_detail(api: Api, scene: Scene) -> None:
    track = api.get(f"/api/tracks/{scene.playable}").json()
    assert track["queued"]
    assert track["rank"] == 1
    assert track["feed"] == "discover"
    assert track["why"]["like"]
    assert track["why"]["like"][0]["similarity"] is not None
    assert len(track["tags"]) == 8
    assert track["tags"][0]["probability"] > 0.5
    assert track["audio"] is True
    out = api.get(f"/api/tracks/{scene.pop.disliked_id}").json()
    assert out["queued"] is False
    assert "rank" not in out
    missing = api.get("/api/tracks/999999")
    assert missing.status_code == 404
    assert "no track 999999" in missing.json()["error"]


def test_export_writes_every_format_as_tastebud_export(api: Api, scene: Scene) -> None:
    m3u = api.get("/api/export?format=m3u8&limit=3")
    assert m3u.headers["content-type"].startswith("audio/x-mpegurl")
    assert len(parse_playlist("m3u8", m3u.text)) == 3
    xspf = api.get("/api/export?format=xspf&limit=2")
    ET.fromstring(xspf.content)
    assert [e.track_id for e in parse_playlist("xspf", xspf.text)] == [
        r["id"] for r in api.get("/api/queue?limit=2").json()
    ]
    rows = json.loads(api.get("/api/export?format=json&limit=4&min_standing=0.9").text)
    assert [r["standing"] for r in rows] == [0.95]
    assert "because" in rows[0]
    assert api.get("/api/export?format=csv").text.startswith("rank,")
    jspf = json.loads(api.get("/api/export?format=jspf&limit=50").text)
    assert len(jspf["playlist"]["track"]) == 1  # the one queued track with an MBID
    assert api.get("/api/export?format=pdf").status_code == 400
    assert api.get("/api/export?min_standing=lots").status_code == 400


def test_changes_moves_when_feedback_is_given(api: Api) -> None:
    before = api.get("/api/changes").json()["version"]
    assert api.get("/api/changes").json()["version"] == before
    assert api.post("/api/feedback", {"action": "like", "track": "#2"}).status_code == 200
    assert api.get("/api/changes").json()["version"] != before


def test_fragments_render_the_queue_detail_model_and_health(api: Api, scene: Scene) -> None:
    rows = api.get("/parts/queue").text
    assert rows.count("<tr data-id=") == len(api.get("/api/queue?limit=200").json())
    assert "Tricky, &quot;quoted&quot; &amp; &lt;odd&gt; #title" in rows  # escaped
    side = api.get("/parts/side").text
    assert 'data-part="health"' in side
    assert "feed discover: HTTP 503 from 127.0.0.1" in side
    assert 'data-retry="feed:discover"' in side
    assert "<svg" in side
    detail = api.get(f"/parts/track/{scene.playable}").text
    assert "Why" in detail
    assert "similarity" in detail
    assert "discover" in detail


def test_the_page_without_a_database_says_how_to_start(tmp_path: object) -> None:
    from pathlib import Path

    from tests.daemon.web.webapi import scene_config

    config, _ = scene_config(Path(str(tmp_path)))
    api = Api.for_config(config)
    page = api.get("/")
    assert page.status_code == 200
    assert "no database at" in page.text
    queue = api.get("/api/queue")
    assert queue.status_code == 503
    assert "tastebud run" in queue.json()["error"]
    assert not config.db_path.exists()  # a read never creates it


def test_reads_answer_while_the_daemon_holds_a_write_transaction(api: Api, scene: Scene) -> None:
    with Store.open(scene.config.db_path) as writer, writer.write():
        assert api.get("/api/queue?limit=3").status_code == 200
        assert api.get("/api/status").status_code == 200


def test_answers_are_strict_json_whatever_numbers_were_stored(api: Api, scene: Scene) -> None:
    best = non_finite_numbers(scene.config.db_path)
    for url in ("/api/queue", "/api/status", f"/api/tracks/{best}"):
        answer = api.get(url)
        assert answer.status_code == 200, url
        json.loads(answer.text, parse_constant=_not_json)


def _not_json(constant: str) -> object:
    raise AssertionError(f"{constant} in an answer")
