"""Keeping secrets out of log lines and stored errors.

:func:`redact` blanks the secret query parameters of every URL in a text
(``api_key``, ``token``, ``password``, Subsonic's ``t``, ``s`` and ``p``, ...), a
URL's ``user:password@`` and ``Token``/``Bearer`` credentials. Error messages that
name a URL pass through it before they are raised (so ``runs.error`` never holds a
secret); :class:`RedactingFilter`, on the CLI's log handler, passes every log line
(and traceback) through it and blanks the configured secret values themselves
(:func:`remember_secrets`), whatever logged them: yt-dlp's messages included.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Iterable

__all__ = [
    "MASK",
    "SECRET_PARAMS",
    "RedactingFilter",
    "config_secrets",
    "redact",
    "remember_secrets",
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
    """Passes a record's message and traceback through :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
