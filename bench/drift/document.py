"""The ``drift`` section of bench/RESULTS.md, and its "variants tried" companion."""

from __future__ import annotations

import shlex
import sys

from bench.common import RESULTS, write_section
from bench.drift import report
from bench.drift.listeners import HEARD_SHARE, KINDS, LISTENS_PER_DAY, RELEVANT_SHARE
from bench.drift.run import SHIPPED, Results, Settings, kinds_mean
from classifier import ModelConfig
from classifier.taste.kernel import PLAY_CAP
from classifier.taste.moved import MOVED, STEADY
from classifier.taste.smoothing import NEIGHBOURS

VARIANTS_SECTION = "drift-variants"


def setup(s: Settings, config: ModelConfig) -> str:
    """What was measured, in a few paragraphs."""
    kinds = "\n".join(f"- `{k.name}` ({k.days} days): {k.about};" for k in KINDS.values())
    train = "every day" if s.every == 1 else f"every {s.every} days"
    return f"""Styles are a corpus's four Debian packages. A simulated listener hears
{LISTENS_PER_DAY} tracks a day, drawn from the heard {HEARD_SHARE:.0%} of each liked package's
tracks:

{kinds}

noisy's random listens come from the heard tracks of every style. Candidates: every
track never listened to. Relevant on a day: the candidates of the styles the listener
draws at least {RELEVANT_SHARE:.0%} of that day's non-random listens from. Seeds {s.seeds}
(package roles and listens differ per seed); every row sees the same listens and
candidates.

**As shipped** replays the daemon: a fresh SQLite store, the history before the last
{s.days} days loaded at once, then for each of the last {s.days} days that day's listens,
`train_cycle` ({train}) and `rescore` at the day's end, and the queue's scores of that
day's candidates (`[model]` defaults: the body {config.steps} steps, half-life
{config.half_life_days:g} d, L2-SP {config.l2sp:g}; the ranking head {config.mix_steps} steps on
the listens of the last {config.mix_window_days:g} days, L2-SP {config.mix_l2sp:g} toward its start,
the 7-day kernel plus the nearest neighbours less half the 120-day and half the
all-time kernels, those two scaled each cycle by how far the listening moved
(none at a 7-day-to-all-time overlap of {STEADY:g}, all at {MOVED:g}), plus half the
artist signal (the share of the last week's listening that went to the track's
artist: the corpus files' artist tags, where they have one), plus the regression
of the heard tracks (weighed by plays) against the candidates, cross-fitted, scaled
the other way (all of it at an overlap of {STEADY:g}, none at {MOVED:g}), each
track's plays counted up to {PLAY_CAP:g}, over track
profiles (patch mean and spread, of the features and of the back end adapted to the
corpus without labels, {config.adapt_steps} steps); each score then smoothed:
{1 - config.smoothing:g} of it its own, {config.smoothing:g} the kernel-weighted mean of its
{NEIGHBOURS} nearest candidates' (in the queue and in the judge's standings, and the
daemon's similarity's alike);
torch on {s.threads} thread(s)). The other rows use the cached features only (track means),
z-scored over the corpus where they say so; none of them knows the artists.
Columns: the last day, then the mean over the last {s.days} days ("along" the way);
each cell is P@20 / ROC-AUC, the mean over seeds; "mean" is over the kinds.
Under each table, the verdict compares the shipped mean with the best similarity
row's, measure by measure: it "beats" only where the whole {report.LEVEL:.0%} interval of
the difference (a paired bootstrap over the listeners, seeds drawn again within each
kind) is above zero, and "ties" where the interval holds zero. The supervised
ceiling gets the same verdict: how far any ranking on the frozen features could
lead similarity here; and the shipped row is measured against that ceiling too.
The attainable row ranks every relevant candidate first: its P@20 is below 1 where
fewer than 20 candidates are relevant (a small corpus's last days), so it is the most
any row can reach, and the room above the best similarity row is measured against it."""


def write_drift(results: list[Results], s: Settings, config: ModelConfig) -> str:
    """Write and return the ``drift`` section."""
    blocks = "\n\n".join(report.corpus_block(r) for r in results)
    section = f"## Taste drift on real recordings\n\n{setup(s, config)}\n\n{blocks}\n"
    write_section("drift", section)
    _ensure_variants_after_drift()
    return section


def _ensure_variants_after_drift() -> None:
    """An empty "variants tried" section right after ``drift``, unless there is one."""
    text = RESULTS.read_text(encoding="utf-8")
    if f"<!-- begin {VARIANTS_SECTION} -->" in text:
        return
    block = (
        f"<!-- begin {VARIANTS_SECTION} -->\n### Taste drift: variants tried\n\n"
        "None yet: add them to bench/drift/variants.py and run "
        "`python -m bench.drift --variants --write-variants`.\n"
        f"<!-- end {VARIANTS_SECTION} -->"
    )
    text = text.replace("<!-- end drift -->", f"<!-- end drift -->\n\n{block}", 1)
    RESULTS.write_text(text, encoding="utf-8")


def write_variants(results: list[Results], s: Settings) -> str:
    """Write and return the "variants tried" section: each shipped row's four-kind means."""
    command = shlex.join(["python", "-m", "bench.drift", *sys.argv[1:]])
    lines = [
        "### Taste drift: variants tried",
        "",
        f"Made by `{command}` (kinds {', '.join(s.kinds)}; seeds {s.seeds}; the last {s.days}"
        f" days, a cycle every {s.every}); overrides from bench/drift/variants.py.",
        "",
        "| corpus | row | overrides | mean, last day | mean along the way |",
        "|---|---|---|---|---|",
    ]
    for res in results:
        for row in (r for r in res.cells if r.startswith(SHIPPED)):
            name = row.removeprefix(f"{SHIPPED} with ")
            over = s.variants.get(name, s.overrides if row == SHIPPED else {})
            last, along = kinds_mean(res, row, False), kinds_mean(res, row, True)
            lines.append(
                f"| {res.corpus.upper()} | {row} | {over or '-'} | "
                f"{last[0]:.2f} / {last[1]:.2f} | {along[0]:.2f} / {along[1]:.2f} |"
            )
    section = "\n".join(lines) + "\n"
    if f"<!-- begin {VARIANTS_SECTION} -->" not in RESULTS.read_text(encoding="utf-8"):
        _ensure_variants_after_drift()
    write_section(VARIANTS_SECTION, section)
    return section
