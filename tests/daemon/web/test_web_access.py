"""The token rules: open reads on loopback, the bearer token or a login beyond it; writes
only with the bearer token or the page token; other sites and rebound host names refused;
the token itself never shown, logged or stored."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from daemon.config import ConfigError
from daemon.web import check_listen, is_loopback
from tests.daemon.web.webapi import TOKEN, Api, Scene

LIKE = {"action": "like", "track": "#1"}
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def lan(scene: Scene) -> Api:
    """The app listening on every address, with the token."""
    return Api.for_config(scene.config, host="0.0.0.0", token=TOKEN)


def test_loopback_reads_need_no_token(api: Api) -> None:
    for url in ("/", "/api/queue", "/api/status", "/api/feedback", "/parts/queue"):
        assert api.get(url).status_code == 200, url


def test_a_write_needs_the_page_token_or_the_bearer_token(scene: Scene) -> None:
    api = Api.for_config(scene.config, token=TOKEN)
    refused = api.post("/api/feedback", LIKE, page=False)
    assert refused.status_code == 401
    assert "Bearer" in refused.headers["www-authenticate"]
    assert api.post("/api/retry", {}, page=False).status_code == 401
    wrong = api.post("/api/feedback", LIKE, page=False, headers={"X-Tastebud-Page": "guess"})
    assert wrong.status_code == 401
    assert api.post("/api/feedback", LIKE).status_code == 200
    assert api.post("/api/feedback", LIKE, page=False, headers=BEARER).status_code == 200
    stale = Api.for_config(scene.config).page_token  # another process's page token
    other = api.post("/api/feedback", LIKE, page=False, headers={"X-Tastebud-Page": stale})
    assert other.status_code == 401


def test_the_page_embeds_the_page_token_never_the_configured_one(scene: Scene) -> None:
    api = Api.for_config(scene.config, token=TOKEN)
    page = api.get("/").text
    assert f'content="{api.page_token}"' in page
    assert TOKEN not in page


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://127.0.0.1:9999"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_another_site_cannot_post_even_with_a_token(api: Api, headers: dict[str, str]) -> None:
    response = api.post("/api/feedback", LIKE, headers={**headers, **BEARER})
    assert response.status_code == 403
    assert "another site" in response.json()["error"]


def test_a_same_origin_post_from_the_page_passes(api: Api) -> None:
    headers = {"Origin": "http://127.0.0.1:8398", "Sec-Fetch-Site": "same-origin"}
    assert api.post("/api/feedback", LIKE, headers=headers).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8398", "192.168.1.5:8398"])
def test_loopback_answers_no_other_host_name(api: Api, host: str) -> None:
    """A site that rebinds its name to 127.0.0.1 reads nothing (DNS rebinding)."""
    for url in ("/", "/api/queue", "/static/app.js"):
        response = api.get(url, headers={"Host": host})
        assert response.status_code == 403, url
    assert api.get("/api/queue", headers={"Host": "localhost:8398"}).status_code == 200
    assert api.get("/api/queue", headers={"Host": "[::1]:8398"}).status_code == 200


def test_beyond_loopback_reads_need_the_bearer_token(lan: Api) -> None:
    for url in ("/api/queue", "/api/status", "/api/feedback", "/api/export", "/parts/queue"):
        response = lan.get(url)
        assert response.status_code == 401, url
        assert "Bearer" in response.json()["error"]
        assert lan.get(url, headers=BEARER).status_code == 200, url
    bad = lan.get("/api/queue", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert bad.status_code == 401
    assert lan.get("/api/queue", headers={"Authorization": TOKEN}).status_code == 401


def test_beyond_loopback_the_page_token_alone_cannot_write(lan: Api) -> None:
    assert lan.post("/api/feedback", LIKE).status_code == 401
    assert lan.post("/api/feedback", LIKE, page=False, headers=BEARER).status_code == 200


def test_the_login_form_sets_a_session_cookie_that_is_not_the_token(lan: Api) -> None:
    page = lan.get("/")
    assert page.status_code == 401
    assert 'action="/login"' in page.text
    failed = lan.request("POST", "/login", data={"token": "not-it"})
    assert failed.status_code == 401
    assert "not the token" in failed.text
    done = lan.request("POST", "/login", data={"token": TOKEN})
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert TOKEN not in cookie
    session = {"Cookie": cookie.split(";")[0]}
    assert lan.get("/", headers=session).status_code == 200
    assert lan.get("/api/queue", headers=session).status_code == 200
    # a write from the logged-in page: the cookie and the page token together
    assert lan.post("/api/feedback", LIKE, page=False, headers=session).status_code == 401
    assert lan.post("/api/feedback", LIKE, headers=session).status_code == 200


def test_static_files_need_no_token_and_carry_a_strict_policy(lan: Api) -> None:
    response = lan.get("/static/app.js")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_page_has_no_inline_script_or_style(api: Api) -> None:
    page = api.get("/").text
    assert "<script>" not in page
    assert "<style" not in page
    assert " style=" not in page
    for handler in ("onclick=", "onload=", "onerror=", "javascript:"):
        assert handler not in page


def test_listening_beyond_loopback_without_a_token_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"0\.0\.0\.0:8398 is not a loopback address") as info:
        check_listen("0.0.0.0", 8398, "")
    assert "TASTEBUD_WEB_TOKEN" in str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="too short"):
        check_listen("127.0.0.1", 8398, "short")
    check_listen("127.0.0.1", 8398, "")
    check_listen("::", 8398, TOKEN)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.2", False),
     ("tb.lan", False), ("127.0.0.1.evil.example", False)],
)  # fmt: skip
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_token_reaches_no_log_line_error_or_the_database(
    lan: Api, scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = [
        lan.get("/api/queue", headers={"Authorization": f"Bearer {TOKEN}-wrong"}).text,
        lan.post("/api/feedback", LIKE, headers=BEARER).text,
        lan.post("/api/feedback", {"action": "like", "track": TOKEN}, headers=BEARER).text,
        lan.request("POST", "/login", data={"token": TOKEN}).text,
        lan.get("/", headers=BEARER).text,
        lan.get("/parts/side", headers=BEARER).text,
    ]
    with sqlite3.connect(scene.config.db_path) as conn:
        dump = "\n".join(conn.iterdump())
    assert TOKEN not in caplog.text
    assert all(TOKEN not in text for text in answers)
    assert "***" in answers[2]  # an error that would echo the token masks it
    assert TOKEN not in dump
