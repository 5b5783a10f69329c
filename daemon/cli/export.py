"""``tastebud export``: write the queue as a playlist to a file or stdout."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from daemon.config import Config
from daemon.feedback import current_queue
from daemon.playlists import mark_first_export, write_playlist
from store import Store, StoreError

__all__ = ["cmd_export", "open_existing_store"]

logger = logging.getLogger(__name__)


def open_existing_store(config: Config, *, readonly: bool = False) -> Store:
    """Open the database, which must exist already."""
    if not config.db_path.exists():
        raise StoreError(
            f"no database at {config.db_path} yet: start the daemon (tastebud run) "
            "or run one cycle (tastebud once) first"
        )
    return Store.open(config.db_path, readonly=readonly)


def _resolve(store: Store, config: Config, limit: int) -> None:
    """JSPF needs recording MBIDs: look up those the top of the queue lacks (cached), at
    the ListenBrainz the config names."""
    from daemon.sources import lookup_base, resolve_mbids

    ids = [e.track.id for e in current_queue(store, config, limit)]
    if lookup_base(config) is None:
        if store.without_mbid(ids):
            print(
                "recording ids are not looked up: no ListenBrainz source in the config "
                '(add a [[history]] type = "listenbrainz" table to look them up)',
                file=sys.stderr,
            )
        return
    counts = resolve_mbids(store, config, ids)
    if any(counts.values()):
        failed = " (the lookup failed: see the log)" if counts["failed"] else ""
        print(
            f"recording ids looked up at ListenBrainz: {counts['found']} found, "
            f"{counts['missing']} unknown{failed}",
            file=sys.stderr,
        )


def cmd_export(config: Config, args: argparse.Namespace) -> int:
    """``tastebud export``: write the queue as a playlist to a file or stdout; nothing to
    write (an empty queue, a JSPF without MBIDs) is an error, as is a missing folder."""
    to_stdout = args.out == "-"
    out = None if to_stdout else Path(args.out).expanduser()
    name = args.name or ("" if out is None else out.stem)
    with open_existing_store(config) as store:
        if args.format == "jspf":
            _resolve(store, config, args.limit)
        entries = write_playlist(
            store,
            config,
            out,
            fmt=args.format,
            title=name or "tastebud",
            limit=args.limit,
            min_standing=args.min_standing,
            empty_ok=False,
        )
        if name:
            mark_first_export(store, entries, name)
    if out is not None:
        print(f"{len(entries)} tracks written to {out}", file=sys.stderr)
    return 0
