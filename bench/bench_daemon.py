"""The whole daemon on the demo corpus: wall time and the daemon's peak memory."""

from __future__ import annotations

import resource
import tempfile
from pathlib import Path

from rich.console import Console

from bench.common import write_section
from daemon.demo import DEMO_PATCHES, DemoPlan, run_demo


def main() -> str:
    """Run the demo flow (real `tastebud run` subprocess) and write the ``daemon`` section."""
    with tempfile.TemporaryDirectory() as tmp:
        result = run_demo(Path(tmp) / "state", DemoPlan(), Console(quiet=True))
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    plan = DemoPlan()
    tracks = sum(plan.candidates.values()) + plan.history_per_style * 3
    drift = sum(s == plan.drift_style for s in result.top_styles)
    text = (
        "## The daemon end to end (the demo corpus)\n\n"
        f"`tastebud run` on {tracks} synthesised tracks of {plan.seconds:.0f} s "
        f"(fetch over loopback HTTP, decode, {DEMO_PATCHES} patches each, embed, train, score).\n\n"
        "| measure | value |\n|---|---|\n"
        f"| corpus to scored queue, wall time | {result.seconds:.0f} s |\n"
        f"| daemon peak RSS | {peak_mib:.0f} MiB |\n"
        f"| top 10 from the style the history drifted to | {drift}/10 |"
    )
    write_section("daemon", text)
    return text


if __name__ == "__main__":
    print(main())
