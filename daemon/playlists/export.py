"""Playlists from the queue: what ``tastebud export`` and the daemon's ``[[playlists]]``
refresh write.

Both read the ranked queue, write it in one of the playlist formats of
:mod:`daemon.playlists.formats` (atomically: a temporary file beside the target, flushed,
fsynced, then renamed over it), and record the tracks as exported. Only tracks of a
``[[playlists]]`` table with ``counts_skips = true`` (a playlist the listener plays)
that are not listened to within ``[model] skip_grace_days`` count as implicit
skips; a plain ``tastebud export`` never makes skips.

A stdout export (``--out -``) is recorded only when it is given a ``--name``:
a glance at the queue is not a playlist the listener was offered. Only a
track's first export is recorded: the hourly refresh of a playlist that still
holds it must not restart its grace period.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from daemon.config import Config, PlaylistConfig
from daemon.filemodes import let_readers_through, readable_file_mode
from daemon.playlists.errors import ExportError
from daemon.playlists.formats import PlaylistEntry, format_playlist
from daemon.playlists.jspf import importable
from daemon.playlists.tags import load_tag_names, top_tags
from daemon.representation import active_backbone
from store import QueueEntry, Store

__all__ = [
    "mark_first_export",
    "playlist_entries",
    "playlist_path",
    "refresh_playlists",
    "write_atomic",
    "write_playlist",
]

logger = logging.getLogger(__name__)


def _passes(score: float | None, min_standing: float | None) -> bool:
    """An unscored track passes only a threshold of at most 0 (or none)."""
    if min_standing is None:
        return True
    return score >= min_standing if score is not None else min_standing <= 0


def playlist_entries(
    store: Store,
    config: Config,
    *,
    limit: int,
    min_standing: float | None = None,
    tag_names: Sequence[str] | None = None,
) -> list[PlaylistEntry]:
    """The top of the queue as playlist entries, ranked 1..n, with tags, MBIDs and why each
    is there (as of now)."""
    queue = store.queue(limit, per_artist=config.queue.per_artist, window=config.queue.window)
    kept = [q for q in queue if _passes(q.score, min_standing)]
    backbone = active_backbone(store, config)
    names = tag_names if tag_names is not None else load_tag_names(backbone)
    tags = top_tags(store, backbone, [q.track.id for q in kept], names)
    now = time.time()
    return [_entry(store, i + 1, q, tags.get(q.track.id, ()), now) for i, q in enumerate(kept)]


def _entry(
    store: Store, rank: int, q: QueueEntry, tags: tuple[str, ...], now: float
) -> PlaylistEntry:
    return PlaylistEntry(
        rank=rank,
        track_id=q.track.id,
        artist=q.track.artist,
        title=q.track.title,
        url=q.track.url,
        duration=q.track.duration,
        standing=q.score,
        model_version=q.model_version,
        feed=q.feed,
        tags=tags,
        album=q.track.album,
        recording_mbid=store.track_ids_of(q.track.id).get("recording_mbid"),
        because=q.because.text(now) if q.because else None,
        reason=q.because,
    )


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename.

    The file gets the mode the user's umask gives (0644 under 022), not ``mkstemp``'s 0600,
    so a media server or the desktop user can read it. The folder must exist.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, readable_file_mode())  # players read it: not the state's umask
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def playlist_path(config: Config, playlist: PlaylistConfig) -> Path:
    """A ``[[playlists]]`` file: its ``path``, else ``<state dir>/playlists/<name>.<format>``."""
    if playlist.path:
        return Path(playlist.path).expanduser()
    return config.state_dir / "playlists" / f"{playlist.name}.{playlist.format}"


def write_playlist(
    store: Store,
    config: Config,
    out: Path | None,
    *,
    fmt: str,
    title: str,
    limit: int,
    min_standing: float | None,
    empty_ok: bool = True,
) -> list[PlaylistEntry]:
    """Write the top of the queue to ``out`` (atomically) or stdout (``out`` None).

    With no rows nothing is written (a previous file stays): with ``empty_ok`` a warning
    says why, else an :class:`ExportError` does (``tastebud export``). A folder that does
    not exist is an error, never created.
    """
    entries = playlist_entries(store, config, limit=limit, min_standing=min_standing)
    why_empty = _why_empty(store, min_standing) if not entries else _no_mbid(len(entries))
    if fmt == "jspf":
        entries = _importable(entries, title)
    if not entries:
        where = "stdout" if out is None else str(out)
        kept = "the previous file kept" if out is not None and out.exists() else "no file written"
        if not empty_ok:
            raise ExportError(f"nothing written to {where}: {why_empty}")
        logger.warning("playlist '%s': %s: %s", title, kept, why_empty)
        return entries
    text = format_playlist(fmt, entries, title=title, date=_now_iso())
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write_file(out, text, title)
    return entries


def _write_file(out: Path, text: str, title: str) -> None:
    if not out.parent.is_dir():
        raise ExportError(
            f"cannot write playlist '{title}' to {out}: the folder {out.parent} does not "
            f"exist: create it (mkdir -p {out.parent}) or choose another path"
        )
    try:
        write_atomic(out, text)
    except OSError as exc:
        raise ExportError(
            f"cannot write playlist '{title}' to {out}: {exc.strerror}: "
            "check its path in [[playlists]] or --out"
        ) from exc


def _no_mbid(n: int) -> str:
    return (
        f"none of the {n} tracks has a MusicBrainz recording id, which a JSPF playlist "
        "needs for ListenBrainz: export another format (m3u8, xspf, csv, json)"
    )


def _importable(entries: list[PlaylistEntry], title: str) -> list[PlaylistEntry]:
    kept, left_out = importable(entries)
    if left_out:
        logger.warning(
            "playlist '%s': left out %d of %d tracks without a MusicBrainz recording id "
            "(ListenBrainz rejects a JSPF playlist holding any)",
            title,
            left_out,
            len(entries),
        )
    return kept


def _why_empty(store: Store, min_standing: float | None) -> str:
    if store.queue(1):
        return f"no queued track stands at least min_standing {min_standing} among the candidates"
    return "the queue is empty (tastebud dashboard shows what it waits on)"


def _readable_folder(folder: Path) -> None:
    """``folder`` made if missing, 0755 whatever the state's umask: players read it."""
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)


