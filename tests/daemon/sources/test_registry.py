"""The registry: every configured source is polled, a bad one is logged, backed off, and runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from daemon.config import Config, FeedConfig, HistoryConfig, StorageConfig
from daemon.net import RetryPolicy, make_client
from daemon.sources import (
    backoff_until,
    build_source,
    poll_feeds,
    poll_history,
    source_types,
)
from store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
POLICY = RetryPolicy(attempts=1, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)


def _broken_api(req: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"<html>not json</html>")


def _config(tmp_path: Path) -> Config:
    takeout = tmp_path / "watch-history.json"
    shutil.copy(SAMPLES / "youtube" / "takeout_watch_history_youtube_music.json", takeout)
    return Config(
        storage=StorageConfig(dir=str(tmp_path)),
        history=(
            HistoryConfig(type="listenbrainz", user="ana", url="http://127.0.0.1:9"),
            HistoryConfig(type="takeout", path=str(takeout)),
            HistoryConfig(type="listenbrainz-export", name="missing", path=str(tmp_path / "no")),
        ),
    )


def _poll(store: Store, config: Config, **kwargs: float) -> dict[str, dict[str, int]]:
    return poll_history(
        store,
        config,
        client_factory=lambda: make_client(transport=httpx.MockTransport(_broken_api)),
        policy=POLICY,
        **kwargs,
    )


def test_a_bad_source_never_stops_the_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(tmp_path)
    with Store.open(config.db_path) as store:
        results = _poll(store, config)
        assert results["listenbrainz:ana"] == {"failed": 1}
        assert results["takeout"] == {"listens": 12, "duplicates": 0, "skipped": 0}
        assert results["missing"] == {"failed": 1}
        assert len(store.listens()) == 12
        (run,) = store.runs("history:listenbrainz:ana")
        assert run.status == "failed"
        assert "invalid JSON" in (run.error or "")
        assert store.runs("history:takeout")[0].status == "ok"
        assert "fix path in config.toml" in (store.runs("history:missing")[0].error or "")
    assert "history:listenbrainz:ana failed" in caplog.text


def test_a_failing_source_is_backed_off_then_retried(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with Store.open(config.db_path) as store:
        _poll(store, config)
        results = _poll(store, config)  # right after a failure: backed off
        assert results["listenbrainz:ana"] == {"skipped": 1}
        assert results["takeout"] == {"unchanged": 1}
        statuses = [r.status for r in store.runs("history:listenbrainz:ana")]
        assert statuses == ["skipped", "failed"]
        first = backoff_until(store, "history:listenbrainz:ana", base_s=100)
        _poll(store, config, backoff_base_s=0)  # no wait: polled (and failing) again
        second = backoff_until(store, "history:listenbrainz:ana", base_s=100)
        assert first is not None
        assert second is not None
        last = store.runs("history:listenbrainz:ana")[0].finished_at or 0
        assert second - last == pytest.approx(200)


def test_an_unexpected_error_in_one_feed_is_contained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    music = tmp_path / "music"
    music.mkdir()
    config = Config(
        storage=StorageConfig(dir=str(tmp_path)),
        feeds=(
            FeedConfig(type="directory", name="broken", path=str(music)),
            FeedConfig(type="directory", name="fine", path=str(music)),
        ),
    )

    def explode(self: object, *args: object) -> dict[str, int]:
        if getattr(self, "key", "") == "broken":
            raise RuntimeError("a bug")
        return {"items": 0}

    monkeypatch.setattr("daemon.sources.directory.DirectoryFeed.poll", explode)
    with Store.open(config.db_path) as store:
        results = poll_feeds(store, config, policy=POLICY)
        assert results == {"broken": {"failed": 1}, "fine": {"items": 0}}
        assert store.runs("feed:broken")[0].error == "RuntimeError: a bug"


def test_every_configured_type_has_a_source() -> None:
    for kind in source_types("history"):
        conf = HistoryConfig(type=kind, user="u", path="p", api_key="k")  # type: ignore[arg-type]
        assert build_source(conf).key
    for kind in source_types("feeds"):
        assert build_source(FeedConfig(type=kind, url="u", path="p", user="u")).key
