"""CLI conventions: --version, options after the command, help with examples, a closed pipe,
--json, exit codes of ``once`` and ``doctor``, ``status`` beside a writer, ``once -q``."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from daemon.cli import build_parser, main
from daemon.config import load_config
from daemon.service.table import JOBS
from daemon.sources import config_schemas
from store import Store
from tests.cli_helpers import ROOT, config_file, subcommands


def _cli(*args: str, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "daemon.cli", *args],
        cwd=ROOT,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("tastebud ")
    assert out.split()[1][0].isdigit()


def test_global_options_after_the_command(tmp_path: Path) -> None:
    parser = build_parser()
    after = parser.parse_args(["status", "-v", "--config", str(tmp_path / "c.toml")])
    assert after.verbose
    assert after.config == tmp_path / "c.toml"
    assert parser.parse_args(["once", "-q"]).quiet
    before = parser.parse_args(["--config", "x.toml", "-q", "status"])
    assert before.config == Path("x.toml")  # the command's own option does not reset it
    assert before.quiet
    assert not before.verbose


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_command_help_has_a_description_and_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # sqlite-utils test_docs style: walk every command's real --help output
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    usage, description, *_rest = out.split("\n\n")
    assert usage.startswith(f"usage: tastebud {command}")
    assert len(description.strip()) > 20
    examples = out.split("example:\n", 1)[1].strip().splitlines()
    for line in examples:  # each example is a command line that parses as this command
        words = shlex.split(line.split("|")[0], comments=True)
        assert words[0] == "tastebud", line
        assert build_parser().parse_args(words[1:]).command == command, line


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before tastebud writes: like `| head -0`
    try:
        done = _cli("--config", str(config_file(tmp_path)), "config", "check", stdout=write_end)
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141


def test_status_and_doctor_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(tmp_path)
    assert main(["--config", str(path), "status", "--json"]) == 0
    assert "tastebud once" in json.loads(capsys.readouterr().out)["problem"]
    Store.open(tmp_path / "state" / "tastebud.db").close()
    assert main(["status", "--json", "--config", str(path)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["queue"] == []
    assert status["model"] is None
    code = main(["doctor", "--json", "--config", str(path)])
    report = json.loads(capsys.readouterr().out)
    assert {"config", "database", "disk"} <= {c["name"] for c in report["checks"]}
    assert code == (0 if report["ok"] else 1)


_HOLD_WRITE = textwrap.dedent(
    """
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO runs (job, started_at) VALUES ('holder', 0)")
    print("locked", flush=True)
    sys.stdin.read()  # hold the write transaction until the test closes stdin
    """
)


def test_status_answers_while_another_process_holds_a_write_lock(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    db = tmp_path / "state" / "tastebud.db"
    Store.open(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_WRITE, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        done = _cli("--config", str(path), "status")
    finally:
        holder.communicate("", timeout=60)
    assert done.returncode == 0, done.stderr
    assert "queue: empty" in done.stdout


def _failing_sources(tmp_path: Path, n: int = 3) -> Path:
    tables = "".join(
        f'[[history]]\ntype = "listenbrainz-export"\nname = "lb{i}"\n'
        f'path = "{tmp_path / f"missing{i}.jsonl"}"\n'
        for i in range(n)
    )
    return config_file(tmp_path, tables)


def test_once_exits_1_when_sources_fail_and_q_leaves_warnings_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _failing_sources(tmp_path)
    assert main(["once", "--config", str(path)]) == 1
    loud = capsys.readouterr()
    assert " INFO " in loud.err
    (tmp_path / "fresh").mkdir()
    assert main(["once", "-q", "--config", str(_failing_sources(tmp_path / "fresh"))]) == 1
    quiet = capsys.readouterr()
    assert quiet.err.strip()
    assert all(" WARNING " in line or " ERROR " in line for line in quiet.err.splitlines())
    summary = quiet.out.splitlines()
    runs = 3 + sum(spec.once is not None for spec in JOBS)  # the sources and once's jobs
    assert summary[0] == f"once: 3 of {runs} runs failed"
    assert sum(line.startswith("  history:lb") for line in summary) == 3
    # the next cycle skips them while they back off: still broken, still exit 1
    assert main(["once", "-q", "--config", str(path)]) == 1
    assert "history:lb0: skipped: backing off" in capsys.readouterr().out


def test_doctor_reports_failing_sources_and_missing_setup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ytmusicapi", None)  # not installed, wherever this runs
    monkeypatch.delenv("TASTEBUD_LASTFM_API_KEY", raising=False)
    path = config_file(
        tmp_path,
        '[[history]]\ntype = "lastfm"\nuser = "u"\n'
        '[[history]]\ntype = "ytmusic"\nauth_file = "x.json"\n'
        f'[[history]]\ntype = "listenbrainz-export"\nname = "gone"\npath = "{tmp_path}/no.jsonl"\n',
    )
    assert main(["once", "-q", "--config", str(path)]) == 1
    capsys.readouterr()
    assert main(["doctor", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] history lastfm:u: Last.fm needs an api_key" in out
    assert "[FAIL] history ytmusic: ytmusic history needs the ytmusicapi package" in out
    assert "pip install 'tastebud[ytmusic]'" in out
    assert "[FAIL] history:gone: last poll failed:" in out
    assert "no.jsonl" in out
    # once the source works again, doctor stops reporting it
    (tmp_path / "no.jsonl").write_text("")
    db = load_config(path, sources=config_schemas()).db_path
    with Store.open(db) as store, store.recorded_run("history:gone"):
        pass
    main(["doctor", "--config", str(path)])
    assert "history:gone" not in capsys.readouterr().out
