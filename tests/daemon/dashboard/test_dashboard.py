"""The dashboard rendered to text for a populated, an empty and a missing database."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from daemon.cli import main
from daemon.cli.status import status_lines
from daemon.config import Config
from daemon.dashboard.detail import why_lines
from daemon.dashboard.snapshot import load_snapshot, snapshot_for
from daemon.dashboard.view import clip, render, sparkline, why_text
from daemon.playlists.tags import load_tag_names
from store import ArtistShare, Store
from tests.populate import Population, populate
from tests.populate import write_config as _config

FEEDS = '[[feeds]]\ntype = "url"\nurl = "https://127.0.0.1/feed"\n'
HISTORY = '[[history]]\ntype = "listenbrainz"\nuser = "someone"\n'


def _text(renderable: object, width: int, height: int) -> str:
    console = Console(width=width, height=height, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def _fits(text: str, width: int, height: int) -> None:
    lines = text.rstrip("\n").split("\n")
    assert len(lines) <= height
    assert max(cell_len(line) for line in lines) <= width


@pytest.fixture
def populated(tmp_path: Path) -> Iterator[tuple[Config, Store, Population]]:
    config, _ = _config(tmp_path, HISTORY + FEEDS)
    store = Store.open(config.db_path)
    pop = populate(store)
    yield config, store, pop
    store.close()


def test_populated_dashboard_fits_80x24_and_shows_each_part(populated: tuple) -> None:
    config, store, pop = populated
    snap = load_snapshot(store, config, rows=15, now=pop.now)
    text = _text(render(snap, 80, 24), 80, 24)
    _fits(text, 80, 24)
    top = snap.queue[0].entry.track
    assert top.id == pop.candidate_ids[0]
    assert "Candidate 0" in text
    assert snap.queue[0].tags[0] in text
    assert f"v{pop.champion}" in text
    assert f"ranked by: model v{pop.champion}" in text
    assert "evidence: no new" in text  # wrapped in the narrow panel
    assert f"{sparkline(pop.percentiles)} percentile" in text
    assert "unhealthy:" in text
    assert "feed:discover, fetch" in text
    assert "backlog 2" in text
    assert "! fetch: yt-dlp" in text  # failures win the room over the job list
    assert str(config.db_path) not in text
    assert f"queue {snap.queue_total}" in text.split("\n")[0]
    assert "Candidate 1 " not in text  # disliked
    assert pop.blocked_artist not in text.split("listens & feedback")[0]


def test_taste_drift_names_the_rising_and_falling_tags(populated: tuple) -> None:
    config, store, pop = populated
    names = load_tag_names(config.model.backbone)
    snap = load_snapshot(store, config, now=pop.now)
    assert snap.drift is not None
    rising = {n for n, d in snap.drift if d > 0}
    falling = {n for n, d in snap.drift if d < 0}
    assert rising == {names[4], names[28]}
    assert falling == {names[0]}
    text = _text(render(snap, 120, 40), 120, 40)
    assert f"+{names[4]}" in text
    assert f"-{names[0]}" in text


def test_large_terminal_shows_more_of_everything(populated: tuple) -> None:
    config, store, pop = populated
    snap = load_snapshot(store, config, rows=30, now=pop.now)
    text = _text(render(snap, 160, 50), 160, 50)
    _fits(text, 160, 50)
    assert all((row.entry.track.title or "")[:10] in text for row in snap.queue[:10])
    assert "feed" in text
    assert "discover" in text
    assert "HTTP Error 429" in text
    assert "stopped" in text.split("pipeline")[1]  # no daemon: no stale next run
    # the one arrow: the failing discovery feed's back-off (a source like any other)
    assert text.count("→") == 1
    assert "→ feed:discover backs off until" in text


def test_jobs_get_their_next_run_from_the_schedule(populated: tuple) -> None:
    config, store, pop = populated
    snap = load_snapshot(store, config, now=pop.now)
    jobs = {j.job: j for j in snap.jobs}
    assert list(jobs) == [
        "poll-history",
        "poll-feeds",
        "fetch",
        "train",
        "playlists",
        "library",
        "maintenance",
    ]
    history = jobs["poll-history"]
    assert history.last is not None
    assert history.next_at == pytest.approx(
        max(history.last.started_at + config.schedule.history_minutes * 60, pop.now)
    )
    assert jobs["playlists"].last is None
    assert jobs["maintenance"].next_at is None


def test_failing_jobs_and_sources_are_unhealthy(populated: tuple) -> None:
    config, store, pop = populated
    snap = load_snapshot(store, config, now=pop.now)
    assert snap.unhealthy == ("feed:discover", "fetch")
    text = _text(render(snap, 120, 40), 120, 40)
    assert "unhealthy: feed:discover, fetch" in text
    assert "never run" in text  # playlists and maintenance have not run yet


def test_empty_database_says_what_to_do_next(tmp_path: Path) -> None:
    config, _ = _config(tmp_path)
    Store.open(config.db_path).close()
    snap = snapshot_for(config)
    text = _text(render(snap, 80, 24), 80, 24)
    _fits(text, 80, 24)
    assert "no listens yet: add a [[history]] source to config.toml" in text
    assert "add a [[feeds]] source" in text
    assert "untrained" in text


def test_missing_database_says_how_to_start(tmp_path: Path) -> None:
    config, _ = _config(tmp_path, HISTORY)
    text = _text(render(snapshot_for(config), 80, 24), 80, 24)
    _fits(text, 80, 24)
    assert "no database at" in text
    assert "tastebud run" in text
    assert not config.db_path.exists()


def test_once_prints_one_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, path = _config(tmp_path, HISTORY + FEEDS)
    with Store.open(config.db_path) as store:
        populate(store)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "30")
    assert main(["--config", str(path), "dashboard", "--once"]) == 0
    out = capsys.readouterr().out
    _fits(out, 100, 30)
    assert "Candidate 0" in out
    assert "queue" in out


def test_header_counts_the_whole_queue_not_the_rows_shown(populated: tuple) -> None:
    config, store, pop = populated
    snap = load_snapshot(store, config, rows=3, now=pop.now)
    assert len(snap.queue) == 3
    assert snap.queue_total == len(store.queue(500))
    assert snap.queue_total > 3
    assert f"queue {snap.queue_total}" in _text(render(snap, 80, 24), 80, 24)


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("Feed Artist 0 - Candidate 0", 14, "Feed Artist 0…"),
        ("Feed Artist 0 - Candidate 0", 12, "Feed Artist…"),
        ("Feed Artist 0 - Candidate 0", 40, "Feed Artist 0 - Candidate 0"),
        ("beautiful, electronic, 80s", 16, "beautiful…"),
        ("Supercalifragilistic", 8, "Superca…"),
        ("Feed Artist 0", 11, "Feed Artis…"),  # not "Feed…": a cut keeps what fits
        ('Tricky, "quoted" & <odd>', 18, 'Tricky, "quoted"…'),
    ],
)
def test_clip_cuts_at_word_boundaries(text: str, width: int, expected: str) -> None:
    assert clip(text, width) == expected
    assert cell_len(clip(text, width)) <= width


def test_sparkline_spans_low_to_high() -> None:
    assert sparkline([0.5, 0.75, 1.0]) == "▁▅█"
    assert sparkline([0.7, 0.7]) == "▄▄"


def test_sparkline_marks_a_missing_metric_instead_of_crashing() -> None:
    nan = float("nan")
    assert sparkline([0.5, nan, 1.0]) == "▁·█"
    assert sparkline([nan]) == "·"


def test_status_agrees_with_the_dashboard(populated: tuple) -> None:
    config, store, pop = populated
    snap = load_snapshot(store, config, now=pop.now)
    assert snap.champion is not None
    lines = status_lines(store, config, now=pop.now)
    model = next(line for line in lines if line.startswith("model:"))
    assert f"version {pop.champion}," in model
    assert f"{snap.champion.n_labels} labels" in model
    assert "Candidate 0" in "\n".join(lines)
    assert any(line.startswith("run fetch: failed") for line in lines)


def test_the_queue_says_why_each_track_is_there(populated: tuple) -> None:
    config, store, pop = populated
    snap = load_snapshot(store, config, rows=10, now=pop.now)
    wide = _text(render(snap, 160, 50), 160, 50)
    for row in snap.queue:
        because = row.entry.because
        assert because is not None
        assert because.text(pop.now).startswith("sounds like ")
        compact = why_text(row, pop.now)  # the column says "≈ Artist - Title, ..."
        assert compact.startswith("≈ ")
        assert clip(compact, 20)[:-1] in wide  # the start of it, at least
    assert "…" in wide  # too long for the column: cut with an ellipsis
    narrow = _text(render(snap, 80, 24), 80, 24)
    assert "like " not in narrow.split("╭─ model")[0]  # a narrow queue shows the tags


def test_a_reason_naming_the_artist_says_so_in_the_column_and_the_detail(
    populated: tuple,
) -> None:
    config, store, pop = populated
    row = load_snapshot(store, config, rows=1, now=pop.now).queue[0]
    because = row.entry.because
    assert because is not None
    named = replace(because, artist=ArtistShare("Some Band", 0.4))
    row = replace(row, entry=replace(row.entry, because=named))
    compact = why_text(row, pop.now)
    assert compact.startswith("≈ ")
    assert " · Some Band 40% of this week · " in compact
    detail = str(why_lines(row, pop.now))
    assert "  by Some Band: 40% of this week's listening\n" in detail
    alone = replace(row, entry=replace(row.entry, because=replace(named, like=(), tags=())))
    assert why_text(alone, pop.now) == "Some Band 40% of this week · " + ", ".join(row.tags)


def test_a_skip_seen_in_mpd_has_its_mark_among_the_feedback(populated: tuple) -> None:
    config, store, pop = populated
    skipped = store.get_track(pop.candidate_ids[3])
    at = int(max(e.created_at for e in store.feedback())) + 60
    store.add_skips([(skipped.id, at, 12.0)], "mpd")
    snap = load_snapshot(store, config, rows=15, now=at + 5)
    assert snap.feedback[0][:2] == ("skip", skipped.label)
    text = _text(render(snap, 100, 30), 100, 30)
    assert f"»  5s {skipped.label[:13]}" in text, text
