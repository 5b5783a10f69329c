"""``tastebud web [--listen HOST:PORT]``: the web page and the HTTP API in the foreground.

It reads the database as the dashboard does (read-only, short write transactions for
feedback), so it runs beside the daemon or without it. A listen address beyond loopback
needs ``[web] token``; the token is never printed. SIGTERM stops it (exit 0), Ctrl-C too
(exit 130, as every command).
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from daemon.config import Config

__all__ = ["cmd_web"]


def cmd_web(config: Config, args: argparse.Namespace) -> int:
    """Serve until SIGTERM or Ctrl-C."""
    from daemon.web import WebThread

    web = WebThread(config, args.listen)
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    # Ctrl-C stops it even where it was started with SIGINT ignored (as `tastebud run`)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(f"tastebud web: {web.server.url} (Ctrl-C stops)", flush=True)
    web.start()
    try:
        while web.serving() and not stop.wait(0.5):
            pass
    finally:
        web.stop()
    return 0
