"""Watching MPD while the daemon runs: plays of library files become listens and skips.

A thread idles on MPD's ``player`` subsystem (and on the ``message`` subsystem of
its own channel, so that stopping the daemon wakes it at once), judges each song
left with :mod:`daemon.listening.plays`, and stores a listen or a skip for the
next training cycle. With ``[mpd] history = true``, songs from outside the
library played long enough are stored as listens too. A lost connection is
retried every 30 s; any other error restarts the thread with backoff
(:class:`daemon.supervise.Supervised`), recorded as a failed ``worker:mpd-watch`` run.
"""

from __future__ import annotations

import logging
import threading
import time

from mpd import MPDClient

from daemon.config import Config
from daemon.listening.errors import PlayerError
from daemon.listening.mpd import connect
from daemon.listening.plays import Play, PlayTracker, verdict
from daemon.supervise import Supervised, record_crash
from store import ListenIn, Store, TrackRef

__all__ = ["CHANNEL", "CONNECT_S", "MpdWatcher"]

logger = logging.getLogger(__name__)

CHANNEL = "tastebud-watch"
RETRY_S = 30.0
CONNECT_S = 10.0
"""How long one try to connect (and read the greeting) may take."""
SOURCE = "mpd"


class MpdWatcher:
    """The watching thread: :meth:`start` it, :meth:`stop` it."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self._stop = threading.Event()
        self._thread = Supervised(
            "mpd-watch", self._run, self._stop, report=lambda n, m: record_crash(store, n, m)
        )
        self.tracker = PlayTracker()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching; wakes the thread through MPD and waits up to ``timeout``."""
        self._stop.set()
        try:
            with connect(self.config.mpd, timeout=2.0) as client:
                client.sendmessage(CHANNEL, "stop")
        except PlayerError:
            pass  # MPD is gone: the thread's idle fails on its own
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with connect(self.config.mpd, timeout=CONNECT_S) as client:
                    logger.info("watching MPD at %s:%d", self.config.mpd.host, self.config.mpd.port)
                    self._watch(client)
            except PlayerError as exc:
                logger.warning("MPD watch: %s; retrying in %.0f s", exc, RETRY_S)
                self._stop.wait(RETRY_S)

    def _watch(self, client: MPDClient) -> None:
        client.subscribe(CHANNEL)
        client.idletimeout = None
        while not self._stop.is_set():
            self._observe(client)
            if "message" in client.idle("player", "message"):
                client.readmessages()

    def _observe(self, client: MPDClient) -> None:
        ended = self.tracker.observe(client.status(), client.currentsong(), time.time())
        for play, played in ended:
            self.record(play, played)

    def record(self, play: Play, played: float) -> str:
        """Store what ``play`` was; returns the verdict."""
        judged = verdict(play, played)
        uri = play.song.get("file", "")
        track_id = self._library_track(uri)
        at = play.started_at
        if track_id is not None and judged == "listen":
            self.store.add_track_listen(track_id, at, SOURCE, played)
        elif track_id is not None and judged == "skip":
            self.store.add_skips([(track_id, at, played)], SOURCE)
        elif track_id is None and judged == "listen" and self.config.mpd.history:
            self._history(play, played)
        if track_id is not None or judged == "listen":
            logger.info("MPD: %s %s after %.0f s", uri, judged, played)
        return judged

    def _library_track(self, uri: str) -> int | None:
        for f in self.store.library_files():
            if uri == f.path or uri.endswith(f"/{f.path}"):
                return f.track_id
        return None

    def _history(self, play: Play, played: float) -> None:
        song = play.song
        if not song.get("title"):
            return
        ids = (
            {"recording_mbid": song["musicbrainz_trackid"]} if "musicbrainz_trackid" in song else {}
        )
        ref = TrackRef(
            SOURCE,
            artist=song.get("artist"),
            title=song.get("title"),
            album=song.get("album"),
            duration=play.duration,
            ids=ids,
        )
        self.store.add_listens([ListenIn(ref, int(play.started_at), played)], SOURCE)
