"""Keeping secrets out of log lines and stored errors.

:func:`redact` blanks the secret query parameters of every URL in a text
(``api_key``, ``token``, ``password``, Subsonic's ``t``, ``s`` and ``p``, ...), a
URL's ``user:password@`` and ``Token``/``Bearer`` credentials. Error messages that
name a URL pass through it before they are raised (so ``runs.error`` never holds a
secret); :class:`RedactingFilter`, on the CLI's log handler, passes every log line
(and traceback) through it and blanks the configured secret values themselves
(:func:`remember_secrets`), whatever logged them: yt-dlp's messages included.

What a person or a player reads passes through :func:`shown`: secrets masked and control
characters neutralised (:func:`clean`: ESC, BEL, carriage returns, C1 controls and bidi
overrides from metadata become U+FFFD, so no server's text can move a terminal's cursor,
recolour it or ring its bell). The CLI's stdout and log lines pass through it
(:class:`ShownStream`, :class:`RedactingFilter`), the dashboard's snapshot
(:func:`shown_tree`), and playlist lines.

JSON that leaves tastebud (``--json``, the HTTP API, JSON and JSPF exports) is strict:
:func:`finite_tree` turns a float that is not finite (a NaN similarity, an infinite score
read from a damaged row) into null, and :func:`json_text` writes it, never ``NaN`` or
``Infinity``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
from collections.abc import Iterable
from typing import Any, TextIO, TypeVar

__all__ = [
    "MASK",
    "SECRET_PARAMS",
    "RedactingFilter",
    "ShownStream",
    "clean",
    "config_secrets",
    "finite_tree",
    "json_text",
    "redact",
    "remember_secrets",
    "shown",
    "shown_tree",
]

MASK = "***"
SECRET_PARAMS = (
    "api_key",
    "apikey",
    "access_token",
    "auth",
    "key",
    "password",
    "passwd",
    "secret",
    "sig",
    "token",
    "p",  # Subsonic: the password
    "s",  # Subsonic: the salt
    "t",  # Subsonic: the salted token
)
_QUERY = re.compile(
    r"([?&;](?:" + "|".join(SECRET_PARAMS) + r")=)[^&#\s'\"<>]*",
    re.IGNORECASE,
)
_USERINFO = re.compile(r"(://[^/\s:@]+:)[^/\s@]+@")
_CREDENTIAL = re.compile(r"\b(Token|Bearer|Basic) [A-Za-z0-9._~+/=-]{8,}")
# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MIN_SECRET_LEN = 4  # shorter values would blank ordinary words
_known: set[str] = set()


def redact(text: str) -> str:
    """``text`` with secret URL parameters, URL passwords, credentials and secrets masked."""
    text = _QUERY.sub(rf"\1{MASK}", text)
    text = _USERINFO.sub(rf"\1{MASK}@", text)
    text = _CREDENTIAL.sub(rf"\1 {MASK}", text)
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def clean(text: str, *, one_line: bool = False) -> str:
    """``text`` with every control character (newlines too when ``one_line``) as U+FFFD;
    tabs and, unless ``one_line``, newlines kept."""
    return (_CONTROL_OR_NEWLINE if one_line else _CONTROL).sub("\ufffd", text)


def shown(text: str) -> str:
    """``text`` as a person may see it: :func:`redact`, then :func:`clean`."""
    return clean(redact(text))


T = TypeVar("T")


def shown_tree(obj: T) -> T:
    """``obj`` with every string in it passed through :func:`shown`: strings, tuples,
    lists, dicts and (frozen) dataclasses rebuilt, anything else kept as it is."""
    return _shown_tree(obj)  # type: ignore[no-any-return]


def _shown_tree(obj: Any) -> Any:
    if isinstance(obj, str):
        return shown(obj) if type(obj) is str else obj
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)._make(_shown_tree(v) for v in obj)  # type: ignore[attr-defined]
    if isinstance(obj, tuple | list):
        return type(obj)(_shown_tree(v) for v in obj)
    if isinstance(obj, dict):
        return {k: _shown_tree(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {
            f.name: _shown_tree(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init
        }
        return dataclasses.replace(obj, **changes)
    return obj


def finite_tree(obj: Any) -> Any:
    """``obj`` (JSON-like: dicts, lists, tuples) with every non-finite float as None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_tree(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [finite_tree(v) for v in obj]
    return obj


def json_text(obj: Any, **options: Any) -> str:
    """``json.dumps`` of :func:`finite_tree` of ``obj``: strict JSON, whatever was read."""
    return json.dumps(finite_tree(obj), allow_nan=False, **options)


class ShownStream:
    """A text stream that writes what it is given through :func:`shown` (the CLI's stdout)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(shown(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def remember_secrets(values: Iterable[str]) -> None:
    """Blank these values too wherever :func:`redact` runs (the configured secrets)."""
    for value in values:
        _known.update(v for v in (value, os.path.expanduser(value)) if len(v) >= _MIN_SECRET_LEN)


def config_secrets(obj: object) -> list[str]:
    """The values of every field marked secret in a (nested) config dataclass."""
    found: list[str] = []
    if isinstance(obj, tuple | list):
        for item in obj:
            found += config_secrets(item)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if f.metadata.get("secret") and isinstance(value, str) and value:
                found.append(str(value))
            else:
                found += config_secrets(value)
    return found


class RedactingFilter(logging.Filter):
    """Passes a record's message and traceback through :func:`shown`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = shown(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = shown(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
