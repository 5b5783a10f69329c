"""The page, its fragments (``/parts/...``, what the script swaps in), the login form."""

from __future__ import annotations

import asyncio
from html import escape
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from daemon.config import Config
from daemon.web.access import COOKIE
from daemon.web.context import WebState, reader, state_of
from daemon.web.errors import NotFoundError, WebError
from daemon.web.health import health_html
from daemon.web.page import login_html, page_html
from daemon.web.parts import detail_html, model_html, queue_html, summary_html
from daemon.web.records import queue_records, track_record
from daemon.web.status import status_record
from store import Store, StoreError

__all__ = ["PAGE_ROUTES", "PAGE_ROWS"]

PAGE_ROWS = 200
SESSION_DAYS = 30


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


async def page(request: Request) -> Response:
    web = state_of(request)
    if not web.access.may_read(request):
        return _html(login_html(), 401)
    try:
        status = await web.read(status_record)
        rows = await web.read(lambda s, c: queue_records(s, c, PAGE_ROWS))
    except (WebError, StoreError) as exc:
        problem = f'<span class="alert">{escape(str(exc))}</span>'
        return _html(page_html(web.access.page_token, problem, queue_html([]), "", ""))
    return _html(
        page_html(
            web.access.page_token,
            summary_html(status),
            queue_html(rows),
            model_html(status),
            health_html(status),
        )
    )


async def login(request: Request) -> Response:
    web = state_of(request)
    if web.access.cross_site(request):
        return _html(login_html(failed=True), 403)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    given = (form.get("token") or [""])[0]
    if not web.access.token_ok(given):
        await asyncio.sleep(0.5)  # a guess costs time; the token has 16 characters or more
        return _html(login_html(failed=True), 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        web.access.session,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@reader
async def part_queue(request: Request, web: WebState) -> Response:
    return _html(queue_html(await web.read(lambda s, c: queue_records(s, c, PAGE_ROWS))))


@reader
async def part_side(request: Request, web: WebState) -> Response:
    status = await web.read(status_record)
    parts = {"summary": summary_html(status), "model": model_html(status)}
    parts["health"] = health_html(status)
    return _html("".join(f'<template data-part="{k}">{v}</template>' for k, v in parts.items()))


@reader
async def part_track(request: Request, web: WebState) -> Response:
    track_id = int(request.path_params["id"])

    return _html(detail_html(await web.read(lambda s, c: _track(s, c, track_id))))


def _track(store: Store, config: Config, track_id: int) -> dict[str, Any]:
    track = store.get_track(track_id)
    if track is None:
        raise NotFoundError(f"no track {track_id}: it may have been merged or removed")
    return track_record(store, config, track)


PAGE_ROUTES = [
    Route("/", page),
    Route("/login", login, methods=["POST"]),
    Route("/parts/queue", part_queue),
    Route("/parts/side", part_side),
    Route("/parts/track/{id:int}", part_track),
]
