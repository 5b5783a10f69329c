"""Export files read within bounds: a JSON-array export streamed at JSON Lines' memory,
deep nesting and endless lines skipped without losing the good items, zip bombs refused,
malformed items logged at a limited rate (counted all the same)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from daemon.cli import main
from daemon.net import MalformedPayloadError
from daemon.sources import _parse, _stream
from daemon.sources._stream import BAD, iter_json_array
from daemon.sources.importing import import_file, located
from daemon.sources.lb_export import iter_export
from daemon.sources.takeout import load_takeout
from store import Store
from tests.hostile import small_tmpfs
from tests.populate import write_config


def _listen(i: int) -> dict[str, Any]:
    return {
        "listened_at": 1_700_000_000 + i,
        "track_metadata": {"artist_name": f"Artist {i}", "track_name": f"Song {i}"},
    }


def test_array_items_come_one_by_one_and_a_deep_item_is_skipped() -> None:
    deep = "[" * 5000 + "]" * 5000
    medium = "[" * 100 + "]" * 100
    text = "[" + ",".join([json.dumps(_listen(1)), deep, medium, json.dumps(_listen(2))]) + "]"
    items = list(iter_json_array(io.StringIO(text), "x"))
    assert items == [_listen(1), BAD, BAD, _listen(2)]


def test_array_strings_holding_brackets_and_chunk_boundaries() -> None:
    item = {"a": "[[[{{{" * 30_000, "b": [1, 2]}
    text = " [ " + ", ".join(json.dumps(item) for _ in range(3)) + " ] "
    assert list(iter_json_array(io.StringIO(text), "x")) == [item] * 3


def test_a_broken_array_keeps_the_items_before_the_break() -> None:
    items = iter_json_array(io.StringIO('[{"a": 1}, {"b": 2} {"c": 3}]'), "x")
    assert [next(items), next(items)] == [{"a": 1}, {"b": 2}]
    with pytest.raises(MalformedPayloadError, match="not a valid JSON array"):
        next(items)


def test_deep_and_endless_lines_in_jsonl_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    lines = [json.dumps(_listen(1)), "[" * 100_000, '"' + "x" * (3 << 20), json.dumps(_listen(2))]
    path.write_text("\n".join(lines) + "\n")
    assert list(iter_export(path)) == [_listen(1), BAD, BAD, _listen(2)]


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_stream, "MIN_BUDGET", 4 << 20)


@pytest.mark.usefixtures("small_budget")
def test_a_zip_bomb_export_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "lb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("listens/2024/1.jsonl", "w") as f:
            chunk = b"x" * (1 << 20)
            for _ in range(30):  # one 30 MB line, a few KB zipped (budget: 4 MB)
                f.write(chunk)
    assert bomb.stat().st_size < 2 << 20
    with pytest.raises(MalformedPayloadError, match="zip bomb"):
        list(iter_export(bomb))


@pytest.mark.usefixtures("small_budget")
def test_a_takeout_zip_bomb_is_refused_before_filling_the_disk(tmp_path: Path) -> None:
    bomb = tmp_path / "takeout.zip"
    member = "Takeout/YouTube and YouTube Music/history/watch-history.json"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open(member, "w") as f:
            f.write(b"[")
            for _ in range(30):
                f.write(b" " * (1 << 20))
            f.write(b"]")
    with pytest.raises(MalformedPayloadError, match="zip bomb"), located(bomb) as _:
        pass


def test_a_takeout_zip_with_no_room_to_unpack_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "takeout.zip"
    member = "Takeout/YouTube and YouTube Music/history/watch-history.json"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, "[" + " " * (3 << 20) + "]")  # 3 MB, a few kB zipped
    _, config = write_config(tmp_path)
    with small_tmpfs(tmp_path / "tmpfs") as disk:  # 2 MB
        monkeypatch.setattr("tempfile.tempdir", str(disk))
        assert main(["--config", str(config), "import", str(archive)]) == 1
        assert list(disk.iterdir()) == []  # the partial copy is gone
    assert capsys.readouterr().err == (
        f"tastebud: {archive}: cannot unpack {member} into {disk}: No space left on device: "
        "free space there or unzip the file yourself and import watch-history.json\n"
    )


def test_takeout_deeply_nested_entry_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "watch-history.json"
    entry = {"header": "YouTube Music", "title": "Watched x"}
    path.write_text("[" + json.dumps(entry) + "," + "[" * 10_000 + "]" * 10_000 + "]")
    assert load_takeout(path) == [entry, BAD]


def test_import_of_a_nested_export_counts_it_and_keeps_the_rest(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(_listen(1)) + "\n" + "{" * 50_000 + "\n" + json.dumps(_listen(2)))
    summary = import_file(store, path, "listenbrainz-export", quiet=True)
    assert summary.imported == 2
    assert sum(summary.skipped.values()) == 1


def test_malformed_items_are_logged_at_a_limited_rate(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        for i in range(500):
            _parse.log_malformed("source rate-test", "bad", {"i": i})
    assert len(caplog.records) == _parse.LOG_LIMIT + 1
    assert "not logged" in caplog.records[-1].getMessage()


@pytest.mark.slow
def test_a_json_array_export_reads_at_jsonl_memory(tmp_path: Path) -> None:
    """A 48 MB array (in a tmpfs) read in a child whose peak RSS is measured: parsed whole,
    it would take several hundred MB."""
    with small_tmpfs(tmp_path / "tmpfs", "64m") as disk:
        path = disk / "export.json"
        line = json.dumps(_listen(0)).encode()
        with path.open("wb") as f:
            f.write(b"[")
            for _ in range(48_000_000 // len(line)):
                f.write(line + b",")
            f.write(line + b"]")
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec, so a child of a big
        # pytest process would report its parent's size
        code = (
            "import sys; from pathlib import Path;"
            "from daemon.sources.lb_export import iter_export;"
            "n = sum(1 for _ in iter_export(Path(sys.argv[1])));"
            "status = Path('/proc/self/status').read_text().splitlines();"
            "print(n, next(l.split()[1] for l in status if l.startswith('VmHWM:')))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, check=True, text=True
        )
    count, peak_kb = (int(v) for v in done.stdout.split())
    assert count > 400_000
    assert peak_kb < 150 * 1024
