"""The library folder: the best ``[library] size`` queued tracks as tagged audio files.

Each refresh, after scoring: files whose track left the top of the queue (or was
disliked, dismissed, listened to or skipped) are deleted, a liked track's file moves
to ``keep/`` and stays, new top tracks are remuxed from the fetched audio (fetched
again when the cache no longer holds it) until ``[library] max_gb`` is reached, and
``tastebud.m3u8`` lists the files with paths relative to the folder. Only files in
the store's manifest are ever deleted or moved. When ``[library] dir`` changes, the
manifest's files move from the old folder to the new one (the old playlist is removed);
a file missing from the folder is written again. Files are 0644, folders 0755, so a
media server running as another user reads them.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from daemon.acquire import Fetcher
from daemon.config import Config
from daemon.filemodes import let_readers_through, under_systemd
from daemon.listening.errors import LibraryWriteError, PlayerError
from daemon.listening.filenames import library_relpath
from daemon.listening.remux import Tags, container_for, remux, write_tags
from daemon.playlists import PlaylistEntry, format_playlist, playlist_entries, write_atomic
from store import LibraryFile, Store, TastebudError

__all__ = ["KEEP", "PLAYLIST_FILE", "LibraryResult", "refresh_library"]

logger = logging.getLogger(__name__)

KEEP = "keep"
ROOT_CURSOR = "library:root"  # the folder the manifest's files are in
PLAYLIST_FILE = "tastebud.m3u8"
FILE_MODE = 0o644
DIR_MODE = 0o755


@dataclass
class LibraryResult:
    """What a refresh left in the folder: the top tracks' files in queue order."""

    root: Path
    files: list[tuple[PlaylistEntry, LibraryFile]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def refresh_library(store: Store, config: Config, fetcher: Fetcher) -> LibraryResult:
    """Bring the library folder in line with the top of the queue."""
    root = config.library_dir
    _writable(root)  # before anything: an unreachable folder must not empty the manifest
    result = LibraryResult(root, counts=dict.fromkeys(("added", "removed", "kept", "failed"), 0))
    skipped = {t for t, _, _ in store.skips()}
    top = [e for e in _top(store, config) if e.track_id not in skipped]
    manifest = {f.track_id: f for f in store.library_files()}
    result.counts["moved"] = _follow_root(store, root, manifest)
    result.counts["lost"] = _forget_missing(store, root, manifest)
    _keep_liked(store, root, manifest, result)
    wanted = {e.track_id for e in top}
    for f in list(manifest.values()):
        if not f.kept and f.track_id not in wanted:
            _delete(store, root, f)
            del manifest[f.track_id]
            result.counts["removed"] += 1
    problems: list[str] = []
    try:
        _fill(store, config, fetcher, top, manifest, result)
    except OSError as exc:  # a full disk: stop adding, keep what was written
        problems.append(f"cannot write into {root}: {exc.strerror}")
    try:
        _write_m3u8(root, result.files)
    except OSError as exc:
        problems.append(f"cannot write {root / PLAYLIST_FILE}: {exc.strerror}")
    let_readers_through(root, config.state_dir)  # the default folder: a media server reads it
    store.set_cursor(ROOT_CURSOR, str(root))
    _purge_cache(store, config, fetcher)  # frees space whatever happened above
    logger.info("library %s: %s", root, ", ".join(f"{k} {v}" for k, v in result.counts.items()))
    if problems:
        raise LibraryWriteError(
            f"library: {'; '.join(problems)}: free space there (or lower [library] max_gb); "
            "what was written stays and the next cycle tries again"
        )
    return result


def _writable(root: Path) -> None:
    """The library folder, made if missing, and writable: else one line saying why, and
    under systemd the unit setting that lets the service write there."""
    try:
        _mkdirs(root)
        writable = os.access(root, os.W_OK | os.X_OK)
        reason = "not writable by this user"
    except OSError as exc:
        writable, reason = False, f"cannot be made: {exc.strerror}"
    if writable:
        return
    hint = (
        f"; under systemd, allow the unit to write there: ReadWritePaths={root} in a drop-in "
        "(and ProtectHome=read-only for a folder under /home; README, 'Running under systemd')"
        if under_systemd()
        else "; fix its permissions or set [library] dir to a folder you may write"
    )
    raise PlayerError(f"library folder {root}: {reason}{hint}")


def _follow_root(store: Store, root: Path, manifest: dict[int, LibraryFile]) -> int:
    """After ``[library] dir`` changed: move tastebud's files (only those) and their folders
    from the old folder to the new one, and remove the old playlist; how many moved."""
    old = store.get_cursor(ROOT_CURSOR)
    if old is None or Path(old) == root:
        return 0
    old_root, moved = Path(old), 0
    for f in list(manifest.values()):
        source = old_root / f.path
        if not source.is_file():
            continue
        others = {k: v for k, v in manifest.items() if k != f.track_id}
        rel = _free_path(root, f.path, others)
        _move(source, root / rel)
        _prune_dirs(old_root, source.parent)
        store.put_library_file(f.track_id, rel, f.size, kept=f.kept)
        manifest[f.track_id] = replace(f, path=rel)
        moved += 1
    (old_root / PLAYLIST_FILE).unlink(missing_ok=True)
    _prune_dirs(old_root.parent, old_root)
    logger.info("library moved from %s to %s: %d files", old_root, root, moved)
    return moved


def _move(source: Path, target: Path) -> None:
    """Move a file, across filesystems too, keeping it readable by a media server."""
    _mkdirs(target.parent)
    try:
        os.replace(source, target)
    except OSError:  # another filesystem: copy, then remove the original
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
        source.unlink()
    os.chmod(target, FILE_MODE)


def _forget_missing(store: Store, root: Path, manifest: dict[int, LibraryFile]) -> int:
    """Files of the manifest that are not in the folder (deleted by hand, or left behind
    in an old folder) are forgotten, so the refresh writes them again."""
    lost = [f for f in manifest.values() if not (root / f.path).is_file()]
    for f in lost:
        store.drop_library_file(f.track_id)
        del manifest[f.track_id]
    return len(lost)


def _top(store: Store, config: Config) -> list[PlaylistEntry]:
    if config.library.size <= 0:
        return []
    return playlist_entries(store, config, limit=config.library.size)


def _fill(
    store: Store,
    config: Config,
    fetcher: Fetcher,
    top: list[PlaylistEntry],
    manifest: dict[int, LibraryFile],
    result: LibraryResult,
) -> None:
    """Write the files the top lacks, in rank order, while the folder is under max_gb."""
    budget = config.library.max_gb * 2**30
    total = sum(f.size for f in manifest.values())
    for entry in top:
        assert entry.track_id is not None
        file = manifest.get(entry.track_id)
        if file is None and total < budget:
            file = _add(store, result.root, fetcher, entry, manifest)
            result.counts["added" if file else "failed"] += 1
            total += file.size if file else 0
        if file is not None:
            manifest[entry.track_id] = file
            result.files.append((entry, file))


def _add(
    store: Store,
    root: Path,
    fetcher: Fetcher,
    entry: PlaylistEntry,
    manifest: dict[int, LibraryFile],
) -> LibraryFile | None:
    assert entry.track_id is not None
    track = store.get_track(entry.track_id)
    if track is None:
        return None
    try:
        source = fetcher.fetch(track)
        muxer, ext = container_for(source)
        rel = _free_path(root, library_relpath(track.artist, track.title, ext, track.id), manifest)
        size = _write_file(source, root / rel, muxer, _tags(entry, track.url or ""))
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise  # the folder itself cannot take more: stop filling
        logger.warning("library: %s not written: %s", entry.display, exc)
        return None
    except TastebudError as exc:
        logger.warning("library: %s not written: %s", entry.display, exc)
        return None
    store.put_library_file(track.id, rel, size, kept=False)
    return LibraryFile(track.id, rel, size, False, 0.0)


def _tags(entry: PlaylistEntry, url: str) -> Tags:
    reason = f"from {entry.feed}" if entry.feed else "from the queue"
    if entry.tags:
        reason += f"; sounds {', '.join(entry.tags)}"
    standing = f"{entry.standing:.3f}" if entry.standing is not None else "unranked"
    return Tags(
        artist=entry.artist or "Unknown",
        title=entry.title or entry.display,
        source_url=url,
        comment=f"tastebud standing {standing}, rank {entry.rank} ({reason})",
        recording_mbid=entry.recording_mbid,
    )


def _free_path(root: Path, rel: str, manifest: dict[int, LibraryFile]) -> str:
    """``rel``, or ``rel`` with a number when another track or a foreign file holds it."""
    taken = {f.path for f in manifest.values()}
    stem, dot, ext = rel.rpartition(".")
    candidate, n = rel, 1
    while candidate in taken or (root / candidate).exists():
        n += 1
        candidate = f"{stem} ({n}){dot}{ext}"
    return candidate


def _write_file(source: Path, target: Path, muxer: str, tags: Tags) -> int:
    """Remux (or copy) ``source`` to ``target`` via a temporary file, tag it; its size."""
    _mkdirs(target.parent)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        if source.suffix == target.suffix and muxer != "ipod":
            shutil.copyfile(source, tmp)
        else:
            remux(source, tmp, muxer)
        write_tags(tmp, tags)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target.stat().st_size


def _mkdirs(folder: Path) -> None:
    if not folder.is_dir():
        _mkdirs(folder.parent)
        folder.mkdir(mode=DIR_MODE)
        os.chmod(folder, DIR_MODE)


def _keep_liked(
    store: Store, root: Path, manifest: dict[int, LibraryFile], result: LibraryResult
) -> None:
    liked = {e.track_id for e in store.feedback() if e.kind == "like"}
    for f in list(manifest.values()):
        if f.kept or f.track_id not in liked or not (root / f.path).is_file():
            continue
        rel = _free_path(root, f"{KEEP}/{f.path}", manifest)
        _mkdirs((root / rel).parent)
        os.replace(root / f.path, root / rel)
        _prune_dirs(root, (root / f.path).parent)
        store.put_library_file(f.track_id, rel, f.size, kept=True)
        manifest[f.track_id] = replace(f, path=rel, kept=True)
        result.counts["kept"] += 1


def _delete(store: Store, root: Path, f: LibraryFile) -> None:
    """Delete a file of the manifest (only those), and its folder once empty."""
    path = root / f.path
    path.unlink(missing_ok=True)
    _prune_dirs(root, path.parent)
    store.drop_library_file(f.track_id)


def _prune_dirs(root: Path, folder: Path) -> None:
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()  # only an empty folder goes
        except OSError:
            return
        folder = folder.parent


def _write_m3u8(root: Path, files: list[tuple[PlaylistEntry, LibraryFile]]) -> None:
    entries = [replace(e, url=f.path) for e, f in files]
    _mkdirs(root)
    path = root / PLAYLIST_FILE
    write_atomic(path, format_playlist("m3u8", entries, title="tastebud", date=""))
    os.chmod(path, FILE_MODE)


def _purge_cache(store: Store, config: Config, fetcher: Fetcher) -> None:
    """Delete fetched audio of embedded tracks: the library holds what is still needed."""
    if config.fetch.keep_audio or not fetcher.audio_dir.is_dir():
        return
    for path in fetcher.audio_dir.iterdir():
        if not path.is_file() or not path.stem.isdigit():
            continue
        track = store.get_track(int(path.stem))
        if track is None or track.state == "ready":
            path.unlink(missing_ok=True)
