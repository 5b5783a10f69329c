"""The JSON API under ``/api/``: reads (``GET``) and the two writes (``POST``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from daemon.config import EXPORT_FORMATS, Config
from daemon.feedback import QUEUE_MAX
from daemon.playlists import PlaylistEntry, format_playlist, importable, playlist_entries
from daemon.redact import finite_tree
from daemon.web.actions import give_feedback, retry
from daemon.web.audio import audio_file
from daemon.web.context import WebState, json_body, reader, writer
from daemon.web.errors import BadRequestError, NotFoundError
from daemon.web.mix import Mix, make_mix
from daemon.web.records import feedback_records, queue_records, track_record
from daemon.web.status import changes, status_record
from store import Store

__all__ = ["API_ROUTES", "PLAYLIST_TYPES", "int_param"]

PLAYLIST_TYPES = {
    "m3u8": "audio/x-mpegurl; charset=utf-8",
    "xspf": "application/xspf+xml; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jspf": "application/json",
}


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high]."""
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise BadRequestError(f"{name}={text!r} must be a whole number from {low} to {high}")
    return int(text)


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(finite_tree(data), status_code=status)


@reader
async def get_queue(request: Request, web: WebState) -> Response:
    limit = int_param(request, "limit", 50, 1, QUEUE_MAX)
    return _json(await web.read(lambda s, c: queue_records(s, c, limit)))


@reader
async def get_status(request: Request, web: WebState) -> Response:
    return _json(await web.read(status_record))


@reader
async def get_changes(request: Request, web: WebState) -> Response:
    return _json({"version": await web.read(lambda s, c: changes(s))})


@reader
async def get_feedback(request: Request, web: WebState) -> Response:
    limit = int_param(request, "limit", 20, 1, 1000)
    return _json(await web.read(lambda s, c: feedback_records(s, limit)))


def _track(store: Store, config: Config, track_id: int) -> dict[str, Any]:
    track = store.get_track(track_id)
    if track is None:
        raise NotFoundError(f"no track {track_id}: GET /api/queue lists the queued ones")
    return track_record(store, config, track)


@reader
async def get_track(request: Request, web: WebState) -> Response:
    track_id = int(request.path_params["id"])
    return _json(await web.read(lambda s, c: _track(s, c, track_id)))


@reader
async def get_audio(request: Request, web: WebState) -> Response:
    track_id = int(request.path_params["id"])
    found = await web.read(lambda s, c: audio_file(s, c, track_id))
    if found is None:
        raise NotFoundError(
            f"no audio file of track {track_id} in the library folder or the audio cache: "
            "only those are served (a track gets one in the library when it is near the top)"
        )
    path, media_type = found
    return FileResponse(path, media_type=media_type)


def _playlist(entries: list[PlaylistEntry], fmt: str, title: str) -> Response:
    if fmt == "jspf":
        entries = importable(entries)[0]
    date = datetime.now(UTC).isoformat(timespec="seconds")
    text = format_playlist(fmt, entries, title=title, date=date)
    disposition = f'inline; filename="{title.replace(" ", "-")}.{fmt}"'
    return Response(
        text, media_type=PLAYLIST_TYPES[fmt], headers={"Content-Disposition": disposition}
    )


def _format(request: Request, allowed: tuple[str, ...], default: str) -> str:
    fmt = request.query_params.get("format", default)
    if fmt not in allowed:
        raise BadRequestError(f"format={fmt!r} is not one of {', '.join(allowed)}")
    return fmt


@reader
async def get_export(request: Request, web: WebState) -> Response:
    fmt = _format(request, EXPORT_FORMATS, "m3u8")
    limit = int_param(request, "limit", 50, 1, QUEUE_MAX)
    name = "min_standing" if "min_standing" in request.query_params else "min_score"  # old name
    text = request.query_params.get(name)
    try:
        least = float(text) if text is not None else None
    except ValueError:
        raise BadRequestError(f"{name}={text!r} is not a number") from None
    entries = await web.read(lambda s, c: playlist_entries(s, c, limit=limit, min_standing=least))
    return _playlist(entries, fmt, "tastebud")


def _mix_json(mix: Mix) -> dict[str, Any]:
    return {
        "seed": {"id": mix.seed.id, "label": mix.seed.label},
        "tracks": [
            {
                "rank": i + 1,
                "id": e.track.id,
                "artist": e.track.artist,
                "title": e.track.title,
                "url": e.track.url,
                "similarity": round(e.similarity, 4),
                "standing": e.standing,
                "from": e.source,
            }
            for i, e in enumerate(mix.entries)
        ],
    }


def _mix_entries(mix: Mix) -> list[PlaylistEntry]:
    return [
        PlaylistEntry(
            rank=i + 1,
            track_id=e.track.id,
            artist=e.track.artist,
            title=e.track.title,
            url=e.track.url,
            duration=e.track.duration,
            standing=e.standing,
            album=e.track.album,
        )
        for i, e in enumerate(mix.entries)
    ]


@reader
async def get_mix(request: Request, web: WebState) -> Response:
    seed = request.query_params.get("seed", "").strip()
    if not seed:
        raise BadRequestError("name the seed: ?seed=ID, ?seed=URL or ?seed=%233 (rank 3)")
    fmt = _format(request, ("json", "m3u8", "xspf"), "json")
    n = int_param(request, "n", 50, 1, 500)
    mix = await web.read(lambda s, c: make_mix(s, c, seed, n))
    if fmt == "json":
        return _json(_mix_json(mix))
    return _playlist(_mix_entries(mix), fmt, f"tastebud mix from {mix.seed.id}")


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json_body(json.loads(raw))
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("the body is not JSON: send a JSON object") from None


@writer
async def post_feedback(request: Request, web: WebState) -> Response:
    body = await _body(request)
    return _json(await web.write(lambda s, c: give_feedback(s, c, body)))


@writer
async def post_retry(request: Request, web: WebState) -> Response:
    body = await _body(request)
    job = body.get("job") or ""
    if not isinstance(job, str):
        raise BadRequestError('job must be a source\'s run name, e.g. "feed:discover"')
    trigger = web.trigger
    return _json(await web.write(lambda s, c: retry(s, c, job, trigger=trigger)))


API_ROUTES = [
    Route("/api/queue", get_queue),
    Route("/api/status", get_status),
    Route("/api/changes", get_changes),
    Route("/api/feedback", get_feedback, methods=["GET"]),
    Route("/api/feedback", post_feedback, methods=["POST"]),
    Route("/api/retry", post_retry, methods=["POST"]),
    Route("/api/tracks/{id:int}", get_track),
    Route("/api/tracks/{id:int}/audio", get_audio),
    Route("/api/mix", get_mix),
    Route("/api/export", get_export),
]
