"""``tastebud import FILE [--type ...] [--include-youtube]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from daemon.config import Config
from daemon.net import SourceUnavailableError
from daemon.sources import format_summary, import_file, located
from store import Store

__all__ = ["cmd_import"]


def cmd_import(config: Config, args: argparse.Namespace) -> int:
    """Import one Takeout or ListenBrainz export (file, zip or folder); print what it stored."""
    path = Path(args.file).expanduser()
    if not path.exists():
        raise SourceUnavailableError(f"{path}: no such file or folder: check the path")
    with located(path, args.type) as (kind, file), Store.open(config.db_path) as store:
        summary = import_file(store, file, kind, include_youtube=bool(args.include_youtube))
    print(format_summary(summary, path, kind))
    return 0
