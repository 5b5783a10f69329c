"""``tastebud doctor``'s checks of what the config points at: the config file (and every
place it was looked for), and each path tastebud will look for, with where it looked."""

from __future__ import annotations

from daemon.cli.checks import Check
from daemon.config import Config, ConfigSearch

__all__ = ["check_config_file"]


def check_config_file(config: Config, search: ConfigSearch) -> list[Check]:
    """The config file read, where it was looked for, and a warning when another one found
    there is not read (``./config.toml`` comes before ``~/.config/tastebud/config.toml``)."""
    looked = "; ".join(search.lines())
    checks = [Check("config", True, f"{config.path} is valid (looked at: {looked})")]
    shadowed = [path for path, exists in search.looked if exists and path != search.path]
    if shadowed:
        names = ", ".join(str(p) for p in shadowed)
        checks.append(
            Check(
                "config",
                False,
                f"{names} is not read: {search.path} comes first",
                f"remove or rename the one you do not use, or pass --config {shadowed[0]}",
                warning=True,
            )
        )
    return checks
