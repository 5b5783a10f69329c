"""The page itself and the login form: server-rendered HTML, one stylesheet and one plain
script from ``/static`` (no build step), nothing inline."""

from __future__ import annotations

from html import escape

__all__ = ["HELP_KEYS", "login_html", "page_html"]

HELP_KEYS = (
    ("j ↓", "next track"),
    ("k ↑", "previous track"),
    ("l", "like the selected track"),
    ("d", "dislike it"),
    ("x", "dismiss it (not for me, no opinion)"),
    ("b", "block its artist"),
    ("u", "undo the last feedback"),
    ("p", "play its preview (library and cached files)"),
    ("Enter", "show its details"),
    ("/", "filter by artist or title (Enter keeps it, Esc clears it)"),
    ("?", "this help (Esc closes it)"),
)

_HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>tastebud</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
"""


def _help() -> str:
    rows = "".join(f"<dt><kbd>{escape(k)}</kbd></dt><dd>{escape(v)}</dd>" for k, v in HELP_KEYS)
    return (
        '<dialog id="help" aria-labelledby="help-title"><h2 id="help-title">Keys</h2>'
        f"<dl>{rows}</dl><p>standing: the track's place among the candidates at the last "
        "rescoring, 1.00 the best; why: the tracks you played or liked that it sounds closest "
        "to, and its most probable tags. Feedback is stored as <code>tastebud feedback</code> "
        'stores it.</p><form method="dialog"><button>close</button></form></dialog>'
    )


def page_html(page_token: str, summary: str, queue: str, model: str, health: str) -> str:
    """The whole page, with its first rendering of each part."""
    return (
        _HEAD
        + f'<meta name="tastebud-page" content="{escape(page_token)}">'
        + '<script src="/static/app.js" defer></script></head><body>'
        + '<header><h1>tastebud</h1><p id="summary">'
        + summary
        + '</p><button type="button" id="help-button" aria-label="keys">?</button></header>'
        + '<main><section id="queue-panel" aria-label="queue">'
        + '<div class="toolbar"><input id="filter" type="search" placeholder="filter (/)" '
        + 'aria-label="filter the queue" autocomplete="off">'
        + '<button type="button" id="undo">undo (u)</button>'
        + '<button type="button" id="play">play (p)</button></div>'
        + '<p id="message" role="status" aria-live="polite"></p>'
        + '<table id="queue"><thead><tr><th>#</th><th>standing</th><th>track · why</th>'
        + '<th class="wide">feed</th><th class="wide">age</th><th></th></tr></thead>'
        + f'<tbody id="rows">{queue}</tbody></table></section>'
        + '<aside><section id="detail-panel" aria-label="selected track"><div id="detail">'
        + "<p>Select a track (click, or j and k) to see why it is here.</p></div>"
        + '<audio id="audio" controls preload="none"></audio></section>'
        + f'<section id="model-panel" aria-label="model"><h2>Model</h2><div id="model">{model}'
        + '</div></section><section id="health-panel" aria-label="health"><h2>Health</h2>'
        + f'<div id="health">{health}</div></section></aside></main>'
        + _help()
        + "</body></html>\n"
    )


def login_html(failed: bool = False) -> str:
    """The login form a browser gets beyond loopback: the token sets a session cookie."""
    note = '<p class="alert">That is not the token.</p>' if failed else ""
    return (
        _HEAD
        + '</head><body class="login"><main><h1>tastebud</h1>'
        + "<p>This page is served beyond this machine: type the <code>[web] token</code>.</p>"
        + note
        + '<form method="post" action="/login"><input type="password" name="token" '
        + 'autocomplete="current-password" aria-label="token" required autofocus>'
        + "<button>open</button></form></main></body></html>\n"
    )
