"""``tastebud import FILE [--type ...] [--include-youtube]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from daemon.config import Config
from daemon.sources.importing import detect_type, format_summary, import_file
from store import SourceUnavailableError, Store

__all__ = ["cmd_import"]


def cmd_import(config: Config, args: argparse.Namespace) -> int:
    """Import one Takeout or ListenBrainz export file and print what it stored."""
    path = Path(args.file).expanduser()
    if not path.is_file():
        raise SourceUnavailableError(f"{path}: no such file: check the path to the export")
    kind = args.type or detect_type(path)
    with Store.open(config.db_path) as store:
        summary = import_file(store, path, kind, include_youtube=bool(args.include_youtube))
    print(format_summary(summary, path, kind))
    return 0