def mark_first_export(
    store: Store, entries: Sequence[PlaylistEntry], playlist: str, *, counts_skips: bool = False
) -> None:
    """Record the entries as exported to ``playlist``; the store keeps each first export."""
    ids = [e.track_id for e in entries if e.track_id]
    store.mark_exported(ids, playlist, counts_skips=counts_skips)


def refresh_playlists(store: Store, config: Config) -> list[Path]:
    """Rewrite every ``[[playlists]]`` file; a failing one is logged, the rest still written."""
    written: list[Path] = []
    failures: list[str] = []
    for playlist in config.playlists:
        path = playlist_path(config, playlist)
        if not playlist.path:  # the default folder is tastebud's to make, readable by all
            _readable_folder(path.parent)
            let_readers_through(path.parent, config.state_dir)
        try:
            entries = write_playlist(
                store,
                config,
                path,
                fmt=playlist.format,
                title=playlist.name,
                limit=playlist.limit,
                min_standing=playlist.min_standing,
            )
        except ExportError as exc:
            logger.error("%s", exc)
            failures.append(playlist.name)
            continue
        if entries:
            mark_first_export(store, entries, playlist.name, counts_skips=playlist.counts_skips)
            logger.info("playlist %s: %d tracks written to %s", playlist.name, len(entries), path)
            written.append(path)
    if failures:
        raise ExportError(f"playlists not written: {', '.join(failures)} (see the log above)")
    return written
