"""Serving the page in a thread of ``tastebud web`` or ``tastebud run``.

The socket is bound before anything else, so a taken port or a refused address is one
line at start. uvicorn serves it with tastebud's logging (its lines pass the redacting
filter; no access log) and, in its thread, without signal handlers of its own: the main
thread keeps the signals and stops the server.
"""

from __future__ import annotations

import logging
import socket
import threading

import uvicorn

from daemon.config import Config, parse_listen
from daemon.service import DaemonError
from daemon.web.access import Access, check_listen
from daemon.web.actions import Trigger
from daemon.web.app import create_app

__all__ = ["WebServer", "WebThread"]

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DaemonError(
            f"cannot listen on {host}:{port}: {reason}: set [web] listen (or --listen) to a free "
            "port, or stop what holds it"
        ) from None
    sock.set_inheritable(True)
    return sock


class WebServer:
    """The page and API on ``listen`` (default ``[web] listen``), bound at construction."""

    def __init__(
        self, config: Config, listen: str | None = None, *, trigger: Trigger | None = None
    ) -> None:
        self.listen = listen or config.web.listen
        host, port = parse_listen(self.listen, "--listen" if listen else "[web] listen")
        check_listen(host, port, config.web.token)
        self.access = Access(host, config.web.token)
        self.app = create_app(config, self.access, trigger)
        self.socket = _bind(host, port)
        bound = self.socket.getsockname()
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{bound[1]}/"
        settings = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",
            server_header=False,
            proxy_headers=False,
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(settings)

    def run(self) -> None:
        """Serve until :meth:`stop`."""
        logger.info("web page on %s", self.url)
        self.server.run(sockets=[self.socket])

    def stop(self) -> None:
        """Ask the server to finish (it closes its connections within a few seconds)."""
        self.server.should_exit = True

    def update(self, config: Config) -> None:
        """A reloaded config: its settings from now on; a new listen address or token needs
        a restart."""
        if (config.web.listen, config.web.token) != (self.listen, self.access.token):
            logger.warning("[web] listen and token changes apply at the next start")
        if not config.web.enabled:
            logger.warning("[web] enabled = false applies at the next start")
        self.app.state.web.config = config


class WebThread:
    """A :class:`WebServer` in a thread: of ``tastebud run``, or of ``tastebud web``, whose
    main thread keeps the signals."""

    def __init__(
        self, config: Config, listen: str | None = None, *, trigger: Trigger | None = None
    ) -> None:
        self.server = WebServer(config, listen, trigger=trigger)
        self.thread = threading.Thread(target=self._serve, name="web", daemon=True)

    def _serve(self) -> None:
        try:
            self.server.run()
        except BaseException:  # a dead web server must not go unnoticed, nor stop the daemon
            logger.exception("the web page stopped")

    def start(self) -> None:
        """Start serving."""
        self.thread.start()

    def update(self, config: Config) -> None:
        """A reloaded config (:meth:`WebServer.update`)."""
        self.server.update(config)

    def serving(self) -> bool:
        """Whether the server still runs."""
        return self.thread.is_alive()

    def stop(self) -> None:
        """Stop serving and wait for it (a few seconds at most)."""
        self.server.stop()
        if self.thread.ident is None:  # never started: the daemon failed to start
            self.server.socket.close()
            return
        self.thread.join(STOP_TIMEOUT_S)
        if self.thread.is_alive():
            logger.warning("the web page did not stop within %.0f s", STOP_TIMEOUT_S)
