"""The drift tables and verdicts, in Markdown, from :class:`bench.drift.run.Results`."""

from __future__ import annotations

import math

import numpy as np

from bench.drift.run import NOT_SIMILARITY, SHIPPED, Results, kinds_mean, row_mean


def _pair(p: float, a: float) -> str:
    return "n/a" if math.isnan(p) else f"{p:.2f} / {a:.2f}"


def _cells(res: Results, row: str, along: bool) -> list[str]:
    kinds = [_pair(*row_mean(res, row, k, along)) for k in res.settings.kinds]
    return [*kinds, f"**{_pair(*kinds_mean(res, row, along))}**"]


def table(res: Results) -> str:
    """Rows x kinds, P@20 / ROC-AUC on the last day, then the mean along the way."""
    kinds = res.settings.kinds
    head = [*kinds, "mean", *(f"{k}, along" for k in kinds), "mean along"]
    lines = [
        "| ranking (P@20 / ROC-AUC) | " + " | ".join(head) + " |",
        "|---" * (len(head) + 1) + "|",
    ]
    for row in res.cells:
        name = f"**{row}**" if row.startswith(SHIPPED) else row
        cells = _cells(res, row, False) + _cells(res, row, True)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _similarity_rows(res: Results) -> list[str]:
    return [r for r in res.cells if r not in NOT_SIMILARITY and not r.startswith(SHIPPED)]


def _best(res: Results, along: bool, measure: int) -> tuple[float, str]:
    scored = [(round(kinds_mean(res, r, along)[measure], 2), r) for r in _similarity_rows(res)]
    return max(scored, key=lambda x: x[0])


def _compare(ours: float, best: float) -> str:
    return "beats" if ours > best else "ties" if ours == best else "loses to"


def verdict(res: Results, row: str = SHIPPED) -> str:
    """Whether ``row`` beats the best similarity row on the four-kind mean, from the
    rounded figures the table shows, on the last day and along the way."""
    if row not in res.cells or not _similarity_rows(res):
        return ""
    parts = []
    for along, when in ((False, "last day"), (True, "along the way")):
        ours = [round(x, 2) for x in kinds_mean(res, row, along)]
        words = []
        for m, measure in enumerate(("P@20", "ROC-AUC")):
            best, name = _best(res, along, m)
            short = name.split(" (")[0]
            words.append(f"{measure} {ours[m]:.2f} {_compare(ours[m], best)} {best:.2f} ({short})")
        both = all(ours[m] > _best(res, along, m)[0] for m in range(2))
        parts.append(f"{when}: {'BEATS' if both else 'does not beat'} ({'; '.join(words)})")
    head = f"Corpus {res.corpus.upper()}, {row} vs the best similarity row"
    return f"{head}: {'. '.join(parts)}."


def costs(res: Results) -> str:
    """Per-cycle training and rescoring time, and how often plain similarity ranked the queue."""
    lines = []
    for row, c in res.costs.items():
        if not c.days:
            continue
        train = f"{np.mean(c.train_s):.2f} s mean, {np.max(c.train_s):.2f} s max"
        lines.append(
            f"- {row}: training cycle {train} ({len(c.train_s)} cycles); rescore "
            f"{np.mean(c.rescore_s):.3f} s mean; plain similarity ranked the queue on "
            f"{c.similarity_days} of {c.days} days (the model on the rest)."
        )
    return "\n".join(lines)


def corpus_block(res: Results) -> str:
    """One corpus's table, verdict and costs."""
    text = f"### Corpus {res.corpus.upper()}: {res.n_tracks} tracks ({res.counts})\n\n{table(res)}"
    for extra in (verdict(res), costs(res)):
        text += f"\n\n{extra}" if extra else ""
    return text
