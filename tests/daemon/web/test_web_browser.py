"""The page in a real headless Chromium (Debian's ``chromium``, driven by Playwright's Python
package; no browser download): feedback by click and by key, undo, filter, the detail
view, the preview playing, a failing source's error and its retry, live updates, phone
width, and no Content-Security-Policy violation. Saves screenshots (``TASTEBUD_SCREENSHOTS``
names a folder to keep them in)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.web import WebThread
from store import Store
from tests.daemon.web.webapi import Scene, make_scene

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
if not Path(CHROMIUM).exists():
    pytest.skip(
        "chromium is absent: apt-get install chromium (make test-slow and .ci/run install it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (dev extra)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Scene, str]]:
    scene = make_scene(tmp_path, '[web]\nlisten = "127.0.0.1:0"\n')
    web = WebThread(scene.config)
    web.start()
    yield scene, web.server.url
    web.stop()


class Page:
    """A browser tab on the served page, collecting console errors and page errors."""

    def __init__(self, browser: Any, url: str, **context: Any) -> None:
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_selector("#rows tr.sel")

    def row(self, track: int) -> Any:
        return self.page.locator(f'#rows tr[data-id="{track}"]')

    def ids(self) -> list[int]:
        ids: list[int] = self.page.eval_on_selector_all(
            "#rows tr[data-id]:not([hidden])", "rows => rows.map(r => Number(r.dataset.id))"
        )
        return ids

    def selected(self) -> int:
        return int(self.page.get_attribute("#rows tr.sel", "data-id"))

    def message(self, text: str) -> None:
        self.page.wait_for_function(
            "text => document.getElementById('message').textContent.includes(text)", arg=text
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any, served: tuple[Scene, str]) -> Iterator[Page]:
    page = Page(browser, served[1], viewport={"width": 1280, "height": 900})
    yield page
    page.close()
    assert page.errors == []  # no script error, no CSP violation, no failed request


def _keep(page: Page, name: str, tmp_path: Path) -> Path:
    path = tmp_path / name
    page.page.screenshot(path=str(path), full_page=False)
    if folder := os.environ.get("TASTEBUD_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / name)
    return path


def test_like_by_click_and_by_key_then_undo(tab: Page, served: tuple[Scene, str]) -> None:
    scene, _ = served
    first, second, third = tab.ids()[:3]
    assert first == scene.playable
    tab.row(first).locator('button[data-act="like"]').click()
    tab.row(first).wait_for(state="detached")
    tab.message("liked #1 Feed Artist 0 - Candidate 0")
    assert tab.ids()[:2] == [second, third]
    assert tab.selected() == second  # the selection moves to the next track
    tab.page.keyboard.press("l")
    tab.row(second).wait_for(state="detached")
    tab.message(f"(id {second})")
    tab.page.keyboard.press("u")
    tab.row(second).wait_for(state="attached")
    tab.message("undid: liked")
    tab.page.click("#undo")
    tab.row(first).wait_for(state="attached")
    assert tab.ids()[:3] == [first, second, third]
    with Store.open(scene.config.db_path, readonly=True) as store:
        assert [e.kind for e in store.feedback() if e.origin == "cli"] == ["dislike", "block"]


def test_keys_move_block_and_help(tab: Page) -> None:
    ids = tab.ids()
    tab.page.keyboard.press("j")
    tab.page.keyboard.press("ArrowDown")
    assert tab.selected() == ids[2]
    tab.page.keyboard.press("k")
    assert tab.selected() == ids[1]
    artist = tab.page.text_content(f'#rows tr[data-id="{ids[1]}"] .artist')
    tab.page.keyboard.press("b")
    tab.message(f"blocked artist {artist}")
    tab.page.wait_for_function(
        "a => ![...document.querySelectorAll('#rows .artist')].some(e => e.textContent === a)",
        arg=artist,
    )
    tab.page.keyboard.press("?")
    assert tab.page.is_visible("#help")
    assert "block its artist" in tab.page.inner_text("#help")
    tab.page.keyboard.press("Escape")
    assert not tab.page.is_visible("#help")


def test_filter_and_the_detail_view(tab: Page, served: tuple[Scene, str]) -> None:
    scene, _ = served
    tab.page.keyboard.press("/")
    tab.page.keyboard.type("candidate 1")
    tab.message('filter "candidate 1"')
    shown = tab.ids()
    labels = [scene.pop.candidates[t].title or "" for t in shown]
    assert shown
    assert all(label.startswith("Candidate 1") for label in labels)
    tab.page.keyboard.press("Enter")
    target = shown[-1]
    tab.row(target).locator(".title").click()
    tab.page.wait_for_selector(f'#detail h2[data-id="{target}"]')
    detail = tab.page.inner_text("#detail")
    ref = scene.pop.candidates[target]
    assert f"{ref.artist} - {ref.title}" in detail
    assert "like " in detail
    assert "similarity" in detail
    assert "new-releases" in detail or "discover" in detail  # its feed
    assert tab.page.locator("#detail .tags li").count() == 8  # its tags
    tab.page.focus("#filter")
    tab.page.keyboard.press("Escape")
    assert len(tab.ids()) > len(shown)


def test_the_preview_plays(tab: Page, served: tuple[Scene, str], tmp_path: Path) -> None:
    scene, _ = served
    assert tab.selected() == scene.playable
    tab.page.keyboard.press("p")
    tab.message("playing Feed Artist 0 - Candidate 0")
    tab.page.wait_for_function("() => document.getElementById('audio').currentTime > 0.5")
    src = tab.page.eval_on_selector("#audio", "a => a.currentSrc")
    assert src.endswith(f"/api/tracks/{scene.playable}/audio")
    tab.page.keyboard.press("j")
    tab.page.keyboard.press("p")
    tab.message("no audio file of")


def test_a_failing_source_shows_its_error_and_is_retried(
    tab: Page, served: tuple[Scene, str], tmp_path: Path
) -> None:
    scene, _ = served
    source = tab.page.locator('#health li.source[data-job="feed:discover"]')
    assert source.locator("pre.error").inner_text() == "feed discover: HTTP 503 from 127.0.0.1"
    fetch_error = tab.page.locator("#health .fetch-errors pre.error").first.inner_text()
    assert fetch_error in (
        "HTTP Error 410: Gone (video removed)",
        "no search result within 20 s of 3:20",
    )
    _keep(tab, "web-health.png", tmp_path)
    source.locator("button.retry").click()
    tab.message("1 sources will be retried")
    tab.page.wait_for_function(
        "() => document.querySelector('#health li.source[data-job=\"feed:discover\"]')"
        ".textContent.includes('retry asked')"
    )
    with Store.open(scene.config.db_path, readonly=True) as store:
        assert store.get_cursor("retry:feed:discover") is not None


def test_the_page_follows_changes_made_elsewhere(tab: Page, served: tuple[Scene, str]) -> None:
    scene, _ = served
    target = tab.ids()[3]
    with Store.open(scene.config.db_path) as store:
        store.give_feedback("dismiss", "cli", track=target)
    started = time.monotonic()
    tab.row(target).wait_for(state="detached")
    assert time.monotonic() - started < 10


def test_phone_width(browser: Any, served: tuple[Scene, str], tmp_path: Path) -> None:
    phone = Page(
        browser, served[1], viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        wide = phone.page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390  # nothing runs off the side
        first = phone.ids()[0]
        phone.row(first).locator('button[data-act="dismiss"]').tap()
        phone.row(first).wait_for(state="detached")
        assert not phone.page.is_visible("th.wide")
        _keep(phone, "web-phone.png", tmp_path)
    finally:
        phone.close()
    assert phone.errors == []


def test_screenshot(tab: Page, tmp_path: Path) -> None:
    tab.page.keyboard.press("j")
    path = _keep(tab, "web.png", tmp_path)
    assert path.stat().st_size > 20_000
