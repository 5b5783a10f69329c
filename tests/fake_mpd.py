"""A fake MPD on 127.0.0.1 that says exactly the bytes a test gives it.

It speaks enough of MPD's protocol for the watcher (``commands``, ``subscribe``,
``status``, ``currentsong``, ``idle``, ``sendmessage``, ``readmessages``, ``close``),
greets with ``greeting`` and answers ``status`` and ``currentsong`` with the raw lines a
test sets: an ``elapsed: abc``, a line that is not UTF-8, whatever a broken or hostile
server might send. :meth:`FakeMpd.play` sets the song and wakes every ``idle``.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.audio_helpers import serve_in_thread

__all__ = ["GREETING", "SONG_S", "FakeMpd", "fake_mpd"]

GREETING = b"OK MPD 0.23.5\n"
SONG_S = 0.2  # each song's length: played for half of it, it is a listen
_COMMANDS = b"".join(
    b"command: %s\n" % name
    for name in (b"add", b"currentsong", b"idle", b"readmessages", b"sendmessage", b"status")
)


class FakeMpd:
    """The server's state: what it says, and what it was asked."""

    def __init__(self, greeting: bytes = GREETING) -> None:
        self.greeting = greeting
        self.status = b"state: stop\n"
        self.song = b""
        self.connections = 0
        self.idles = 0  # idle commands received: the watcher has read the player and waits
        self._changes = 0
        self._messages: list[bytes] = []
        self._cond = threading.Condition()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def play(self, song_id: int, *, status: bytes = b"") -> None:
        """Play song ``song_id`` (:data:`SONG_S` long, with a title and artist), ``status``
        lines added to MPD's usual ones, and tell every idling client the player changed."""
        with self._cond:
            self.status = b"state: play\nsongid: %d\nduration: %.3f\n%s" % (
                song_id,
                SONG_S,
                status,
            )
            self.song = b"file: fake/%d.ogg\nArtist: Fake Artist\nTitle: Song %d\n" % (
                song_id,
                song_id,
            )
            self._changes += 1
            self._cond.notify_all()

    def _idle(self, seen: int) -> tuple[int, bytes]:
        """Wait for a change after ``seen`` or a message; the answer to ``idle``."""
        with self._cond:
            self.idles += 1
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._changes > seen or self._messages, timeout=30)
            if self._messages:
                return self._changes, b"changed: message\n"
            return self._changes, b"changed: player\n"

    def _answer(self, command: bytes, seen: int) -> tuple[int, bytes | None]:
        """(changes seen, the reply to ``command``; None to hang up)."""
        name, _, args = command.partition(b" ")
        if name == b"close":
            return seen, None
        if name == b"idle":
            return self._idle(seen)
        with self._cond:
            if name == b"status":
                return seen, self.status
            if name == b"currentsong":
                return seen, self.song
            if name == b"commands":
                return seen, _COMMANDS
            if name == b"sendmessage":
                self._messages.append(args)
                self._cond.notify_all()
            elif name == b"readmessages":
                self._messages.clear()
            elif name not in (b"subscribe", b"password", b"noidle"):
                return seen, b"ACK [5@0] {%s} unknown command\n" % name
        return seen, b""

    def _handler(self) -> type[socketserver.StreamRequestHandler]:
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with fake._cond:
                    fake.connections += 1
                    seen = fake._changes
                self.wfile.write(fake.greeting)
                if not fake.greeting.endswith(b"\n"):
                    return  # not a line: hang up
                for line in self.rfile:
                    seen, reply = fake._answer(line.rstrip(b"\n"), seen)
                    if reply is None:
                        return
                    ack = reply.startswith(b"ACK")
                    self.wfile.write(reply if ack else reply + b"OK\n")

        return Handler

    def start(self) -> None:
        serve_in_thread(self._server)

    def stop(self) -> None:
        with self._cond:
            self._messages.append(b"shutdown")  # wake every idle
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def fake_mpd(greeting: bytes = GREETING) -> Iterator[FakeMpd]:
    """A started :class:`FakeMpd`, stopped on exit."""
    server = FakeMpd(greeting)
    server.start()
    try:
        yield server
    finally:
        server.stop()
