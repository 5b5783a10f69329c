"""The ``tastebud`` argument parser: every command, with its help text."""

from __future__ import annotations

import argparse
from pathlib import Path

from daemon.config import DEFAULT_CONFIG_PATH, EXPORT_FORMATS

__all__ = ["build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; every command has help text."""
    parser = argparse.ArgumentParser(
        prog="tastebud",
        description="Learns your taste from what you listen to and keeps a ranked queue "
        "of new tracks you are likely to love.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help=f"config file (default: $TASTEBUD_CONFIG, else ./{DEFAULT_CONFIG_PATH})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_run(sub)
    _add_dashboard(sub)
    _add_export(sub)
    _add_feedback(sub)
    _add_queue(sub)
    _add_import(sub)
    sub.add_parser("status", help="show the queue, model and pipeline in a few lines")
    sub.add_parser("doctor", help="check config, database, weights, yt-dlp and disk space")
    cfg = sub.add_parser("config", help="validate and show the configuration")
    cfg.add_argument(
        "action", choices=["check"], help="check: validate and print the effective config"
    )
    return parser


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("run", help="run the daemon: poll, fetch, train, score and export on a schedule")
    sub.add_parser(
        "once", help="run one full cycle (poll, fetch all, train, score, export) and exit"
    )


def _add_dashboard(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dash = sub.add_parser(
        "dashboard",
        help="interactive terminal view of the queue, model and pipeline (keys: ?)",
        description="htop-style: arrows select a track; l like, d dislike, x dismiss, "
        "b block the artist, u undo, p play, / filter, ? help, q quit.",
        epilog="examples: tastebud dashboard; tastebud dashboard --once | less -R",
    )
    dash.add_argument("--once", action="store_true", help="print a single frame and exit")
    dash.add_argument("--refresh", type=float, default=3.0, help="seconds between refreshes")
    dash.add_argument(
        "--rows",
        type=int,
        default=500,
        help="queue rows to load (default 500)",
    )


def _add_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exp = sub.add_parser(
        "export", help="write the queue as a playlist (m3u8, xspf, csv, json, jspf)"
    )
    exp.add_argument(
        "--format",
        default="m3u8",
        choices=list(EXPORT_FORMATS),
        help="playlist format (default m3u8)",
    )
    exp.add_argument("--limit", type=int, default=50, help="number of tracks (default 50)")
    exp.add_argument("--min-score", type=float, default=None, help="leave out lower scores")
    exp.add_argument("--out", default="-", help="output file, written atomically; - for stdout")
    exp.add_argument("--name", default=None, help="playlist name recorded as exported to")


def _add_feedback(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fb = sub.add_parser(
        "feedback",
        help="like, dislike or dismiss tracks; block and unblock artists; undo; list",
        description="Teach the model. TRACK is #RANK (from `tastebud queue` or the dashboard), "
        'a track id, a URL or "Artist - Title".',
        epilog="examples: tastebud feedback like '#1' '#4'; tastebud feedback dislike 57; "
        "tastebud feedback undo; tastebud feedback unblock 'Some Band'",
    )
    fb.add_argument(
        "kind",
        choices=["like", "dislike", "dismiss", "undo", "list", "unblock"],
        help="what to record; undo takes back the newest; list shows the newest; "
        "unblock ARTIST lifts a block",
    )
    fb.add_argument(
        "tracks",
        nargs="*",
        metavar="TRACK",
        help='#RANK, a track id, a URL, or "Artist - Title" (for unblock: an artist)',
    )
    fb.add_argument(
        "--artist",
        action="append",
        default=[],
        help="with dislike: block this artist from the queue (repeatable)",
    )
    fb.add_argument("--limit", type=int, default=20, help="with list: how many (default 20)")


def _add_queue(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    q = sub.add_parser(
        "queue",
        help="list the queue: rank, id, score, artist, title and why",
        description="The ranked queue with the handles `tastebud feedback` takes: "
        "#RANK and the track id.",
        epilog="example: tastebud queue --limit 10; tastebud queue --json | jq '.[0]'",
    )
    q.add_argument("--limit", type=int, default=20, help="number of tracks (default 20)")
    q.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _add_import(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser("import", help="import a Google Takeout or ListenBrainz export file once")
    imp.add_argument("file", type=Path, help="watch-history.json, a .jsonl/.json export, or a .zip")
    imp.add_argument(
        "--type",
        choices=["takeout", "listenbrainz-export"],
        default=None,
        help="file type (default: guessed from the content)",
    )
    imp.add_argument(
        "--include-youtube",
        action="store_true",
        help="takeout: also import plain YouTube entries, not only YouTube Music",
    )
