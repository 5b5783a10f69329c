"""What orders the queue and how far to trust it, as ``status`` and the dashboard say it.

Each scenario is a real SQLite file: no model, a model that ranks, a model the
similarity ranking beat on new listens (the judge's record), a model from before the
held-out-listen measures, and one whose measures were not taken (NaN, inf, missing).
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from daemon.cli import main
from daemon.cli.status import status_data, status_lines
from daemon.config import Config
from daemon.dashboard.snapshot import load_snapshot
from daemon.dashboard.view import render, sparkline
from daemon.ranking_evidence import MEASURES, percentile_trend, validation_line
from store import Evidence, ListenIn, Store, TrackRef
from tests.populate import write_config

NOW = 1_700_000_000.0
JUDGED = {
    "k": 20,
    "n_heldout": 12,
    "hit_at_k": 0.45,
    "percentile": 0.91,
    "similarity_hit_at_k": 0.40,
    "similarity_percentile": 0.85,
    "champion_hit_at_k": 0.35,
    "champion_percentile": 0.80,
}
VALIDATION = "validation: hit@20 0.45 on 12 held-out listens (similarity 0.40), percentile 0.91"


def _store(tmp_path: Path, *, listened: bool = True) -> tuple[Config, Store, list[int]]:
    config, _ = write_config(tmp_path)
    store = Store.open(config.db_path)
    refs = [TrackRef("feed", f"Artist {i}", f"Title {i}") for i in range(3)]
    store.add_feed_items("feed", refs)
    ids = [store.find_tracks(f"Artist {i} - Title {i}")[0].id for i in range(3)]
    for track_id in ids:
        store.mark_track(track_id, "ready")
    if listened:  # a listened track with features: similarity can rank by it
        store.add_listens([ListenIn(TrackRef("lb", "Old", "Favourite"), int(NOW))], "lb")
        (heard,) = store.find_tracks("Old - Favourite")
        store.put_embedding(heard.id, "test", np.zeros((2, 4)), np.zeros((2, 3)))
    return config, store, ids


def _model(
    store: Store,
    metrics: dict[str, float],
    *,
    promote: bool = True,
    hparams: dict[str, object] | None = None,
) -> int:
    version = store.add_model(
        parent=None, hparams=hparams or {}, n_train=30, n_val=12, metrics=metrics, checkpoint="v.pt"
    )
    if promote:
        store.promote(version)
    return version


def _dashboard(store: Store, config: Config, width: int = 120, height: int = 40) -> str:
    """The model panel's text, its wrapped lines joined with spaces."""
    snap = load_snapshot(store, config, now=NOW, with_drift=False)
    console = Console(width=width, height=height, record=True, file=io.StringIO())
    console.print(render(snap, width, height))
    panel = console.export_text().split("╭─ model")[1].splitlines()[1:-1]
    return " ".join(line.split("││")[0].strip("│ ") for line in panel)


def _header(store: Store, config: Config) -> str:
    """The dashboard's first line."""
    snap = load_snapshot(store, config, now=NOW, with_drift=False)
    console = Console(width=120, height=40, record=True, file=io.StringIO())
    console.print(render(snap, 120, 40))
    return console.export_text().splitlines()[0]


def _said(store: Store, config: Config) -> tuple[list[str], dict[str, object], str]:
    lines = status_lines(store, config, now=NOW)
    data = json.loads(json.dumps(status_data(store, config)))  # as --json prints it
    return lines, data, _dashboard(store, config)


def test_no_model_and_nothing_scored_is_feed_order(tmp_path: Path) -> None:
    config, store, _ = _store(tmp_path, listened=False)
    lines, data, dashboard = _said(store, config)
    assert "ranked by: feed order (nothing scored yet)" in lines
    assert "model: untrained: it trains once 5 listened or liked tracks have features" in lines
    assert data["ranked_by"] == "feed order"
    assert data["validation"] == dict.fromkeys((*MEASURES, "roc_auc"))
    assert "ranked by: feed order" in dashboard
    assert "untrained" in dashboard


def test_no_model_ranks_by_similarity_once_there_are_listens(tmp_path: Path) -> None:
    config, store, ids = _store(tmp_path)
    store.put_scores(None, [(t, 0.5) for t in ids])
    lines, data, dashboard = _said(store, config)
    assert "ranked by: similarity to your listens (no model yet)" in lines
    assert data["ranked_by"] == "similarity"
    assert "similarity to your listens (no model yet)" in dashboard


def test_listens_without_features_leave_feed_order_and_say_so(tmp_path: Path) -> None:
    config, store, ids = _store(tmp_path, listened=False)
    store.add_listens([ListenIn(TrackRef("lb", "Old", "Favourite"), int(NOW))], "lb")
    store.put_scores(None, [(t, 1 - i / 3) for i, t in enumerate(ids)])
    lines, data, _ = _said(store, config)
    assert (
        "ranked by: feed order (no listened or liked track has features yet: they wait to be "
        "fetched)"
    ) in lines
    assert data["ranked_by"] == "feed order"


