"""systemd's notify protocol (sd_notify), spoken only when ``NOTIFY_SOCKET`` is set."""

from __future__ import annotations

import logging
import os
import socket

__all__ = ["Notifier"]

logger = logging.getLogger(__name__)


class Notifier:
    """Sends ``READY=1``, ``STATUS=``, ``WATCHDOG=1`` and ``STOPPING=1`` to systemd."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET", "")
        usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_interval = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None
        self._sock: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        """True when running under a service manager that listens."""
        return bool(self.address)

    def send(self, *fields: str) -> None:
        """Send ``KEY=VALUE`` fields in one datagram; errors are logged, never raised."""
        if not self.address:
            return
        address = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            # Never block the daemon on a service manager that does not read its socket.
            self._sock.sendto("\n".join(fields).encode(), socket.MSG_DONTWAIT, address)
        except BlockingIOError:
            logger.debug("notify socket %s is full; dropped %s", self.address, fields[0])
        except OSError as exc:
            logger.warning("cannot notify systemd at %s: %s", self.address, exc)

    def ready(self, status: str) -> None:
        """The service is up."""
        self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def status(self, text: str) -> None:
        """What the service is doing, for ``systemctl status``."""
        self.send(f"STATUS={text}")

    def watchdog(self) -> None:
        """Keep-alive; only call it when the main loop made progress."""
        self.send("WATCHDOG=1")

    def stopping(self) -> None:
        """The service is shutting down."""
        self.send("STOPPING=1", "STATUS=stopping")

    def reloading(self) -> None:
        """The service reloads its configuration."""
        self.send("RELOADING=1", "STATUS=reloading configuration")

    def close(self) -> None:
        """Close the socket."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
