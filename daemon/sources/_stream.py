"""Export files read within bounds: a JSON array streamed item by item (at the memory of
JSON Lines, not the whole array's), lines read at most :data:`MAX_ITEM_CHARS` long, each
item nested at most :data:`~daemon.net.MAX_JSON_DEPTH` deep, and an archive member
expanded within a byte budget (a zip bomb stops at it).

A bad item (not JSON, too long, too deep) is yielded as :data:`BAD` and never costs the
items after it; a broken array (no closing bracket, garbage between items) stops there.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from daemon.net import MAX_JSON_DEPTH, JsonTooDeepError, MalformedPayloadError, loads

__all__ = [
    "BAD",
    "MAX_ITEM_CHARS",
    "MAX_RATIO",
    "MIN_BUDGET",
    "Budget",
    "BudgetExceededError",
    "NotAnArrayError",
    "Text",
    "archive_budget",
    "budgeted",
    "iter_json_array",
    "iter_json_lines",
]

MAX_ITEM_CHARS = 1 << 20  # one listen or watch entry is a few hundred bytes
MAX_RATIO = 100  # an archive member may expand to this many times the archive's size
MIN_BUDGET = 256 << 20
_CHUNK = 1 << 16
_DECODER = json.JSONDecoder()
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)


class Text(Protocol):
    """What is read of a text stream here."""

    def read(self, size: int = -1, /) -> str:
        """Up to ``size`` characters."""
        ...

    def readline(self, size: int = -1, /) -> str:
        """One line, at most ``size`` characters."""
        ...


class _Bad:
    """The marker of an item that could not be read (yielded in its place)."""

    def __repr__(self) -> str:
        return "BAD"


BAD: Any = _Bad()


class NotAnArrayError(MalformedPayloadError):
    """A file meant to hold a JSON array breaks it."""


class BudgetExceededError(MalformedPayloadError):
    """An archive member expands past its byte budget."""


class Budget:
    """Bytes the members of one archive may still expand to (shared by its members)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.left = total


class _Budgeted(io.RawIOBase):
    def __init__(self, f: IO[bytes], budget: Budget, name: str) -> None:
        self._f = f
        self._budget = budget
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._f.read(min(len(buffer), self._budget.left + 1))
        self._budget.left -= len(data)
        if self._budget.left < 0:
            raise BudgetExceededError(
                f"{self._name}: expands past {self._budget.total >> 20} MB "
                f"({MAX_RATIO} times the archive): refused as a zip bomb"
            )
        buffer[: len(data)] = data
        return len(data)


def budgeted(f: IO[bytes], budget: Budget, name: str) -> IO[bytes]:
    """``f`` read through ``budget``: past it, :class:`BudgetExceededError`."""
    return io.BufferedReader(_Budgeted(f, budget, name), _CHUNK)


def archive_budget(path: Path) -> Budget:
    """How many bytes the members of the archive at ``path`` may expand to."""
    return Budget(max(MIN_BUDGET, MAX_RATIO * path.stat().st_size))


def _item(text: str, name: str) -> Any:
    try:
        return loads(text, what=name)
    except (json.JSONDecodeError, JsonTooDeepError):
        return BAD


def iter_json_lines(text: Text, name: str, max_chars: int = MAX_ITEM_CHARS) -> Iterator[Any]:
    """The JSON value of each non-blank line; :data:`BAD` for one that is not JSON, too
    deep, or longer than ``max_chars`` (read past without holding it)."""
    while line := text.readline(max_chars + 1):
        if len(line) > max_chars and not line.endswith("\n"):
            while (rest := text.readline(max_chars)) and not rest.endswith("\n"):
                pass
            yield BAD
            continue
        if line.strip():
            yield _item(line, name)


def iter_json_array(text: Text, name: str, max_chars: int = MAX_ITEM_CHARS) -> Iterator[Any]:
    """The items of the JSON array ``text`` holds, one at a time (:data:`BAD` for one too
    deep); raises :class:`MalformedPayloadError` where the array itself breaks."""
    buf = _fill("", text)
    buf = buf.lstrip()
    if not buf.startswith("["):
        raise NotAnArrayError(f"{name}: not a JSON array")
    pos, first = 1, True
    while True:
        buf, pos = _skip_space(buf, pos, text)
        if buf[pos : pos + 1] == "]":
            return
        if not first:
            if buf[pos : pos + 1] != ",":
                raise NotAnArrayError(f"{name}: not a valid JSON array (no ',' or ']')")
            buf, pos = _skip_space(buf, pos + 1, text)
        first = False
        item, buf, pos = _next_item(buf, pos, text, name, max_chars)
        yield item


def _fill(buf: str, text: Text) -> str:
    return buf + text.read(_CHUNK)


def _skip_space(buf: str, pos: int, text: Text) -> tuple[str, int]:
    while True:
        while pos < len(buf) and buf[pos] in " \t\r\n":
            pos += 1
        if pos < len(buf):
            return buf, pos
        more = text.read(_CHUNK)
        if not more:
            return buf, pos
        buf, pos = more, 0


def _next_item(buf: str, pos: int, text: Text, name: str, max_chars: int) -> tuple[Any, str, int]:
    """The item at ``pos`` (reading on while it is incomplete), the buffer, and its end."""
    while True:
        try:
            value, end = _DECODER.raw_decode(buf, pos)
        except RecursionError:  # deeper than the parser goes: skip to its end
            buf, pos, end = _end_of_nested(buf, pos, text, name, max_chars)
            return BAD, buf, end
        except json.JSONDecodeError as exc:
            more = text.read(_CHUNK)
            if not more:
                raise NotAnArrayError(f"{name}: not a valid JSON array ({exc})") from None
            buf, pos = buf[pos:] + more, 0
            if len(buf) > max_chars + _CHUNK:
                raise NotAnArrayError(
                    f"{name}: an item is longer than {max_chars} characters or broken: "
                    "not an export"
                ) from None
            continue
        item = buf[pos:end]
        if item.count("[") + item.count("{") > MAX_JSON_DEPTH:
            value = _item(item, name)  # BAD when it nests too deep
        return value, buf, end


def _end_of_nested(
    buf: str, pos: int, text: Text, name: str, max_chars: int
) -> tuple[str, int, int]:
    """Where the array or object at ``pos`` ends (strings skipped), reading on as needed."""
    depth, at = 0, pos
    while True:
        for token in _TOKEN.finditer(buf, at):
            at = token.end()
            if token.group() in "[{":
                depth += 1
            elif token.group() in "]}":
                depth -= 1
                if depth == 0:
                    return buf, pos, at
        more = text.read(_CHUNK)
        if not more or at - pos > max_chars:
            raise NotAnArrayError(f"{name}: an item nests too deep and never ends")
        keep = min(at, len(buf))
        buf, pos, at = buf[pos:] + more, 0, keep - pos
