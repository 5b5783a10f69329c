"""Where the queue is listened to, and plays as feedback: the tagged library folder
(``library``, its file names in ``filenames``, stream copies in ``remux``, its state in
``status``), MPD (``mpd``, each line read from it bounded by ``mpd_lines``, its plays
and skips watched by ``watch`` and counted by ``plays``), Subsonic servers
(``subsonic``), Jellyfin's playlist (``jellyfin``), syncing the players' playlists
(``sync``), and the players' error (``errors``).

Other packages import only the names below; each module loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store import lazy_getattr

if TYPE_CHECKING:
    from daemon.listening.errors import LibraryWriteError, PlayerError
    from daemon.listening.mpd import connect
    from daemon.listening.status import LibraryStatus, library_status
    from daemon.listening.subsonic import Subsonic
    from daemon.listening.sync import sync_library
    from daemon.listening.watch import MpdWatcher

_WHERE = {
    "LibraryWriteError": "errors",
    "PlayerError": "errors",
    "connect": "mpd",
    "LibraryStatus": "status",
    "library_status": "status",
    "Subsonic": "subsonic",
    "sync_library": "sync",
    "MpdWatcher": "watch",
}
__getattr__ = lazy_getattr(__name__, _WHERE, globals())

__all__ = [
    "LibraryStatus",
    "LibraryWriteError",
    "MpdWatcher",
    "PlayerError",
    "Subsonic",
    "connect",
    "library_status",
    "sync_library",
]
