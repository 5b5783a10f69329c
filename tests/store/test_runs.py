"""Runs of jobs and polling cursors."""

from __future__ import annotations

import pytest

from store import Store


def test_runs_and_cursors(store: Store) -> None:
    run = store.start_run("history:lb")
    store.finish_run(run, "failed", {"listens": 3}, "HTTP 500")
    other = store.start_run("fetch")
    assert store.abort_unfinished_runs() == 1
    runs = store.runs()
    assert [(r.id, r.status) for r in runs] == [(other, "aborted"), (run, "failed")]
    assert runs[1].counts == {"listens": 3}
    assert store.get_cursor("lb") is None
    store.set_cursor("lb", "123")
    store.set_cursor("lb", "456")
    assert store.get_cursor("lb") == "456"


def test_recorded_run_records_success_and_failure(store: Store) -> None:
    with store.recorded_run("poll") as outcome:
        outcome.counts = {"listens": 3}
    with pytest.raises(ValueError, match="boom"), store.recorded_run("fetch"):
        raise ValueError("boom")
    with store.recorded_run("train") as outcome:
        outcome.fail("no labels")
    runs = {r.job: r for r in store.runs()}
    assert (runs["poll"].status, runs["poll"].counts) == ("ok", {"listens": 3})
    assert (runs["fetch"].status, runs["fetch"].error) == ("failed", "ValueError: boom")
    assert (runs["train"].status, runs["train"].error) == ("failed", "no labels")
