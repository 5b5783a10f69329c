"""The CLI: help for every command, one-line errors, config check, doctor."""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.cli import build_parser, doctor, main
from tests.cli_helpers import ROOT, config_file, subcommands


def test_every_command_has_help_text() -> None:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in action._choices_actions}
    expected = {
        "run",
        "once",
        "retry",
        "dashboard",
        "web",
        "export",
        "feedback",
        "queue",
        "import",
        "status",
        "doctor",
        "config",
    }
    assert set(helps) == expected
    for name, text in helps.items():
        assert text, name
        assert len(text) > 10, name
    for name, sub in subcommands().items():
        for act in sub._actions:
            if act.dest != "help":
                assert act.help, f"{name} {act.dest} lacks help"


def test_config_check_prints_redacted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(
        tmp_path, '[[history]]\ntype = "listenbrainz"\nuser = "u"\ntoken = "s3cret"\n'
    )
    assert main(["--config", str(path), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "valid" in out
    assert "s3cret" not in out
    assert 'token = "***"' in out


def test_bad_config_is_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(tmp_path, "[fetch]\nbatchsize = 3\n")
    assert main(["--config", str(path), "status"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "did you mean 'batch_size'" in err


def test_status_without_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_file(tmp_path)), "status"]) == 0
    assert "tastebud once" in capsys.readouterr().out


def test_console_script_runs_default_config() -> None:
    exe = Path(sys.executable).with_name("tastebud")
    for args in (["--help"], ["config", "check"]):
        done = subprocess.run(
            [str(exe), *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr


def test_doctor_reports_each_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(
        tmp_path,
        '[[history]]\ntype = "listenbrainz"\nuser = "u"\n'
        '[[feeds]]\ntype = "url"\nurl = "http://127.0.0.1/feed.rss"\n',
    )
    code = main(["--config", str(path), "doctor"])
    out = capsys.readouterr().out
    for name in ("config", "sources", "database", "weights", "yt-dlp", "deno", "disk"):
        assert f"] {name}:" in out
    assert "not created yet" in out
    assert code in (0, 1)


def test_doctor_flags_stale_ytdlp() -> None:
    released = doctor.ytdlp_release_date()
    assert doctor.check_ytdlp(today=released + dt.timedelta(days=5)).ok
    stale = doctor.check_ytdlp(today=released + dt.timedelta(days=45))
    assert not stale.ok
    assert "pip install -U yt-dlp" in stale.fix


def test_doctor_flags_corrupt_database(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    (state / "tastebud.db").write_bytes(b"this is not a database" * 100)
    from daemon.config import load_config
    from daemon.sources import config_schemas

    check = doctor.check_database(load_config(path, sources=config_schemas()))
    assert not check.ok
    assert "tastebud.db" in check.detail
