"""The registry: every configured source is polled, a bad one is logged, backed off, and runs."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import httpx
import pytest

from daemon.config import Config, FeedConfig, HistoryConfig, StorageConfig
from daemon.net import RetryPolicy, make_client
from daemon.sources import (
    backoff_until,
    build_source,
    config_schemas,
    poll_feeds,
    poll_history,
    source_types,
)
from daemon.sources.directory import DirectoryConfig
from daemon.sources.lastfm import LastfmConfig
from daemon.sources.lb_export import ExportConfig
from daemon.sources.lb_recommendations import RecommendationsConfig
from daemon.sources.listenbrainz import ListenBrainzConfig
from daemon.sources.takeout import TakeoutConfig
from daemon.sources.url_feed import UrlFeedConfig
from daemon.sources.ytmusic import YTMusicConfig
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
            ListenBrainzConfig(user="ana", url="http://127.0.0.1:9"),
            TakeoutConfig(path=str(takeout)),
            ExportConfig(name="missing", path=str(tmp_path / "no")),
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
            DirectoryConfig(name="broken", path=str(music)),
            DirectoryConfig(name="fine", path=str(music)),
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


def _filled(cls: type[HistoryConfig] | type[FeedConfig]) -> HistoryConfig | FeedConfig:
    """An instance of a type's config class with its required keys and secrets set."""
    needed = [f.name for f in dataclasses.fields(cls) if f.name in cls.required or f.metadata]
    values = {name: "x" for name in needed if name not in ("type", "name")}
    return cls(**values)  # type: ignore[call-arg]


def test_every_configured_type_has_a_source() -> None:
    schemas = config_schemas()
    assert dict(schemas.history) == source_types("history")
    assert dict(schemas.feeds) == source_types("feeds")
    for kind, cls in [*schemas.history.items(), *schemas.feeds.items()]:
        conf = _filled(cls)
        assert conf.type == kind
        assert build_source(conf).key


def test_each_type_takes_only_its_own_keys() -> None:
    keys = {
        kind: {f.name for f in dataclasses.fields(cls)}
        for kind, cls in [*source_types("history").items(), *source_types("feeds").items()]
    }
    assert keys["takeout"] == {"type", "name", "path", "include_youtube"}
    assert keys["listenbrainz-export"] == {"type", "name", "path"}
    assert keys["ytmusic"] == {"type", "name", "auth_file"}
    assert "push_feedback" in keys["listenbrainz"] - keys["lastfm"]
    assert "api_key" in keys["lastfm"] - keys["listenbrainz"]
    assert keys["directory"] == {"type", "name", "path"}
    assert keys["url"] == {"type", "name", "url", "max_items"}
    assert {"api_url", "token"} <= keys["listenbrainz-recommendations"] - keys["url"]


def test_source_keys_are_what_they_were() -> None:
    """The key names cursors, runs and stored listens: moving the fields kept it."""
    assert ListenBrainzConfig(user="ana").key == "listenbrainz:ana"
    assert LastfmConfig(user="ana").key == "lastfm:ana"
    assert TakeoutConfig(path="w.json").key == "takeout"
    assert ExportConfig(path="e.zip").key == "listenbrainz-export"
    assert YTMusicConfig(auth_file="a.json").key == "ytmusic"
    assert UrlFeedConfig(url="https://x/feed").key == "https://x/feed"
    assert DirectoryConfig(path="~/Music").key == "~/Music"
    assert RecommendationsConfig(user="ana").key == "listenbrainz-recommendations:ana"
    assert ListenBrainzConfig(user="ana", name="lb").key == "lb"
