"""Every number in the config has a range, and the file a size cap: what once crashed the
daemon (``history_minutes = 1e300``, ``patches = 10**8``...) is refused at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import ConfigError, load_config, parse_config
from daemon.sources import config_schemas


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        (
            "[schedule]\nhistory_minutes = 1e300",
            "schedule.history_minutes = 1e+300 is out of range",
        ),
        (
            "[schedule]\nshutdown_timeout_s = 1e300",
            "schedule.shutdown_timeout_s = 1e+300 is out of range: "
            "it must be greater than 0 and at most 3600",
        ),
        ("[fetch]\nsocket_timeout_s = 1e308", "fetch.socket_timeout_s"),
        ("[model]\npatches = 100000000", "model.patches = 100000000 is out of range"),
        ("[fetch]\nmax_answer_mb = 1e12", "fetch.max_answer_mb"),
        ("[queue]\nwindow = 10000000000", "at most 1e+09"),
        ("[library]\nmax_gb = 1e20", "library.max_gb"),
    ],
)
def test_a_number_past_its_range_is_refused(toml: str, words: str) -> None:
    with pytest.raises(ConfigError, match="out of range") as caught:
        parse_config(toml, "c.toml", sources=config_schemas())
    assert words in str(caught.value)


def test_sane_large_values_still_load() -> None:
    config = parse_config(
        "[schedule]\nhistory_minutes = 10080\n[fetch]\nsocket_timeout_s = 600",
        sources=config_schemas(),
    )
    assert config.schedule.history_minutes == 10080


def test_dev_zero_is_refused_without_reading_it_all() -> None:
    with pytest.raises(ConfigError, match="larger than 1 MB"):
        load_config(Path("/dev/zero"))


def test_a_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"# " + b"x" * (2 << 20) + b"\n")
    with pytest.raises(ConfigError, match="not a config file"):
        load_config(path)
