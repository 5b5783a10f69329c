"""``tastebud feedback``: tracks by id, URL or "Artist - Title"; artist blocks; bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import Config, parse_config
from store import Store
from tests.populate import Population, populate

PUSHING = '[[history]]\ntype = "listenbrainz"\nuser = "me"\ntoken = "t0k"\npush_feedback = true\n'


def _setup(tmp_path: Path, extra: str = "") -> tuple[Config, Path, Population]:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n{extra}', encoding="utf-8")
    config = parse_config(path.read_text(encoding="utf-8"), str(path))
    with Store.open(config.db_path) as store:
        pop = populate(store)
    return config, path, pop


def _cli_events(config: Config) -> list[tuple[str, int | None, str | None]]:
    with Store.open(config.db_path) as store:
        return [(e.kind, e.track_id, e.artist) for e in store.feedback() if e.origin == "cli"]


def test_like_by_id_url_and_artist_title(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, pop = _setup(tmp_path)
    before = _cli_events(config)
    a, b, c = pop.candidate_ids[0], pop.candidate_ids[2], pop.candidate_ids[4]
    ref_b, ref_c = pop.candidates[b], pop.candidates[c]
    label_c = f"{ref_c.artist} - {ref_c.title}"
    assert main(["--config", str(path), "feedback", "like", str(a), ref_b.url or "", label_c]) == 0
    new = [e for e in _cli_events(config) if e not in before]
    assert sorted(new) == sorted(("like", t, None) for t in (a, b, c))
    out = capsys.readouterr().out
    assert f"liked: {label_c} (track {c})" in out
    assert "not pushed to ListenBrainz" in out


def test_dislike_and_dismiss_leave_the_queue(tmp_path: Path) -> None:
    config, path, pop = _setup(tmp_path)
    top, second = pop.candidate_ids[0], pop.candidate_ids[2]
    assert main(["--config", str(path), "feedback", "dislike", str(top)]) == 0
    assert main(["--config", str(path), "feedback", "dismiss", str(second)]) == 0
    with Store.open(config.db_path) as store:
        queued = {q.track.id for q in store.queue(50)}
    assert top not in queued
    assert second not in queued
    assert pop.candidate_ids[3] in queued


def test_unknown_track_stores_nothing_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, pop = _setup(tmp_path)
    before = _cli_events(config)
    args = ["feedback", "like", str(pop.candidate_ids[0]), "Nobody - Nothing", "999999"]
    assert main(["--config", str(path), *args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert 'no track matches "Nobody - Nothing"' in err[0]
    assert 'no track matches "999999"' in err[1]
    assert _cli_events(config) == before


def test_dislike_artist_blocks_it_from_the_queue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, pop = _setup(tmp_path, PUSHING)
    artist = pop.candidates[pop.candidate_ids[0]].artist or ""
    with Store.open(config.db_path) as store:
        assert any(q.track.artist == artist for q in store.queue(50))
    assert main(["--config", str(path), "feedback", "dislike", "--artist", artist]) == 0
    assert ("block", None, artist) in _cli_events(config)
    with Store.open(config.db_path) as store:
        assert not any(q.track.artist == artist for q in store.queue(50))
    assert f"blocked artist: {artist}" in capsys.readouterr().out


def test_push_note_names_the_listenbrainz_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, path, pop = _setup(tmp_path, PUSHING)
    assert main(["--config", str(path), "feedback", "like", str(pop.candidate_ids[0])]) == 0
    out = capsys.readouterr().out
    assert "will be pushed to ListenBrainz (listenbrainz:me)" in out
    assert "t0k" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["like", "--artist", "X"], "--artist blocks an artist and goes with dislike"),
        (["dislike"], "name at least one TRACK"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    config, path, _ = _setup(tmp_path)
    before = _cli_events(config)
    assert main(["--config", str(path), "feedback", *argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert message in err[0]
    assert _cli_events(config) == before