def test_no_model_and_no_listens_after_scoring_is_feed_order(tmp_path: Path) -> None:
    config, store, ids = _store(tmp_path, listened=False)
    store.put_scores(None, [(t, 1 - i / 3) for i, t in enumerate(ids)])
    lines, data, _ = _said(store, config)
    assert "ranked by: feed order (nothing listened to or liked yet)" in lines
    assert data["ranked_by"] == "feed order"


def test_a_model_that_ranks_says_so_with_its_sample_size(tmp_path: Path) -> None:
    config, store, ids = _store(tmp_path)
    version = _model(store, JUDGED)
    store.put_scores(version, [(t, 0.5) for t in ids])
    lines, data, dashboard = _said(store, config)
    assert f"ranked by: model v{version}" in lines
    assert VALIDATION in lines
    assert data["ranked_by"] == "model"
    assert data["validation"]["hit_at_k"] == 0.45
    assert data["validation"]["n_heldout"] == 12
    assert data["validation"]["roc_auc"] is None
    assert f"ranked by: model v{version}" in dashboard
    assert VALIDATION in dashboard
    assert f"ranked by model v{version} " in _header(store, config)


def _tested(store: Store, version: int, pairs: list[tuple[float, float]]) -> None:
    """New listens, each a track of its own, with (model, similarity) standings."""
    for i, (model, plain) in enumerate(pairs):
        store.add_listens([ListenIn(TrackRef("lb", "New", f"Listen {i}"), int(NOW))], "lb")
        (track,) = store.find_tracks(f"New - Listen {i}")
        store.add_evidence([Evidence(track.id, NOW, NOW - 3600, 50, version, model, plain)])


def test_the_evidence_names_both_standings_the_listens_and_the_interval(tmp_path: Path) -> None:
    config, store, ids = _store(tmp_path)
    version = _model(store, JUDGED)
    store.put_scores(version, [(t, 0.5) for t in ids])
    lines, data, dashboard = _said(store, config)
    assert "evidence: no new listens tested yet: the model ranks until they say otherwise" in lines
    assert "evidence: no new listens tested yet" in dashboard
    _tested(store, version, [(0.9, 0.7), (0.8, 0.75), (0.85, 0.8)])
    lines, data, dashboard = _said(store, config)
    line = next(x for x in lines if x.startswith("evidence:"))
    assert line.startswith(
        "evidence: model 0.85 vs similarity 0.75 on 3 new listens (difference +0.100, "
        "95% interval -1.000..+1.000): not enough to switch"
    )
    record = data["evidence"]
    assert (record["ranker"], record["listens"], record["seeded"]) == ("model", 3, 0)
    assert record["model_standing"] == pytest.approx(0.85)
    assert record["similarity_standing"] == pytest.approx(0.75)
    assert record["interval"] == [-1.0, 1.0]
    assert "evidence: 3 listens, model 0.85 vs similarity 0.75, interval -1.00..+1.00" in (
        dashboard
    )


def test_the_similarity_ranking_that_beat_the_model_says_why(tmp_path: Path) -> None:
    config, store, ids = _store(tmp_path)
    version = _model(store, JUDGED)
    _tested(store, version, [(0.6, 0.8)] * 30)
    store.switch_ranker("similarity", "similarity ranked new listens better", at=NOW)
    store.put_scores(None, [(t, 0.5) for t in ids])
    lines, data, dashboard = _said(store, config)
    line = "ranked by: similarity (it ranked new listens better than the model)"
    assert line in lines
    assert VALIDATION in lines
    assert data["ranked_by"] == "similarity"
    assert data["evidence"]["ranker"] == "similarity"
    assert data["evidence"]["listens"] == 0  # a switch starts the record afresh
    assert "evidence: no new listens tested yet: similarity ranks until they say otherwise" in (
        lines
    )
    assert line in dashboard
    assert "ranked by similarity " in _header(store, config)  # not the champion's version


def test_scores_from_before_the_verdict_say_what_ranks_next(tmp_path: Path) -> None:
    config, store, ids = _store(tmp_path)
    old = _model(store, JUDGED)
    store.put_scores(old, [(t, 0.5) for t in ids])
    new = _model(store, JUDGED)
    lines, data, _ = _said(store, config)
    assert f"ranked by: model v{old} (v{new} ranks from the next rescore)" in lines
    store.switch_ranker("similarity", "similarity ranked new listens better", at=NOW)
    store.put_scores(new, [(t, 0.5) for t in ids])
    lines, data, _ = _said(store, config)
    assert f"ranked by: model v{new} (similarity ranks from the next rescore)" in lines
    assert data["ranked_by"] == "model"


