"""Fixtures of the web page's tests: a populated scene and the API over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.daemon.web.webapi import Api, Scene, make_scene


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    """A populated store, a library file for the top track, a config naming the sources."""
    return make_scene(tmp_path)


@pytest.fixture
def api(scene: Scene) -> Api:
    """The app over ``scene`` on loopback, through httpx's ASGI transport."""
    return Api.for_config(scene.config)
