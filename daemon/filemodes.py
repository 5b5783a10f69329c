"""File modes: tastebud's state stays private, what people read stays readable.

Outside systemd the process umask becomes ``[storage] umask`` (``0027``: the state
directory 0750, the database and checkpoints 0640) and state made by an older
version is tightened to it. Under systemd (``$INVOCATION_ID`` set) the unit's
``UMask=`` rules instead: the shipped units set ``UMask=0007`` with a setgid
``StateDirectoryMode=2770``, so the database and its ``-wal``/``-shm`` are 0660 and
a member of the tastebud group can run the dashboard. Playlists and exports are
written with :func:`readable_file_mode` whatever the state's umask.

The default library folder and playlists live in the state directory, so others may
pass through it (:func:`let_readers_through`: ``o+x``, never ``o+r``) to those, which
are 0755 and 0644; everything else there keeps its private mode, and the directory
cannot be listed. :func:`blocked_for_others` finds the folder that still stops them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "USER_UMASK",
    "apply_state_umask",
    "blocked_for_others",
    "let_readers_through",
    "readable_file_mode",
    "tighten",
    "under_systemd",
]

logger = logging.getLogger(__name__)


def _current_umask() -> int:
    current = os.umask(0o022)  # the only way to read it is to set it
    os.umask(current)
    return current


USER_UMASK = _current_umask()
"""The umask tastebud was started with, read on import, before the state's is applied."""


def under_systemd() -> bool:
    """Whether systemd started this process as a service (it sets ``$INVOCATION_ID``)."""
    return bool(os.environ.get("INVOCATION_ID"))


def apply_state_umask(umask: int) -> int:
    """Set the process umask for the state (unless under systemd); the umask in force."""
    current = _current_umask()
    if under_systemd():
        return current
    os.umask(umask)
    return umask


def readable_file_mode() -> int:
    """The mode of playlists and exports: 0666 less the umask tastebud started with
    (0644 by default); 0644 under systemd, whose ``UMask=`` is meant for the state."""
    if under_systemd():
        return 0o644
    return 0o666 & ~USER_UMASK


def tighten(paths: Iterable[Path], umask: int) -> None:
    """Remove the bits ``umask`` forbids from the paths that exist and are ours."""
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        mode = st.st_mode & 0o7777
        if st.st_uid == os.geteuid() and mode & umask:
            path.chmod(mode & ~umask)
            logger.info(
                "%s: mode %04o tightened to %04o ([storage] umask)", path, mode, mode & ~umask
            )


def let_readers_through(folder: Path, state_dir: Path) -> None:
    """When ``folder`` (the library, the playlists) is inside ``state_dir``: let other
    users pass through ``state_dir`` to it (``o+x``), a media server among them."""
    if folder == state_dir or not folder.is_relative_to(state_dir):
        return
    try:
        st = state_dir.stat()
    except OSError:
        return
    mode = st.st_mode & 0o7777
    if st.st_uid == os.geteuid() and not mode & 0o001:
        state_dir.chmod(mode | 0o001)
        logger.info("%s: others may pass through to %s (mode %04o)", state_dir, folder, mode | 1)


def blocked_for_others(path: Path) -> Path | None:
    """The first existing folder on the way to ``path`` that other users (a media server)
    cannot pass through, or None."""
    for folder in reversed([path, *path.parents]):
        try:
            mode = folder.stat().st_mode
        except OSError:
            return None  # not there yet: what exists above it was checked
        if folder.is_dir() and not mode & 0o001:
            return folder
    return None
