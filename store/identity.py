"""Track identity: normalized artist/title match keys and URL identifiers.

One recording reached from two places (a listen with artist and title, a feed
item with a URL) must converge to one track. External ids and URLs match
exactly; otherwise :func:`match_key` joins them on a normalized artist/title.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit, urlunsplit

__all__ = ["artist_key", "match_key", "normalize_text", "normalize_url", "youtube_video_id"]

_BRACKETED_NOISE = re.compile(
    r"[\(\[\{][^\)\]\}]*\b("
    r"official|video|audio|lyrics?|visuali[sz]er|hd|hq|4k|remaster(?:ed)?|mv|m/v|explicit|clip"
    r")\b[^\)\]\}]*[\)\]\}]",
)
_FEAT = re.compile(r"[\(\[]?\s*\b(feat\.?|ft\.?|featuring)\s+[^\)\]]*[\)\]]?")
_TOPIC = re.compile(r"\s+-\s+topic\s*$")
_VEVO = re.compile(r"vevo$")
_NON_WORD = re.compile(r"[^\w]+")
_SPACES = re.compile(r"\s+")
_YT_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YT_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "music.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


def normalize_text(text: str) -> str:
    """Fold case and accents and drop video noise, ``feat.`` and punctuation."""
    folded = _fold(text)
    folded = _TOPIC.sub("", folded)
    for pattern in (_BRACKETED_NOISE, _FEAT):
        folded = pattern.sub(" ", folded)
    folded = _NON_WORD.sub(" ", folded).replace("_", " ")
    # once more: "ft!x" reads "ft x" only now, and a second normalization must not change it
    folded = _FEAT.sub(" ", folded)
    return _SPACES.sub(" ", folded).strip()


def _normalize_artist(artist: str) -> str:
    name = normalize_text(artist)
    return _VEVO.sub("", name.replace(" ", "")) if name.endswith("vevo") else name


_NO_ARTIST = frozenset(("", "unknown", "unknown artist", "various artists", "various", "va"))


@lru_cache(maxsize=1 << 16)
def artist_key(artist: str | None) -> str:
    """``artist`` normalized as the match key has it; "" for no artist, or a placeholder
    that names none ("Unknown Artist", "Various Artists"). Cached: each rescoring asks
    again for every track's artist, and a library repeats its artists."""
    name = _normalize_artist(artist or "")
    return "" if name in _NO_ARTIST else name


def match_key(artist: str | None, title: str | None) -> str | None:
    """The normalized ``artist|title`` key, or None when either part is empty.

    The function is idempotent on its parts: normalizing an already
    normalized artist and title gives the same key.
    """
    a = _normalize_artist(artist or "")
    t = normalize_text(title or "")
    if not a or not t:
        return None
    return f"{a}|{t}"


def youtube_video_id(url: str | None) -> str | None:
    """The 11-character video id of a YouTube or YouTube Music URL, else None."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    candidate: str | None = None
    if host == "youtu.be":
        candidate = parts.path.lstrip("/").split("/")[0]
    elif host in _YT_HOSTS:
        if parts.path == "/watch":
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        else:
            segments = [s for s in parts.path.split("/") if s]
            if len(segments) >= 2 and segments[0] in {"shorts", "embed", "v", "live"}:
                candidate = segments[1]
    return candidate if candidate and _YT_ID.match(candidate) else None


def normalize_url(url: str) -> str:
    """A canonical form of a page URL, so that one page has one spelling.

    YouTube URLs become ``https://www.youtube.com/watch?v=<id>``; other URLs
    lose their fragment and get a lower-case scheme and host.
    """
    video = youtube_video_id(url)
    if video:
        return f"https://www.youtube.com/watch?v={video}"
    parts = urlsplit(url.strip())
    netloc = parts.netloc.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))
