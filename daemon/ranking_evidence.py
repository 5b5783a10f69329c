"""What orders the queue and how far to trust it: the readout ``tastebud status``, the
dashboard's model panel and the web page share.

- **Ranked by**: the scores the last rescoring wrote say what orders the queue (a model
  version, or none: similarity, or feed order when nothing was listened to or liked);
  the prequential judge's state (:meth:`~store.Store.ranker`) says why similarity ranks
  under a champion, and what will rank once the queue is rescored.
- **Evidence**: the record the judge decides on: the standing of each new listen among
  the candidates under the model and under similarity, as both ranked before it; the
  number of listens (and how many came from the first model's held-out split), the mean
  difference and its interval (:mod:`classifier.taste.prequential`, read here without
  importing torch).
- **Validation**: the champion's ``hit_at_k`` and ``percentile`` on ``n_heldout``
  held-out listens of its own training cycle, beside the similarity ranking's on the
  same listens. A model from before these measures shows its ROC-AUC, marked as the
  older measure. A measure that is missing (or was stored as null) reads ``not measured``.
- **Trend**: ``percentile`` of every model that was ever promoted and has the new
  measures, oldest first; NaN (a gap) where it was not measured.
- **Untrained**: without a champion, why the last training cycle trained nothing (the
  train job keeps it in the :data:`UNTRAINED_CURSOR` cursor), or what it waits for.

Every score the queue shows is a standing: where the track stands among the N
candidates under what ranks, 1.0 the best, 1/N the last.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from classifier import Record
from store import ModelRecord, RankerState, Store

__all__ = [
    "MEASURES",
    "UNTRAINED_CURSOR",
    "RankedBy",
    "Readout",
    "adapted_on",
    "evidence_record",
    "percentile_trend",
    "ranking",
    "readout",
    "validation_line",
]

RankedBy = Literal["model", "similarity", "feed order"]

MEASURES = (
    "k",
    "n_heldout",
    "hit_at_k",
    "percentile",
    "similarity_hit_at_k",
    "similarity_percentile",
    "champion_hit_at_k",
    "champion_percentile",
    "overlap",
    "contrast",
)
"""The champion's validation numbers, as ``status --json`` reports them (null: not measured):
the held-out listens' measures, then how far taste had moved when it was trained
(:mod:`classifier.taste.moved`: the overlap of the last week's listening with all of it,
and the share of the head's contrast that gave)."""

NOT_MEASURED = "not measured"
UNTRAINED_CURSOR = "model:untrained"  # why the last training cycle trained nothing


@dataclass(frozen=True)
class Readout:
    """What orders the queue, the evidence behind it and how the champion was judged, as
    lines and as numbers."""

    ranked_by: RankedBy
    ranker: str  # the header's words: "model v7", "similarity", "feed order"
    ranking: str  # "ranked by: model v7"
    validation: str  # "hit@20 0.45 on 12 held-out listens (similarity 0.40), percentile 0.91"
    # or "ROC-AUC 0.81 (older measure)", or "no model yet"
    numbers: dict[str, float | None]  # MEASURES and roc_auc; None: not measured
    untrained: str = ""  # without a champion: why, "untrained: ..."
    evidence: str = ""  # "evidence: model 0.81 vs similarity 0.78 on 140 new listens ..."
    record: dict[str, Any] = field(default_factory=dict)  # the evidence as numbers


def readout(store: Store, champion: ModelRecord | None, k: int, min_labels: int = 5) -> Readout:
    """The readout of ``store`` under ``champion``; ``k`` is the configured cut-off, for a
    model that did not record its own; ``min_labels`` is ``[model] min_labels``."""
    heard = store.counts()["embedded_labelled"] > 0
    state = store.ranker()
    last = store.last_scored()
    ranked_by, line = ranking(champion, last, _has_positives(store), heard=heard, state=state)
    metrics = champion.metrics if champion else {}
    numbers = {name: _measure(metrics, name) for name in (*MEASURES, "roc_auc")}
    validation = validation_line(metrics, k) if champion else "no model yet"
    untrained = "" if champion else _untrained(store, min_labels)
    record = evidence_record(store, state)
    version = last[0] if last else None
    words = f"model v{version}" if ranked_by == "model" else ranked_by
    evidence = f"evidence: {_evidence_line(record)}" if champion else ""
    return Readout(ranked_by, words, line, validation, numbers, untrained, evidence, record)


def evidence_record(store: Store, state: RankerState | None = None) -> dict[str, Any]:
    """The judge's record since what ranks last changed, as ``status --json`` gives it."""
    state = state or store.ranker()
    rows = store.evidence(after=state.after_evidence)
    record = Record.of(rows)
    low, high = record.interval()
    finite = len(record) > 0
    return {
        "ranker": state.ranker,
        "since": state.since,
        "why": state.reason,
        "listens": len(record),
        "seeded": sum(r.seeded for r in rows),
        "model_standing": float(record.model.mean()) if finite else None,
        "similarity_standing": float(record.similarity.mean()) if finite else None,
        "difference": record.difference if finite else None,
        "interval": [low, high] if finite else None,
        "summary": record.summary(),
    }


def _evidence_line(record: Mapping[str, Any]) -> str:
    """The record in words, and what it means for what ranks."""
    if not record["listens"]:
        who = "the model" if record["ranker"] == "model" else "similarity"
        return f"no new listens tested yet: {who} ranks until they say otherwise"
    summary = str(record["summary"]).replace(" listens (", " new listens (", 1)
    if record["seeded"]:
        summary += f"; {record['seeded']} of them from a new model's held-out split"
    low, high = record["interval"]
    if record["ranker"] == "model":
        if low > 0:
            return f"{summary}: the model ranks better"
        return (
            f"{summary}: not enough to switch; similarity ranks only if the interval falls below 0"
        )
    if high < 0:
        return f"{summary}: similarity ranks better"
    return f"{summary}: not enough to switch; the model ranks again if the interval rises above 0"


def _untrained(store: Store, min_labels: int) -> str:
    """Why there is no model: the last training cycle's reason, else what it waits for."""
    if reason := store.get_cursor(UNTRAINED_CURSOR):
        return reason
    return f"untrained: it trains once {min_labels} listened or liked tracks have features"


def _has_positives(store: Store) -> bool:
    return bool(store.recent_listens(1)) or any(e.kind == "like" for e in store.feedback())


def ranking(
    champion: ModelRecord | None,
    last_scored: tuple[int | None, float] | None,
    has_positives: bool,
    *,
    heard: bool = True,
    state: RankerState | None = None,
) -> tuple[RankedBy, str]:
    """(what orders the queue, the line that says so), from the model version of the
    newest scores (:meth:`~store.Store.last_scored`: None ranks by similarity or feed order);
    ``heard``: some listened or liked track has features (similarity needs them);
    ``state``: the prequential judge's choice (default: the model ranks)."""
    judged = state.ranker if state else "model"
    if last_scored is None:
        return "feed order", "ranked by: feed order (nothing scored yet)"
    version = last_scored[0]
    if version is not None:
        return (
            "model",
            f"ranked by: model v{version}{_until_next_rescore(champion, version, judged)}",
        )
    if champion is None:
        if not has_positives:
            return "feed order", "ranked by: feed order (nothing listened to or liked yet)"
        if not heard:
            return "feed order", (
                "ranked by: feed order (no listened or liked track has features yet: they "
                "wait to be fetched)"
            )
        return "similarity", "ranked by: similarity to your listens (no model yet)"
    if judged == "similarity":
        return "similarity", "ranked by: similarity (it ranked new listens better than the model)"
    return (
        "similarity",
        f"ranked by: similarity (model v{champion.version} ranks from the next rescore)",
    )


def _until_next_rescore(champion: ModelRecord | None, version: int, judged: str) -> str:
    """What will rank instead once the queue is rescored, when not the model that does now."""
    if champion is None or (champion.version == version and judged == "model"):
        return ""
    next_up = "similarity" if judged == "similarity" else f"v{champion.version}"
    return f" ({next_up} ranks from the next rescore)"


def validation_line(metrics: Mapping[str, float], k: int) -> str:
    """``hit@20 0.45 on 12 held-out listens (similarity 0.40), percentile 0.91``, then how
    far taste had moved when the champion was trained, or the older ``ROC-AUC 0.81 (older
    measure)``."""
    if not _is_new(metrics) and "roc_auc" in metrics:
        return f"ROC-AUC {_fmt(_measure(metrics, 'roc_auc'))} (older measure)"
    cut = _measure(metrics, "k")
    n = _measure(metrics, "n_heldout")
    hit = f"hit@{k if cut is None else int(cut)} {_fmt(_measure(metrics, 'hit_at_k'))}"
    sample = f" on {n:.0f} held-out listens" if n is not None else " (held-out sample not measured)"
    similarity = f" (similarity {_fmt(_measure(metrics, 'similarity_hit_at_k'))})"
    line = f"{hit}{sample}{similarity}, percentile {_fmt(_measure(metrics, 'percentile'))}"
    return line + _taste(metrics)


def _taste(metrics: Mapping[str, float]) -> str:
    """``; taste moved (the last week overlaps all listening 0.82)``, or steady, or moving;
    nothing for a model from before the measure."""
    moved, share = _measure(metrics, "overlap"), _measure(metrics, "contrast")
    if moved is None or share is None:
        return ""
    word = "moved" if share >= 1.0 else "steady" if share <= 0.0 else "moving"
    return f"; taste {word} (the last week overlaps all listening {moved:.2f})"


def adapted_on(champion: ModelRecord) -> int | None:
    """The library size the champion's similarity was adapted to (None: not adapted)."""
    size = champion.hparams.get("adapted_on")
    return int(size) if isinstance(size, int | float) and size > 0 else None


def percentile_trend(models: Sequence[ModelRecord]) -> tuple[float, ...]:
    """``percentile`` of each model ever promoted that has the new measures, oldest first;
    NaN where it was not measured."""
    promoted = [m for m in models if m.promoted_at is not None]
    values = [_measure(m.metrics, "percentile") for m in promoted if _is_new(m.metrics)]
    return tuple(math.nan if v is None else v for v in values)


def _is_new(metrics: Mapping[str, float]) -> bool:
    """Whether a model was judged by the held-out-listen measures (not only ROC-AUC)."""
    return any(name in metrics for name in MEASURES)


def _measure(metrics: Mapping[str, object], name: str) -> float | None:
    """A finite number, else None (missing, null, NaN, or not a number)."""
    value = metrics.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _fmt(value: float | None) -> str:
    return NOT_MEASURED if value is None else f"{value:.2f}"
