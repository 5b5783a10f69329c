"""The web page and the HTTP API: ``tastebud web``, and the same server inside
``tastebud run`` when ``[web] enabled = true``.

- ``access``: the token rules (who may read, who may change state, which hosts);
- ``app``: the ASGI application (Starlette), its security headers and errors;
- ``api``: the JSON API under ``/api/``; ``routes``: the page, its fragments, the login;
- ``records``, ``status``, ``mix``, ``audio``, ``actions``: what the API reads and does,
  through the same code as the CLI (:mod:`daemon.feedback`, :mod:`daemon.playlists`);
- ``page``, ``parts``, ``health``, ``static/``: the server-rendered HTML, a stylesheet
  and a plain script;
- ``context``: what every request reads (the config, the store, the access rules);
- ``errors``: the API's errors, each with its HTTP status;
- ``server``: uvicorn in the foreground or in a thread of the daemon.
"""

from __future__ import annotations

from daemon.web.access import Access, check_listen, is_loopback
from daemon.web.app import create_app
from daemon.web.server import WebServer, WebThread

__all__ = ["Access", "WebServer", "WebThread", "check_listen", "create_app", "is_loopback"]
