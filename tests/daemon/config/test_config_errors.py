"""Every way a config file can fail to load is one line naming the file and the fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import ConfigError, parse_config
from daemon.sources import config_schemas


def _check(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--config", str(path), "config", "check"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert "Traceback" not in err
    assert str(path) in err
    return err


BAD_FILES = {
    "not utf-8": (b"[fetch]\nformat = '\xff\xfe'\n", "save the file as UTF-8"),
    "toml syntax": (b"[fetch\n", "not valid TOML"),
    "wrong type": (b'[fetch]\nbatch_size = "ten"\n', "must be an integer"),
    "unknown key": (b"[fetch]\nbatchsize = 3\n", "did you mean 'batch_size'"),
    "out of range": (b"[fetch]\nsocket_timeout_s = 0\n", "greater than 0"),
    # once a traceback on TERM: the daemon waited that long for its jobs
    "huge shutdown timeout": (
        b"[schedule]\nshutdown_timeout_s = 1e300\n",
        "schedule.shutdown_timeout_s = 1e+300 is out of range: "
        "it must be greater than 0 and at most 3600",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=BAD_FILES.keys())
def test_bad_file_is_one_line_naming_it(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, expected = BAD_FILES[case]
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    assert expected in _check(path, capsys)


def test_a_directory_is_not_a_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "is a directory" in _check(tmp_path, capsys)


def test_a_path_through_a_file_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    assert "cannot read config file" in _check(tmp_path / "file" / "config.toml", capsys)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file whatever its mode")
def test_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    path.chmod(0)
    assert "permission denied" in _check(path, capsys)


def test_an_unreadable_credential_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "listenbrainz_token").write_bytes(b"\xff\xfe")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    with pytest.raises(ConfigError, match="listenbrainz_token: cannot read credential"):
        parse_config('[[history]]\ntype = "listenbrainz"\nuser = "u"\n', sources=config_schemas())


OUT_OF_RANGE = {
    "[model]\nlearning_rate = -0.001": "model.learning_rate = -0.001 is out of range: it must be "
    "greater than 0",
    "[model]\nlearning_rate = nan": "model.learning_rate must be a finite number, not nan",
    "[fetch]\nsocket_timeout_s = inf": "fetch.socket_timeout_s must be a finite number, not inf",
    "[fetch]\nsocket_timeout_s = 0": "fetch.socket_timeout_s = 0.0 is out of range: it must be "
    "greater than 0",
    "[fetch]\nmin_match_confidence = 1.5": "at least 0 and at most 1",
    "[model]\nholdout_fraction = 0.0": "greater than 0 and at most 0.5",
    "[queue]\nper_artist = 0": "queue.per_artist = 0 is out of range: it must be greater than 0",
    "[schedule]\nhistory_minutes = -inf": "must be a finite number, not -inf",
    '[[history]]\ntype = "listenbrainz"\nuser = "u"\npage_size = 0': "history[0].page_size",
    "[library]\nsize = -1": "library.size = -1 is out of range: it must be at least 0",
    "[mpd]\nport = 70000": "mpd.port = 70000 is out of range: it must be at least 1 and at most",
    "[daemon]\nnice = 20": "daemon.nice = 20 is out of range: it must be at least 0 and at most 19 "
    "(0 is normal priority, 19 the lowest)",
}


@pytest.mark.parametrize("text", OUT_OF_RANGE, ids=range(len(OUT_OF_RANGE)))
def test_numbers_out_of_range_name_the_valid_range(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text + "\n", "my.toml", sources=config_schemas())
    assert str(err.value).startswith("my.toml: ")
    assert OUT_OF_RANGE[text] in str(err.value)


def test_the_edges_of_a_range_are_accepted() -> None:
    config = parse_config("[fetch]\nmin_match_confidence = 1\nhost_delay_s = 0\n")
    assert config.fetch.min_match_confidence == 1.0
    assert config.fetch.host_delay_s == 0.0


NOT_ONE_OF = {
    '[daemon]\nlog_level = "verbose"': "daemon.log_level = 'VERBOSE' must be one of DEBUG, INFO, "
    "WARNING, ERROR",
    '[daemon]\nlog_level = "warn"': "did you mean 'WARNING'?",
    '[[playlists]]\nname = "top"\nformat = "m3u"': "playlists[0].format = 'm3u' must be one of "
    "m3u8, xspf, csv, json, jspf; did you mean 'm3u8'?",
}


@pytest.mark.parametrize("text", NOT_ONE_OF, ids=range(len(NOT_ONE_OF)))
def test_a_value_outside_its_choices_names_them(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text + "\n", "my.toml")
    assert str(err.value).startswith("my.toml: ")
    assert NOT_ONE_OF[text] in str(err.value)


def test_choices_ignore_case_where_declared() -> None:
    assert parse_config('[daemon]\nlog_level = "debug"\n').daemon.log_level == "debug"
