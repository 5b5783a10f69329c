"""tastebud's daemon: everything around the store and the classifier.

- ``cli/``: the ``tastebud`` command: the parser and one module per command group.
- ``service/``: ``tastebud run`` and ``once``: the job table, the jobs, lifecycle, lock, sd_notify.
- ``sources/``: listening history and candidate feeds, one module per source type.
- ``acquire/``: getting audio: matching, the yt-dlp fetcher, throttling, the fetch pipeline.
- ``playlists/``: playlist formats, ``tastebud export`` and the ``[[playlists]]`` job.
- ``dashboard/``: a snapshot of reads and a view that only renders.
- ``demo/``: ``make demo``, on a synthetic corpus.
- ``config/``: ``config.toml``; ``net.py``: the HTTP client factory and retries.

The console script is :func:`daemon.cli.main`.
"""

from __future__ import annotations

import os

__all__ = ["USER_UMASK", "user_file_mode"]


def _read_umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(mask)
    return mask


USER_UMASK = _read_umask()
"""The umask tastebud was started with, read when this package is first imported: the
daemon may later tighten the process umask for its state files, but the files it makes
for people and other programs (playlists, exports) follow the user's own umask."""


def user_file_mode() -> int:
    """The mode a file made for the user gets: 0o666 less the umask tastebud started with."""
    return 0o666 & ~USER_UMASK
