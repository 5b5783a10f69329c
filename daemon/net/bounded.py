"""Every answer read within a byte limit and an overall deadline.

A socket timeout alone bounds one silence, not a read: a server that trickles a byte
every second, or streams without end, would hold a poll for ever or fill the memory.
:class:`~daemon.net.client.Client` reads every body through :func:`read_bounded`, which
counts the decoded bytes (a gzip bomb counts at its unpacked size) and the time since
the request was sent, and gives up with :class:`AnswerTooLargeError` or
:class:`DeadlineExceededError` (neither is retried: asking again gets the same).
:func:`loads` parses JSON with a depth limit (deep nesting is refused before the
parser's recursion could fail).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from daemon.net.errors import MalformedPayloadError, SourceUnavailableError

__all__ = [
    "DEFAULT_DEADLINE_S",
    "DEFAULT_MAX_BYTES",
    "MAX_JSON_DEPTH",
    "AnswerTooLargeError",
    "DeadlineExceededError",
    "JsonTooDeepError",
    "json_depth",
    "loads",
    "read_bounded",
]

DEFAULT_MAX_BYTES = 64 << 20
DEFAULT_DEADLINE_S = 120.0
MAX_JSON_DEPTH = 64

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class AnswerTooLargeError(MalformedPayloadError):
    """An answer went past its byte limit."""


class DeadlineExceededError(SourceUnavailableError):
    """An answer did not arrive within its overall deadline."""


class JsonTooDeepError(MalformedPayloadError):
    """JSON nested deeper than :data:`MAX_JSON_DEPTH`."""


def read_bounded(chunks: Iterable[bytes], *, what: str, max_bytes: int, deadline: float) -> bytes:
    """Join ``chunks`` while they stay within ``max_bytes`` and ``time.monotonic()`` stays
    before ``deadline``."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise AnswerTooLargeError(
                f"{what}: answer larger than {_mb(max_bytes)}: refused "
                "(raise [fetch] max_answer_mb if the server is right)"
            )
        if time.monotonic() > deadline:
            raise DeadlineExceededError(
                f"{what}: answer not complete within the deadline "
                f"({size} bytes so far): the server is too slow; will retry on a later poll"
            )
        parts.append(chunk)
    return b"".join(parts)


def _mb(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n} bytes"


def json_depth(text: str | bytes) -> int:
    """How deep arrays and objects nest in JSON ``text`` (brackets inside strings ignored)."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8", "replace")
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(accumulate(_STEP[c] for c in brackets))


def loads(text: str | bytes, *, what: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` with
    :class:`JsonTooDeepError` (and raises ``json.JSONDecodeError`` or
    ``UnicodeDecodeError`` as ``json.loads`` does)."""
    opens = (
        text.count("[") + text.count("{")
        if isinstance(text, str)
        else text.count(b"[") + text.count(b"{")
    )
    if opens > max_depth and json_depth(text) > max_depth:
        raise JsonTooDeepError(f"{what}: JSON nested deeper than {max_depth} levels: refused")
    try:
        return json.loads(text)
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise JsonTooDeepError(f"{what}: JSON nested too deep: refused") from None
