"""``tastebud web [--listen HOST:PORT]``: the web page and the HTTP API in the foreground.

It reads the database as the dashboard does (read-only, short write transactions for
feedback), so it runs beside the daemon or without it. A listen address beyond loopback
needs ``[web] token``; the token is never printed.
"""

from __future__ import annotations

import argparse

from daemon.config import Config

__all__ = ["cmd_web"]


def cmd_web(config: Config, args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM."""
    from daemon.web import WebServer

    server = WebServer(config, args.listen)
    print(f"tastebud web: {server.url} (Ctrl-C stops)", flush=True)
    server.run()
    return 0
