"""The ``tastebud`` argument parser: every command, with its help text and an example."""

from __future__ import annotations

import argparse
from importlib import metadata
from pathlib import Path
from typing import TypeAlias

from daemon.config import EXPORT_FORMATS, config_candidates

__all__ = ["build_parser", "positive_int", "version"]

SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def version() -> str:
    """The installed tastebud version."""
    try:
        return metadata.version("tastebud")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive: give 1 or more")
    return value


def _global_options(parser: argparse.ArgumentParser, *, in_command: bool) -> None:
    """``--config``, ``-v``, ``-q``: before the command, or after it (without overriding)."""
    config_default: object = argparse.SUPPRESS if in_command else None
    flag_default: object = argparse.SUPPRESS if in_command else False
    parser.add_argument(
        "--config",
        type=Path,
        default=config_default,
        help="config file (default: $TASTEBUD_CONFIG, else the first of "
        + ", ".join(str(p) for p in config_candidates())
        + ")",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=flag_default, help="log debug messages"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=flag_default,
        help="log only warnings and errors",
    )


def _command(sub: SubParsers, name: str, summary: str, example: str) -> argparse.ArgumentParser:
    """A subcommand with a one-line summary (in ``tastebud --help``), a description, an example."""
    cmd = sub.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog="example:\n" + "\n".join(f"  {line}" for line in example.splitlines()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _global_options(cmd, in_command=True)
    return cmd


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; every command has help text and an example."""
    parser = argparse.ArgumentParser(
        prog="tastebud",
        description="Learns your taste from what you listen to and keeps a ranked queue "
        "of new tracks you are likely to love.",
        epilog="exit codes: 0 ok; 1 an error, a failed job or source, or a failed check; "
        "2 bad usage; 130 interrupted; 141 output pipe closed",
    )
    parser.add_argument("--version", action="version", version=f"tastebud {version()}")
    _global_options(parser, in_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_run(sub)
    _add_dashboard(sub)
    _add_web(sub)
    _add_export(sub)
    _add_feedback(sub)
    _add_queue(sub)
    _add_import(sub)
    _add_status(sub)
    cfg = _command(sub, "config", "validate and show the configuration", "tastebud config check")
    cfg.add_argument(
        "action", choices=["check"], help="check: validate and print the effective config"
    )
    return parser


def _json_flag(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--json", action="store_true", help="print JSON instead")


def _add_status(sub: SubParsers) -> None:
    status = _command(
        sub,
        "status",
        "show the queue, model and pipeline in a few lines",
        "tastebud status\ntastebud status --json | jq .queue",
    )
    _json_flag(status)
    doctor = _command(
        sub,
        "doctor",
        "check config, database, sources, weights, yt-dlp and disk space; exit 1 on a failure",
        "tastebud doctor\ntastebud doctor --json",
    )
    _json_flag(doctor)


def _add_run(sub: SubParsers) -> None:
    _command(
        sub,
        "run",
        "run the daemon: poll, fetch, train, score and export on a schedule",
        "tastebud --config /etc/tastebud/config.toml run",
    )
    once = _command(
        sub,
        "once",
        "run one full cycle (poll, fetch all, train, score, export) and exit; "
        "exit 1 when a source or a job failed or tracks wait to be fetched again",
        "tastebud once -q   # for cron: only warnings and the summary\n"
        "tastebud once --now   # retry what waits after failing, at once",
    )
    once.add_argument(
        "--now",
        action="store_true",
        help="first end every wait (tracks waiting for a retry, sources backing off)",
    )
    _command(
        sub,
        "retry",
        "end the waits after failures: tracks waiting for a retry and sources backing off "
        "are tried at the next run",
        "tastebud retry   # a running daemon polls and fetches at once\ntastebud retry -q",
    )


def _add_dashboard(sub: SubParsers) -> None:
    dash = _command(
        sub,
        "dashboard",
        "interactive terminal view of the queue, model and pipeline (keys: ?)",
        "tastebud dashboard\ntastebud dashboard --once | less -R",
    )
    dash.add_argument("--once", action="store_true", help="print a single frame and exit")
    dash.add_argument("--refresh", type=float, default=3.0, help="seconds between refreshes")
    dash.add_argument(
        "--rows", type=positive_int, default=500, help="queue rows to load (default 500)"
    )


def _add_web(sub: SubParsers) -> None:
    web = _command(
        sub,
        "web",
        "serve the web page and the HTTP API (the queue, feedback, health) until Ctrl-C",
        "tastebud web   # http://127.0.0.1:8398/\n"
        "tastebud web --listen 0.0.0.0:8398   # needs [web] token (or TASTEBUD_WEB_TOKEN)",
    )
    web.add_argument(
        "--listen",
        default=None,
        metavar="HOST:PORT",
        help="address to serve on (default: [web] listen, 127.0.0.1:8398); beyond loopback "
        "it needs [web] token",
    )


def _add_export(sub: SubParsers) -> None:
    exp = _command(
        sub,
        "export",
        "write the queue as a playlist (m3u8, xspf, csv, json, jspf)",
        "tastebud export --format xspf --limit 50 --out ~/Music/tastebud.xspf\n"
        "tastebud export --format json --out -",
    )
    exp.add_argument(
        "--format",
        default="m3u8",
        choices=list(EXPORT_FORMATS),
        help="playlist format (default m3u8)",
    )
    exp.add_argument("--limit", type=positive_int, default=50, help="number of tracks (default 50)")
    exp.add_argument(
        "--min-standing",
        "--min-score",  # its old name
        dest="min_standing",
        type=float,
        default=None,
        help="leave out tracks standing lower among the candidates (0-1, 1 the best)",
    )
    exp.add_argument("--out", default="-", help="output file, written atomically; - for stdout")
    exp.add_argument("--name", default=None, help="playlist name recorded as exported to")


def _add_feedback(sub: SubParsers) -> None:
    fb = _command(
        sub,
        "feedback",
        "like, dislike or dismiss tracks; block and unblock artists; undo; list",
        "tastebud feedback like '#1' '#4'\n"
        "tastebud feedback dislike 57\n"
        "tastebud feedback undo\n"
        'tastebud feedback dislike --artist "Some Band"\n'
        'tastebud feedback unblock "Some Band"',
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
    fb.add_argument(
        "--limit", type=positive_int, default=20, help="with list: how many (default 20)"
    )


def _add_queue(sub: SubParsers) -> None:
    q = _command(
        sub,
        "queue",
        "list the queue: rank, id, standing, artist, title and why",
        "tastebud queue --limit 10\ntastebud queue --json | jq '.[0]'",
    )
    q.add_argument("--limit", type=positive_int, default=20, help="number of tracks (default 20)")
    _json_flag(q)


def _add_import(sub: SubParsers) -> None:
    imp = _command(
        sub,
        "import",
        "import a Google Takeout or ListenBrainz export (file, zip or folder) once",
        "tastebud import ~/Downloads/takeout-20250101T000000Z-001.zip\n"
        "tastebud import ~/Downloads/listenbrainz_alice_1700000000.zip",
    )
    imp.add_argument(
        "file",
        type=Path,
        help="a Takeout zip or folder, watch-history.json, a ListenBrainz export zip or .jsonl",
    )
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
