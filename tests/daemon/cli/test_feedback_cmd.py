"""``tastebud feedback``: tracks by #rank, id, URL or "Artist - Title"; blocks; undo; list;
idempotence; bad input. ``tastebud queue``: the handles feedback takes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import Config, parse_config
from daemon.sources import config_schemas
from store import Store
from tests.populate import Population, populate

PUSHING = '[[history]]\ntype = "listenbrainz"\nuser = "me"\ntoken = "t0k"\npush_feedback = true\n'


def _setup(tmp_path: Path, extra: str = "") -> tuple[Config, Path, Population]:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n{extra}', encoding="utf-8")
    config = parse_config(path.read_text(encoding="utf-8"), str(path), sources=config_schemas())
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
    assert f"liked #4 {label_c} (id {c})" in out
    assert out.splitlines()[-1] == "stored for the next training cycle"  # no ListenBrainz here


def test_the_push_hint_is_for_a_listenbrainz_source_that_does_not_push(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, path, pop = _setup(tmp_path, '[[history]]\ntype = "listenbrainz"\nuser = "me"\n')
    assert main(["--config", str(path), "feedback", "like", str(pop.candidate_ids[0])]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "stored for the next training cycle; not pushed to ListenBrainz: set push_feedback = "
        'true and a token on its type = "listenbrainz" [[history]] source to push it'
    )


def test_dashboard_feedback_is_listed_as_such_and_undone_by_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from daemon import feedback
    from daemon.dashboard.app import ORIGIN

    config, path, pop = _setup(tmp_path)
    with Store.open(config.db_path) as store:
        track = store.get_track(pop.candidate_ids[0])
        assert track is not None
        feedback.give(store, "like", feedback.Target(track, 1), ORIGIN)
    assert main(["--config", str(path), "feedback", "list", "--limit", "1"]) == 0
    assert (
        capsys.readouterr()
        .out.rstrip()
        .endswith(f"liked {track.label} (id {track.id})  [dashboard]")
    )
    assert main(["--config", str(path), "feedback", "undo"]) == 0
    assert capsys.readouterr().out.startswith(f"undid: liked {track.label}")


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
    assert "nothing was stored" in err[0]
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
    captured = capsys.readouterr()
    assert f"blocked artist {artist}" in captured.out
    assert "warning" not in captured.err


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
        (["undo", "3"], "feedback undo takes no TRACK"),
        (["unblock"], "name the artist to unblock"),
    ],
)
def test_bad_arguments_are_one_line_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    config, path, _ = _setup(tmp_path)
    before = _cli_events(config)
    assert main(["--config", str(path), "feedback", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("tastebud feedback: error: ")
    assert message in err[0]
    assert _cli_events(config) == before
    # as argparse's own usage errors: before the config is read
    assert main(["--config", str(tmp_path / "missing.toml"), "feedback", *argv]) == 2


def _run(path: Path, *argv: str) -> int:
    return main(["--config", str(path), *argv])


def test_rank_handles_name_the_queue_and_ids_say_what_they_hit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, pop = _setup(tmp_path)
    with Store.open(config.db_path) as store:
        third = store.queue(50)[2].track
        history = pop.old_listen_ids[0]
        history_label = store.get_track(history).label  # type: ignore[union-attr]
    assert _run(path, "feedback", "dislike", "#3", str(history)) == 0
    out = capsys.readouterr().out
    assert f"disliked #3 {third.label} (id {third.id})" in out
    assert f"disliked {history_label} (id {history}, not in the queue)" in out
    assert ("dislike", third.id, None) in _cli_events(config)


def test_a_rank_beyond_the_queue_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, _ = _setup(tmp_path)
    before = _cli_events(config)
    assert _run(path, "feedback", "like", "#1", "#999") == 1
    err = capsys.readouterr().err
    assert "no #999 in the queue: it holds" in err
    assert _cli_events(config) == before


def test_the_same_like_twice_is_one_row_and_says_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, pop = _setup(tmp_path)
    top = pop.candidate_ids[0]
    assert _run(path, "feedback", "like", str(top)) == 0
    capsys.readouterr()
    assert _run(path, "feedback", "like", str(top)) == 0
    out = capsys.readouterr().out
    assert "again: it already was, nothing new stored" in out
    assert "stored for the next training cycle" not in out
    assert _cli_events(config).count(("like", top, None)) == 1
    with Store.open(config.db_path) as store:
        assert top not in {q.track.id for q in store.queue(50)}


def test_blocking_an_unknown_artist_warns_and_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, _ = _setup(tmp_path)
    assert _run(path, "feedback", "dislike", "--artist", "Nobody Heard Of") == 0
    err = capsys.readouterr().err
    assert 'warning: no track by "Nobody Heard Of" is known yet' in err
    assert ("block", None, "Nobody Heard Of") in _cli_events(config)


def test_undo_takes_back_the_newest_feedback_and_lifts_a_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, pop = _setup(tmp_path)
    before = _cli_events(config)
    artist = pop.candidates[pop.candidate_ids[0]].artist or ""
    assert _run(path, "feedback", "dislike", str(pop.candidate_ids[2])) == 0
    assert _run(path, "feedback", "dislike", "--artist", artist) == 0
    assert _run(path, "feedback", "undo") == 0
    assert f"undid: blocked artist {artist} (unblocked)" in capsys.readouterr().out
    with Store.open(config.db_path) as store:
        assert any(q.track.artist == artist for q in store.queue(50))
    assert _run(path, "feedback", "undo") == 0
    assert _cli_events(config) == before
    with Store.open(config.db_path) as store:
        assert pop.candidate_ids[2] in {q.track.id for q in store.queue(50)}


def test_undo_with_nothing_given_fails_and_keeps_imported_feedback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, _ = _setup(tmp_path)
    for _ in _cli_events(config):  # populate gave two in tastebud
        assert _run(path, "feedback", "undo") == 0
    assert _run(path, "feedback", "undo") == 1
    assert "nothing to undo" in capsys.readouterr().err
    with Store.open(config.db_path) as store:
        assert [e.origin for e in store.feedback()] == ["listenbrainz"]


def test_unblock_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, path, pop = _setup(tmp_path)
    assert _run(path, "feedback", "list", "--limit", "2") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("[listenbrainz]")
    assert "liked New Artist 0 - New Song 0" in lines[0]
    assert _run(path, "feedback", "unblock", pop.blocked_artist.upper()) == 0
    assert f"unblocked artist {pop.blocked_artist}" in capsys.readouterr().out
    with Store.open(config.db_path) as store:
        assert pop.blocked_id in {q.track.id for q in store.queue(50)}
    assert _run(path, "feedback", "unblock", pop.blocked_artist) == 1
    assert "is not blocked" in capsys.readouterr().err


def test_queue_lists_ranks_and_ids_that_feedback_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, _ = _setup(tmp_path)
    assert _run(path, "queue", "--limit", "3") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["#", "id", "standing", "artist", "title", "why"]
    assert len(lines) == 4
    assert _run(path, "queue", "--json", "--limit", "3") == 0
    rows = json.loads(capsys.readouterr().out)
    with Store.open(config.db_path) as store:
        queue = store.queue(3)
    assert [(r["rank"], r["id"]) for r in rows] == [(e.rank, e.track.id) for e in queue]
    assert all(len(r["why"]) == 3 for r in rows)
    for row, entry in zip(rows, queue, strict=True):
        assert entry.because is not None
        assert row["because"]["like"] == entry.because.fields()["like"]
        assert row["because"]["tags"] == list(entry.because.tags)
        assert row["because"]["text"].startswith("sounds like ")
        assert row["because"]["text"].split(" · ")[0] in lines[entry.rank]
    assert f"#2  {queue[1].track.id}" in lines[2]
    assert _run(path, "feedback", "like", "#2") == 0
    assert ("like", queue[1].track.id, None) in _cli_events(config)


def test_queue_rejects_a_limit_below_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, path, _ = _setup(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        _run(path, "queue", "--limit", "0")
    assert exit_.value.code == 2  # bad usage
    assert "--limit: 0 is not positive" in capsys.readouterr().err


def test_queue_on_a_missing_database_is_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "none"}"\n', encoding="utf-8")
    assert _run(path, "queue", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not (tmp_path / "none").exists()


def test_a_love_of_a_recording_no_listen_names_shows_its_mbid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from store import TrackRef

    config, path, _ = _setup(tmp_path)
    mbid = "ba2965ed-7df3-42ac-b144-75507ed1f8c8"
    with Store.open(config.db_path) as store:
        love = TrackRef("listenbrainz:me", ids={"recording_mbid": mbid})
        store.add_feedback("like", "listenbrainz:me", track=love, created_at=4e9)
        (track,) = [t for t in store.tracks() if not (t.artist or t.title or t.url)]
    assert main(["--config", str(path), "feedback", "list", "--limit", "1"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.endswith(
        f"liked MusicBrainz recording {mbid} (no name known) (id {track.id})  [listenbrainz:me]"
    )
    assert "liked track " not in line
