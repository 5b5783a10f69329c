"""``tastebud config check``: validate and show the configuration."""

from __future__ import annotations

import argparse

from daemon.config import Config, dump_config

__all__ = ["cmd_config"]


def cmd_config(config: Config, args: argparse.Namespace) -> int:
    """``tastebud config check``: the config is valid if it loaded; print it redacted."""
    print(f"# {config.path}: valid")
    print(f"# state dir: {config.state_dir}")
    print(dump_config(config, redact=True))
    return 0
