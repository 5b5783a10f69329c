"""The web tests' scene: a populated store with a library file, a config naming its
sources, and a client that calls the ASGI app through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from daemon.config import Config, parse_config
from daemon.sources import config_schemas
from daemon.web import Access, create_app
from store import Store
from tests.audio_helpers import synth, write_audio
from tests.populate import Population, populate

__all__ = ["LOOPBACK", "TOKEN", "Api", "Scene", "make_scene", "scene_config"]

LOOPBACK = "http://127.0.0.1:8398"
TOKEN = "web-token-SECRET-5b7e1d2c"
SOURCES = """
[[history]]
type = "listenbrainz"
name = "listenbrainz"
user = "u"

[[feeds]]
type = "url"
name = "new-releases"
url = "http://127.0.0.1:9/new.rss"
"""


def scene_config(tmp_path: Path, extra: str = "") -> tuple[Config, Path]:
    """A config.toml in ``tmp_path`` (state in ``tmp_path/state``) naming populate's sources."""
    path = tmp_path / "config.toml"
    text = f'[storage]\ndir = "{tmp_path / "state"}"\n{SOURCES}{extra}'
    path.write_text(text, encoding="utf-8")
    return parse_config(text, str(path), sources=config_schemas()), path


@dataclass
class Scene:
    """What a web test works on."""

    config: Config
    config_path: Path
    pop: Population
    playable: int  # the track with a library file (rank 1 of the queue)
    audio: Path


def make_scene(tmp_path: Path, extra: str = "") -> Scene:
    """Populate a store and give the top track a real Ogg file in the library folder."""
    config, path = scene_config(tmp_path, extra)
    with Store.open(config.db_path) as store:
        pop = populate(store)
        track = pop.candidate_ids[0]
        folder = config.library_dir / "Feed Artist 0"
        folder.mkdir(parents=True)
        audio = write_audio(folder / "Feed Artist 0 - Candidate 0.ogg", synth(12.0, seed=3))
        rel = str(audio.relative_to(config.library_dir))
        store.put_library_file(track, rel, audio.stat().st_size, kept=False)
    return Scene(config, path, pop, track, audio)


class Api:
    """Requests to one app instance, each through a fresh httpx ASGI transport."""

    def __init__(self, app: Starlette, base: str = LOOPBACK) -> None:
        self.app = app
        self.base = base

    @classmethod
    def for_config(cls, config: Config, host: str = "127.0.0.1", token: str = "") -> Api:
        base = f"http://{host}:8398" if host not in ("0.0.0.0", "::") else "http://tb.lan:8398"
        return cls(create_app(config, Access(host, token)), base)

    @property
    def page_token(self) -> str:
        token: str = self.app.state.web.access.page_token
        return token

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base) as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(
        self, url: str, body: Any = None, *, page: bool = True, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if page:
            headers.setdefault("X-Tastebud-Page", self.page_token)
        return self.request("POST", url, json=body, headers=headers, **kwargs)
