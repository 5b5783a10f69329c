"""The ``tastebud`` command line.

The argument parser is ``parser``; each command group has its module, imported when the
command runs: ``service`` (``run``, ``once``), ``retry``, ``dashboard``, ``status``, ``queue``,
``feedback``, ``export``, ``importing`` (``import``), ``web``, ``doctor`` (its checks of the
config file and the paths it names in ``doctor_setup``, a finding in ``checks``) and ``config``
(``config check``). Every error tastebud raises on purpose becomes one line on stderr and
a non-zero exit code; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from daemon.cli.parser import build_parser
from daemon.config import Config, ConfigError, find_config, load_config
from daemon.filemodes import apply_state_umask, tighten, under_systemd
from daemon.redact import RedactingFilter, ShownStream, config_secrets, remember_secrets
from daemon.sources import config_schemas
from store import TastebudError

__all__ = ["build_parser", "main"]

logger = logging.getLogger(__name__)

EXIT_ERROR = 1
EXIT_USAGE = 2  # as argparse exits on an unknown option
EXIT_INTERRUPTED = 130
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for a writer killed by a closed pipe

Handler = Callable[[Config, argparse.Namespace], int]

# command -> (module, function), imported when run so that each command loads only what it
# needs; each handler takes (config, args) and returns an exit code.
_HANDLERS: dict[str, tuple[str, str]] = {
    "run": ("daemon.cli.service", "cmd_run"),
    "once": ("daemon.cli.service", "cmd_once"),
    "retry": ("daemon.cli.retry", "cmd_retry"),
    "dashboard": ("daemon.cli.dashboard", "cmd_dashboard"),
    "web": ("daemon.cli.web", "cmd_web"),
    "export": ("daemon.cli.export", "cmd_export"),
    "feedback": ("daemon.cli.feedback", "cmd_feedback"),
    "queue": ("daemon.cli.queue", "cmd_queue"),
    "import": ("daemon.cli.importing", "cmd_import"),
    "status": ("daemon.cli.status", "cmd_status"),
    "doctor": ("daemon.cli.doctor", "cmd_doctor"),
    "config": ("daemon.cli.config", "cmd_config"),
}


def _config_path(args: argparse.Namespace) -> Path:
    """``--config``, else ``$TASTEBUD_CONFIG``, else the first config file found
    (:func:`daemon.config.find_config`)."""
    return find_config(args.config).path


def _usage_problem(args: argparse.Namespace) -> str | None:
    """A command module's own check of its arguments (``usage_problem``), if it has one."""
    module = importlib.import_module(_HANDLERS[args.command][0])
    check: Callable[[argparse.Namespace], str | None] | None = getattr(
        module, "usage_problem", None
    )
    return check(args) if check is not None else None


def _handler(command: str) -> Handler:
    module_name, func = _HANDLERS[command]
    handler: Handler = getattr(importlib.import_module(module_name), func)
    return handler


def _log_level(level: str, verbose: bool, quiet: bool) -> int:
    if verbose:
        return logging.DEBUG
    if quiet:
        return logging.WARNING
    return int(getattr(logging, level.upper(), logging.INFO))


def setup_logging(level: str, verbose: bool = False, quiet: bool = False) -> None:
    """Log to stderr; journald adds timestamps itself when ``JOURNAL_STREAM`` is set.

    ``verbose`` logs debug messages, ``quiet`` only warnings and errors (for cron).
    """
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = "%(asctime)s " + fmt
    logging.basicConfig(
        level=_log_level(level, verbose, quiet),
        format=fmt,
        stream=sys.stderr,
        force=True,
    )
    # The scheduler warns at every skipped run of a job that is still busy: routine here.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())


def _private_state(config: Config) -> None:
    """The state's umask; outside systemd, state left more open by older versions tightened."""
    umask = apply_state_umask(config.storage.umask_bits)
    if not under_systemd():
        db = config.db_path
        wal, shm = (db.with_name(db.name + suffix) for suffix in ("-wal", "-shm"))
        # only the bits of others: the group may be the tastebud group of a systemd install;
        # the state directory keeps o+x, the way to the library and playlists inside it
        tighten([config.state_dir], umask & 0o006)
        tighten([db, wal, shm, config.checkpoint_dir], umask & 0o007)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tastebud`` console script."""
    args = build_parser().parse_args(argv)
    if problem := _usage_problem(args):
        print(f"tastebud {args.command}: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = load_config(_config_path(args), sources=config_schemas())
        remember_secrets(config_secrets(config))
        _private_state(config)
        setup_logging(config.daemon.log_level, args.verbose, args.quiet)
        with _shown_stdout(args.command):
            code = _handler(args.command)(config, args)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except ConfigError as exc:
        print(f"tastebud: config error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except TastebudError as exc:
        print(f"tastebud: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("tastebud: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _pipe_closed()


@contextlib.contextmanager
def _shown_stdout(command: str) -> Iterator[None]:
    """What a command prints passes :func:`daemon.redact.shown` (no secret, no control
    character from the data); the dashboard cleans its snapshot instead (its terminal
    styles are control sequences)."""
    if command == "dashboard":
        yield
        return
    plain = sys.stdout
    sys.stdout = ShownStream(plain)
    try:
        yield
    finally:
        sys.stdout = plain


def _pipe_closed() -> int:
    """The reader of stdout went away (``tastebud ... | head``): stop quietly.

    stdout is pointed at /dev/null so that the interpreter's final flush of what is
    still buffered does not fail again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_PIPE_CLOSED
