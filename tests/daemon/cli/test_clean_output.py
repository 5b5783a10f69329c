"""Nothing hostile reaches the terminal or a player: control characters from metadata are
neutralised, and secrets masked, in every command's output, the dashboard and the M3U8
lines; job names (a feed's URL with its ``api_key``) included."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import parse_config
from daemon.playlists.entry import m3u_text
from daemon.redact import clean, shown, shown_tree
from daemon.sources import config_schemas
from store import Store
from tests.populate import non_finite_numbers, populate, write_config

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202e"
SECRET = "s3cr3tkey"


def _setup(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n{extra}', encoding="utf-8")
    config = parse_config(path.read_text(encoding="utf-8"), str(path), sources=config_schemas())
    with Store.open(config.db_path) as store:
        populate(store)
        job = f"feed:https://feeds.example/rss?api_key={SECRET}"
        with store.recorded_run(job) as run:
            run.status, run.error = "failed", f"http://me:{SECRET}@host/x: no {HOSTILE}"
    with sqlite3.connect(config.db_path) as conn:
        conn.execute(
            "UPDATE tracks SET title = title || ?, artist = artist || ?", (HOSTILE, HOSTILE)
        )
    return path


def _assert_clean(text: str) -> None:
    for bad in ("\x1b", "\x07", "\x9b", "\u202e", SECRET):
        assert bad not in text, f"{bad!r} in output"


@pytest.mark.parametrize(
    "argv",
    [["queue"], ["queue", "--json"], ["status"], ["feedback", "list"], ["dashboard", "--once"]],
)
def test_commands_print_no_control_characters_and_no_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    path = _setup(tmp_path)
    main(["--config", str(path), *argv])
    out, err = capsys.readouterr()
    _assert_clean(out)
    _assert_clean(err)
    if argv == ["queue", "--json"]:
        json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def test_config_check_masks_a_proxy_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[fetch]\nproxy = "http://me:{SECRET}@127.0.0.1:3128"\n', encoding="utf-8")
    main(["--config", str(path), "config", "check"])
    out, err = capsys.readouterr()
    _assert_clean(out + err)


def test_m3u_lines_hold_no_control_characters() -> None:
    line = m3u_text(f"Artist{HOSTILE}\r\nTitle")
    _assert_clean(line)
    assert line.startswith("Artist\ufffd]0;owned\ufffd")
    assert line.endswith("\ufffd  Title")


def test_clean_keeps_text_tabs_and_newlines() -> None:
    assert clean("Björk\tJóga\nnext") == "Björk\tJóga\nnext"
    assert clean("a\nb", one_line=True) == "a\ufffdb"
    assert shown(f"\x1b https://x/?token={SECRET}") == "\ufffd https://x/?token=***"


def test_shown_tree_rebuilds_dataclasses_and_tuples() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Row:
        name: str
        rest: tuple[str, ...]
        n: int

    row = shown_tree(Row("a\x1b", (f"?api_key={SECRET}",), 3))
    assert row == Row("a\ufffd", ("?api_key=***",), 3)


def _strict(text: str) -> object:
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


@pytest.mark.parametrize(
    "argv",
    [
        ["queue", "--json"],
        ["status", "--json"],
        ["export", "--format", "json", "--out", "-"],
        ["export", "--format", "jspf", "--out", "-"],
    ],
    ids=["queue", "status", "export-json", "export-jspf"],
)
def test_json_output_has_no_nan_or_infinity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    config, path = write_config(tmp_path)
    with Store.open(config.db_path) as store:
        populate(store)
    non_finite_numbers(config.db_path)
    assert main(["--config", str(path), *argv]) == 0
    _strict(capsys.readouterr().out)