def test_an_older_model_shows_its_roc_auc_as_the_older_measure(tmp_path: Path) -> None:
    config, store, ids = _store(tmp_path)
    version = _model(store, {"roc_auc": 0.81, "precision_at_k": 0.6, "n_labels": 40})
    store.put_scores(version, [(t, 0.5) for t in ids])
    lines, data, dashboard = _said(store, config)
    assert "validation: ROC-AUC 0.81 (older measure)" in lines
    assert data["validation"]["roc_auc"] == 0.81
    assert data["validation"]["hit_at_k"] is None
    assert "ROC-AUC 0.81 (older measure)" in dashboard
    assert "percentile by version" not in dashboard  # no promoted model has the measure
    store.put_scores(None, [(t, 0.5) for t in ids])
    lines, _, _ = _said(store, config)
    assert f"ranked by: similarity (model v{version} ranks from the next rescore)" in lines


def test_unmeasured_values_say_not_measured(tmp_path: Path) -> None:
    config, store, ids = _store(tmp_path)
    _model(store, {**JUDGED, "percentile": 0.7})
    metrics = {"k": 20, "hit_at_k": math.nan, "percentile": math.inf}
    version = _model(store, metrics)
    store.put_scores(version, [(t, 0.5) for t in ids])
    lines, data, dashboard = _said(store, config)
    assert (
        "validation: hit@20 not measured (held-out sample not measured) "
        "(similarity not measured), percentile not measured"
    ) in lines
    assert data["validation"]["hit_at_k"] is None
    assert data["validation"]["percentile"] is None
    assert data["validation"]["n_heldout"] is None
    assert "nan" not in "\n".join(lines).lower()
    assert "nan" not in dashboard.lower()
    assert f"{sparkline([0.7, math.nan])} percentile by version" in dashboard


def test_status_json_carries_ranked_by_and_nulls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, store, ids = _store(tmp_path)
    version = _model(store, {"k": 20, "hit_at_k": math.nan})
    store.put_scores(version, [(t, 0.5) for t in ids])
    store.close()
    assert main(["--config", str(tmp_path / "config.toml"), "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ranked_by"] == "model"
    assert data["ranking"] == f"ranked by: model v{version}"
    assert data["validation"]["k"] == 20
    assert data["validation"]["hit_at_k"] is None


def test_status_says_what_the_similarity_was_adapted_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, store, ids = _store(tmp_path)
    _model(store, {**JUDGED}, hparams={"adapted_on": 0})  # a library too small to adapt
    (line,) = [x for x in status_lines(store, config, now=NOW) if x.startswith("model:")]
    assert "adapted" not in line
    assert status_data(store, config)["model"]["adapted_on"] is None
    version = _model(store, {**JUDGED}, hparams={"adapted_on": 1234})
    store.put_scores(version, [(t, 0.5) for t in ids])
    (line,) = [x for x in status_lines(store, config, now=NOW) if x.startswith("model:")]
    assert line.endswith("labels, similarity adapted to 1,234 tracks")
    store.close()
    assert main(["--config", str(tmp_path / "config.toml"), "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["adapted_on"] == 1234


def test_the_trend_covers_promoted_models_with_the_measure(tmp_path: Path) -> None:
    _, store, _ = _store(tmp_path)
    _model(store, {"roc_auc": 0.7})  # older measure: left out
    _model(store, {**JUDGED, "percentile": 0.8})
    _model(store, {**JUDGED, "percentile": 0.99}, promote=False)  # never promoted
    _model(store, {"k": 20, "percentile": math.nan})  # promoted, not measured: a gap
    _model(store, {**JUDGED, "percentile": 0.9})
    trend = percentile_trend(store.models())
    assert len(trend) == 3
    assert (trend[0], trend[2]) == (0.8, 0.9)
    assert math.isnan(trend[1])


def test_validation_uses_the_configured_k_when_the_model_did_not_record_one() -> None:
    assert validation_line({"hit_at_k": 0.5, "n_heldout": 3}, 10).startswith(
        "hit@10 0.50 on 3 held-out listens"
    )
    assert validation_line({}, 20).startswith("hit@20 not measured")


def test_validation_says_how_far_taste_had_moved_when_the_model_was_trained() -> None:
    moved = validation_line({**JUDGED, "overlap": 0.8234, "contrast": 1.0}, 20)
    assert moved.endswith("; taste moved (the last week overlaps all listening 0.82)")
    steady = validation_line({**JUDGED, "overlap": 1.01, "contrast": 0.0}, 20)
    assert steady.endswith("; taste steady (the last week overlaps all listening 1.01)")
    assert "taste moving" in validation_line({**JUDGED, "overlap": 0.97, "contrast": 0.6}, 20)
    assert "taste" not in validation_line(JUDGED, 20)  # a model from before the measure
