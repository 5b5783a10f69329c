"""``tastebud import`` tells a Takeout zip or folder from a ListenBrainz export zip, reads an
export's loves and hates, and says what it looked for when it cannot tell."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from daemon.cli import main
from store import Store
from tests.populate import write_config

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
MUSIC = SAMPLES / "youtube" / "takeout_watch_history_youtube_music.json"
EXPORT = SAMPLES / "listenbrainz" / "lb_listens_export.jsonl"
FEEDBACK = SAMPLES / "listenbrainz" / "lb_get_feedback_response_2021.json"
TAKEOUT_PATH = "Takeout/YouTube and YouTube Music/history/watch-history.json"


def _import(tmp_path: Path, what: Path, *extra: str) -> int:
    _, config = write_config(tmp_path)
    return main(["--config", str(config), "import", str(what), *extra])


def _listens(tmp_path: Path) -> int:
    with Store.open(tmp_path / "state" / "tastebud.db") as store:
        return store.counts()["listens"]


def _takeout_zip(path: Path, member: str = TAKEOUT_PATH) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Takeout/archive_browser.html", "<html></html>")
        z.writestr(member, MUSIC.read_bytes())
    return path


def _direct_count(tmp_path: Path) -> int:
    (tmp_path / "direct").mkdir()
    assert _import(tmp_path / "direct", MUSIC) == 0
    return _listens(tmp_path / "direct")


def test_a_takeout_zip_is_imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = _takeout_zip(tmp_path / "takeout-20250101T000000Z-001.zip")
    assert _import(tmp_path, archive) == 0
    assert "(takeout): imported" in capsys.readouterr().out
    assert _listens(tmp_path) == _direct_count(tmp_path) > 0


def test_a_takeout_folder_is_imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "download"
    with zipfile.ZipFile(_takeout_zip(tmp_path / "t.zip")) as z:
        z.extractall(folder)
    assert _import(tmp_path, folder) == 0
    assert "(takeout): imported" in capsys.readouterr().out
    assert _listens(tmp_path) == _direct_count(tmp_path) > 0


def test_a_listenbrainz_export_zip_brings_its_loves_and_hates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = json.loads(FEEDBACK.read_text(encoding="utf-8"))["feedback"]
    archive = tmp_path / "listenbrainz_ana_1700000000.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("user.json", '{"user_name": "ana"}')
        z.writestr("listens/2025/6.jsonl", EXPORT.read_text(encoding="utf-8"))
        z.writestr("feedback.jsonl", "".join(json.dumps(i) + "\n" for i in items))
    assert _import(tmp_path, archive) == 0
    assert f"{len(items)} loves and hates" in capsys.readouterr().out
    with Store.open(tmp_path / "state" / "tastebud.db") as store:
        kinds = [e.kind for e in store.feedback()]
        assert store.counts()["listens"] == 2
    loves = sum(i["score"] == 1 for i in items)
    assert (kinds.count("like"), kinds.count("dislike")) == (loves, len(items) - loves)
    assert kinds.count("dislike") == 1  # the sample's one hate
    assert _import(tmp_path, archive) == 0  # again: nothing new
    assert "loves and hates" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("members", "hint"),
    [
        ({"notes/readme.txt": "hi"}, ""),
        ({"Takeout/YouTube and YouTube Music/history/watch-history.html": "<html>"}, "HTML"),
    ],
)
def test_an_unknown_zip_says_what_was_looked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], members: dict[str, str], hint: str
) -> None:
    archive = tmp_path / "mystery.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    assert _import(tmp_path, archive) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    for looked_for in ("watch-history.json", "listens/YYYY/MM.jsonl", "feedback.jsonl"):
        assert looked_for in err
    assert "pass --type" not in err  # no --type reads a zip holding neither
    assert err.endswith("check that this is the export you downloaded")
    if hint:
        assert "choosing JSON" in err


def test_an_empty_folder_says_what_was_looked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert _import(tmp_path, tmp_path / "empty") == 1
    assert "cannot tell what this is: looked for a Google Takeout" in capsys.readouterr().err


def _refused(tmp_path: Path, what: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert _import(tmp_path, what, "--type", kind) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "state" / "tastebud.db").exists() or _listens(tmp_path) == 0
    return err


def test_a_type_that_contradicts_the_content_is_refused_naming_the_one_that_fits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _takeout_zip(tmp_path / "takeout.zip")
    assert _refused(tmp_path, archive, "listenbrainz-export", capsys) == (
        f"tastebud: {archive}: --type listenbrainz-export does not fit: this is a Google "
        f"Takeout (it holds {TAKEOUT_PATH}): pass --type takeout, or leave --type out"
    )
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(archive) as z:
        z.extractall(folder)
    assert "this is a Google Takeout" in _refused(tmp_path, folder, "listenbrainz-export", capsys)
    assert _refused(tmp_path, EXPORT, "takeout", capsys) == (
        f"tastebud: {EXPORT}: --type takeout does not fit: this is a ListenBrainz export (its "
        "first entries say so): pass --type listenbrainz-export, or leave --type out"
    )
    assert _import(tmp_path, archive, "--type", "takeout") == 0  # agreeing: imported
    assert "(takeout): imported" in capsys.readouterr().out
