"""Deeper fine-tuning's rows: the labels it trains on, a mid end (or its last layer) that
starts where it was pretrained and moves once trained, and the records of both runs read
back as drift results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from bench.drift import rankers
from bench.drift.deep import BODY, DEEP, KERNEL_DEEP, KERNEL_FROZEN, Deep, Labels, labels, train
from bench.drift.deep_report import differences, load, results
from bench.drift.last_layer import LAST, LAST_ONE, Kept, Last
from bench.drift.listeners import KINDS
from classifier import ModelConfig
from classifier.musicnn.model import MidEnd, MusiCNN
from classifier.taste.model import TasteModel

CONFIG = ModelConfig(unlabelled_sample=3, weight_cap=1.5)


def test_labels_weigh_listens_by_recency_capped_and_draw_unheard_negatives() -> None:
    h = rankers.History(
        tracks=np.array([2, 2, 2, 5]),
        ages_days=np.array([0.0, 0.0, 7.0, 14.0]),
        candidates=np.array([0, 1, 3, 4, 6]),
        relevant=np.zeros(5, bool),
        seed=0,
    )
    lab = labels(h, 8, seed=1, c=CONFIG)
    assert lab.pos.tolist() == [2, 5]
    np.testing.assert_allclose(lab.weights, [1.5, 0.25])  # 2.5 capped; two half-lives
    assert len(lab.neg) == 3
    assert set(lab.neg) <= {0, 1, 3, 4, 6}
    assert lab.neg.tolist() == sorted(lab.neg.tolist())


def test_the_deep_body_starts_as_the_pretrained_network_and_moves_once_trained() -> None:
    torch.manual_seed(0)
    mid, taste = MidEnd(in_channels=8, filters=4).eval(), TasteModel(in_features=40, units=4)
    torch.nn.init.normal_(taste.head.weight)
    deep = Deep(mid, taste).eval()
    fronts = torch.randn(12, 8, 16)  # 3 tracks of 4 patches
    with torch.no_grad():
        expected = taste(MusiCNN.temporal_pool(mid(fronts)))
        assert torch.allclose(deep(fronts), expected)
    assert float(deep.l2sp().detach()) == 0.0
    lab = Labels(np.array([0]), np.array([1.0]), np.array([1, 2]))
    train(deep, fronts, 4, lab, ModelConfig(batch_size=4), seed=0, steps=3)
    assert float(deep.l2sp().detach()) > 0.0
    assert any(
        not torch.equal(a, b) for a, b in zip(mid.parameters(), deep.part.parameters(), strict=True)
    )


def _records(lead: float) -> dict[str, object]:
    """Two seeds, two scored days each, where the deep rows lead their twins by ``lead``."""
    rng = np.random.default_rng(0)
    records = []
    for kind in KINDS:
        for seed in (0, 1):
            for day, last in ((10, False), (20, True)):
                base = rng.uniform(0.3, 0.6, size=2)
                step = np.array([lead, lead])
                records.append(
                    {"kind": kind, "seed": seed, "day": day, "last": last}
                    | {"shallow": base.tolist(), "deep": (base + step).tolist()}
                    | {"kernel_frozen": base.tolist(), "kernel_deep": base.tolist()}
                )
    return {"corpus": "a", "steps": 3, "days": 60, "every": 10, "records": records}


def test_the_records_read_back_as_drift_results_with_their_differences() -> None:
    res = results(_records(0.1))
    assert set(res.cells) == {BODY, DEEP, KERNEL_FROZEN, KERNEL_DEEP}
    cell = res.cells[DEEP]["switch"]
    assert len(cell.final) == len(cell.along) == 2
    text = differences(res)
    assert f"- {DEEP} less {BODY}: last day P@20 +0.100 (+0.100..+0.100)" in text
    assert f"- {KERNEL_DEEP} less {KERNEL_FROZEN}: last day P@20 +0.000" in text


def test_the_last_layer_body_starts_as_the_pretrained_network_and_moves_once_trained() -> None:
    torch.manual_seed(0)
    mid, taste = MidEnd(in_channels=8, filters=4).eval(), TasteModel(in_features=40, units=4)
    torch.nn.init.normal_(taste.head.weight)
    fronts = torch.randn(12, 8, 16)  # 3 tracks of 4 patches
    model = Last(mid, taste).eval()
    with torch.no_grad():
        pooled = MusiCNN.temporal_pool(mid(fronts))
        hidden = mid.layers[1](mid.layers[0](fronts))
        expected = taste(pooled)
    data = Kept(hidden, pooled)
    with torch.no_grad():
        assert torch.allclose(model(data), expected, atol=1e-6)
        wrong = Kept(hidden, torch.zeros_like(pooled))  # the layer's own channels come back
        assert not torch.allclose(model(wrong), expected)
    assert float(model.l2sp().detach()) == 0.0
    one = data.patch(4, 2)
    assert len(one) == 3
    assert torch.equal(one.hidden, hidden[[2, 6, 10]])
    lab = Labels(np.array([0]), np.array([1.0]), np.array([1, 2]))
    train(model, data, 4, lab, ModelConfig(batch_size=4), seed=0, steps=3)  # type: ignore[arg-type]
    assert float(model.l2sp().detach()) > 0.0
    assert not torch.equal(model.part.conv.weight, mid.layers[-1].conv.weight)


def test_both_runs_records_of_a_listener_day_are_read_as_one(tmp_path: Path) -> None:
    runs = _records(0.1)
    deep_file, last_file = tmp_path / "deep.json", tmp_path / "last.json"
    deep_file.write_text(json.dumps(runs))
    records = runs["records"]
    assert isinstance(records, list)
    last = [
        {k: r[k] for k in ("kind", "seed", "day", "last")}
        | {"last_layer": r["shallow"], "last_layer1": [x - 0.05 for x in r["shallow"]]}
        for r in records
    ]
    last_file.write_text(json.dumps({**runs, "records": last}))
    joined = load([deep_file, last_file])["a"]
    assert len(joined["records"]) == len(records)
    res = results(joined)
    assert set(res.cells) == {BODY, DEEP, KERNEL_FROZEN, KERNEL_DEEP, LAST, LAST_ONE}
    text = differences(res)
    assert f"- {LAST} less {BODY}: last day P@20 +0.000" in text
    assert f"- {LAST_ONE} less {BODY}: last day P@20 -0.050 (-0.050..-0.050)" in text
    assert set(results(_records(0.1)).cells) == {BODY, DEEP, KERNEL_FROZEN, KERNEL_DEEP}
