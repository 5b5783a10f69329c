"""The ``tastebud`` command line.

Every error tastebud raises on purpose becomes one line on stderr and a
non-zero exit code; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from daemon.config import DEFAULT_CONFIG_PATH, Config, dump_config, load_config
from store.errors import ConfigError, NotBuiltError, TastebudError

__all__ = ["build_parser", "main"]

logger = logging.getLogger(__name__)

EXIT_ERROR = 1
EXIT_NOT_BUILT = 2

Handler = Callable[[Config, argparse.Namespace], int]

# command -> (module, function); each handler takes (config, args) and returns an exit code.
_HANDLERS: dict[str, tuple[str, str]] = {
    "run": ("daemon.service", "cmd_run"),
    "once": ("daemon.service", "cmd_once"),
    "dashboard": ("daemon.dashboard", "cmd_dashboard"),
    "export": ("daemon.exporting", "cmd_export"),
    "feedback": ("daemon.feedback", "cmd_feedback"),
    "import": ("daemon.sources.importer", "cmd_import"),
    "status": ("daemon.status", "cmd_status"),
    "doctor": ("daemon.doctor", "cmd_doctor"),
    "config": ("daemon.cli", "cmd_config"),
}


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
    dash = sub.add_parser("dashboard", help="live terminal view of the queue, model and pipeline")
    dash.add_argument("--once", action="store_true", help="print a single frame and exit")
    dash.add_argument("--refresh", type=float, default=3.0, help="seconds between refreshes")
    dash.add_argument("--rows", type=int, default=15, help="queue rows to show")


def _add_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exp = sub.add_parser(
        "export", help="write the queue as a playlist (m3u8, xspf, csv, json, jspf)"
    )
    exp.add_argument(
        "--format",
        default="m3u8",
        choices=["m3u8", "xspf", "csv", "json", "jspf"],
        help="playlist format (default m3u8)",
    )
    exp.add_argument("--limit", type=int, default=50, help="number of tracks (default 50)")
    exp.add_argument("--min-score", type=float, default=None, help="leave out lower scores")
    exp.add_argument("--out", default="-", help="output file, written atomically; - for stdout")
    exp.add_argument("--name", default=None, help="playlist name recorded as exported to")


def _add_feedback(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fb = sub.add_parser("feedback", help="like, dislike or dismiss tracks; block artists")
    fb.add_argument("kind", choices=["like", "dislike", "dismiss"], help="what to record")
    fb.add_argument(
        "tracks", nargs="*", metavar="TRACK", help='a track id, a URL, or "Artist - Title"'
    )
    fb.add_argument(
        "--artist",
        action="append",
        default=[],
        help="with dislike: block this artist from the queue (repeatable)",
    )


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


def cmd_config(config: Config, args: argparse.Namespace) -> int:
    """``tastebud config check``: the config is valid if it loaded; print it redacted."""
    print(f"# {config.path}: valid")
    print(f"# state dir: {config.state_dir}")
    print(dump_config(config, redact=True))
    return 0


def _config_path(args: argparse.Namespace) -> Path:
    if args.config is not None:
        return Path(args.config)
    if env := os.environ.get("TASTEBUD_CONFIG"):
        return Path(env)
    return DEFAULT_CONFIG_PATH


def _handler(command: str) -> Handler:
    module_name, func = _HANDLERS[command]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(module_name.split(".")[0]):
            raise NotBuiltError(f"'tastebud {command}' is not built yet") from None
        raise
    handler: Handler = getattr(module, func)
    return handler


def setup_logging(level: str, verbose: bool = False) -> None:
    """Log to stderr; journald adds timestamps itself when ``JOURNAL_STREAM`` is set."""
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = "%(asctime)s " + fmt
    logging.basicConfig(
        level=logging.DEBUG if verbose else getattr(logging, level.upper(), logging.INFO),
        format=fmt,
        stream=sys.stderr,
        force=True,
    )
    # The scheduler warns at every skipped run of a job that is still busy: routine here.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tastebud`` console script."""
    args = build_parser().parse_args(argv)
    try:
        config = load_config(_config_path(args))
        setup_logging(config.daemon.log_level, args.verbose)
        return _handler(args.command)(config, args)
    except NotBuiltError as exc:
        print(f"tastebud: {exc}", file=sys.stderr)
        return EXIT_NOT_BUILT
    except ConfigError as exc:
        print(f"tastebud: config error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except TastebudError as exc:
        print(f"tastebud: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("tastebud: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
