"""Redacting secrets from URLs, messages and log records."""

from __future__ import annotations

import logging

import pytest

from daemon.config import Config, FetchConfig, Secret
from daemon.redact import RedactingFilter, config_secrets, redact, remember_secrets
from daemon.sources.listenbrainz import ListenBrainzConfig


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        (
            "GET https://ws.audioscrobbler.com/2.0/?method=x&api_key=abc123&format=json",
            "format=json",
            "abc123",
        ),
        (
            "https://music.example/rest/ping?u=me&t=26719a1196d2a940705a59634eb18eab&s=c19b2d",
            "u=me",
            "26719a",
        ),
        ("https://music.example/rest/ping?u=me&p=enc:6869646465", "u=me", "6869646465"),
        ("https://feeds.example/private.rss?token=XyZ987&page=2", "page=2", "XyZ987"),
        (
            '<enclosure url="https://x.example/a.mp3?id=1&amp;password=hunter22"/>',
            "id=1",
            "hunter22",
        ),
        ("proxy http://alice:s3cret-pw@127.0.0.1:3128 failed", "alice", "s3cret-pw"),
        ("you asked with Token 0123456789abcdef", "you asked", "0123456789abcdef"),
    ],
)
def test_redact_masks_secret_parameters_and_credentials(text: str, kept: str, gone: str) -> None:
    out = redact(text)
    assert gone not in out
    assert kept in out
    assert "***" in out


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "check the token or API key in config.toml; https://example.org/watch?v=abc&list=x"
    assert redact(text) == text


def test_the_filter_masks_configured_secrets_in_messages_and_tracebacks() -> None:
    config = Config(
        history=(ListenBrainzConfig(type="listenbrainz", user="u", token=Secret("tok-abcdef")),),
        fetch=FetchConfig(cookies_file=Secret("/srv/cookies-private.txt")),
    )
    assert sorted(config_secrets(config)) == ["/srv/cookies-private.txt", "tok-abcdef"]
    remember_secrets(config_secrets(config))
    try:
        raise ValueError("cannot read /srv/cookies-private.txt")
    except ValueError as exc:
        record = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "got %s",
            ("tok-abcdef",),
            (type(exc), exc, exc.__traceback__),
        )
    assert RedactingFilter().filter(record)
    line = logging.Formatter().format(record)
    assert "tok-abcdef" not in line
    assert "cookies-private" not in line
    assert "got ***" in line
    assert "ValueError" in line
