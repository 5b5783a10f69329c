"""Small helpers shared by the source parsers: tolerant field access, skipped-item logs."""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from daemon.net import MalformedPayloadError
from store import TrackRef, match_key

__all__ = [
    "Skips",
    "as_dict",
    "as_int",
    "as_list",
    "as_str",
    "as_timestamp",
    "log_malformed",
    "parse_items",
    "split_artist_title",
    "strip_topic",
    "usable",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Skips = Counter[str]
MAX_FUTURE_S = 86400  # a clock a day fast is tolerated; later times are refused


def as_str(value: Any) -> str | None:
    """A non-empty stripped string, else None (numbers arrive as strings from some APIs)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def as_int(value: Any) -> int | None:
    """An integer from an int, a float or a decimal string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return as_int(float(value.strip()))
        except ValueError:
            return None
    return None


def as_timestamp(value: Any, field: str, now: float | None = None) -> int:
    """Whole Unix seconds from 1970 to a day from now, else :class:`MalformedPayloadError`."""
    number = _number(value)
    if value is None:
        raise MalformedPayloadError(f"no {field}")
    if number is None:
        raise MalformedPayloadError(f"{field} is not a Unix time")
    if not math.isfinite(number) or number != int(number):
        raise MalformedPayloadError(f"{field} is not a whole number of seconds")
    latest = (time.time() if now is None else now) + MAX_FUTURE_S
    if not 0 <= number <= latest:
        raise MalformedPayloadError(f"{field} is before 1970 or more than a day ahead")
    return int(number)


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, a one-item list for an object, else empty."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def strip_topic(name: str | None) -> str | None:
    """``Artist - Topic`` (YouTube's auto-generated channels) -> ``Artist``."""
    if name and name.endswith(" - Topic"):
        return name[: -len(" - Topic")].strip() or None
    return name


def split_artist_title(title: str) -> tuple[str | None, str]:
    """``Artist - Title`` -> (artist, title); a title without the separator has no artist."""
    for separator in (" - ", " \u2013 ", " \u2014 "):  # hyphen, en dash, em dash
        artist, found, rest = title.partition(separator)
        if found and artist.strip() and rest.strip():
            return artist.strip(), rest.strip()
    return None, title.strip()


def usable(ref: TrackRef) -> TrackRef:
    """``ref`` if the store can identify it (an id, a URL, or a normalizable artist and title)."""
    if ref.ids or ref.url or match_key(ref.artist, ref.title):
        return ref
    raise MalformedPayloadError("no id, URL, or artist and title that survive normalization")


def parse_items(
    items: Iterable[Any], parse: Callable[[Any], T], what: str, skips: Skips
) -> list[T]:
    """Parse each item; a malformed one is logged with ``what`` and counted in ``skips``."""
    parsed: list[T] = []
    for item in items:
        try:
            parsed.append(parse(item))
        except MalformedPayloadError as exc:
            skips[f"malformed: {exc}"] += 1
            log_malformed(what, str(exc), item)
    return parsed


LOG_LIMIT = 20  # malformed items logged per source and window; all are counted
LOG_WINDOW_S = 600.0
_logged: dict[str, tuple[float, int]] = {}


def log_malformed(what: str, reason: str, item: Any) -> None:
    """Log a skipped malformed item with the source's name and the item itself: at most
    :data:`LOG_LIMIT` per source in :data:`LOG_WINDOW_S` seconds (the run's ``skipped``
    counts them all), then one line saying the rest are not logged."""
    now = time.monotonic()
    start, count = _logged.get(what, (now, 0))
    if now - start > LOG_WINDOW_S:
        start, count = now, 0
    _logged[what] = (start, count + 1)
    if count < LOG_LIMIT:
        logger.warning("%s: skipped malformed item (%s): %s", what, reason, _snippet(item))
    elif count == LOG_LIMIT:
        logger.warning(
            "%s: more malformed items skipped: not logged for %.0f minutes (the run's "
            "skipped count has them all)",
            what,
            LOG_WINDOW_S / 60,
        )


def _snippet(item: Any) -> str:
    try:
        text = json.dumps(item, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(item)
    return text if len(text) <= 300 else text[:300] + "..."
