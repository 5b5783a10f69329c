"""``python -m daemon.demo [--state DIR]`` (``make demo``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from daemon.demo.playlists import localize_playlist
from daemon.demo.run import DemoPlan, run_demo
from store import TastebudError


def top_line(styles: list[str]) -> str:
    """What the dashboard's top 10 above holds, style by style, the drift style first."""
    drift = DemoPlan().drift_style
    counts = {style: styles.count(style) for style in sorted(set(styles))}
    order = sorted(counts, key=lambda style: (style != drift, -counts[style], style))
    parts = ", ".join(f"{counts[style]} {style}" for style in order)
    return f"the top {len(styles)} above: {parts} ({drift} is the style the history drifted to)"


def main(argv: list[str] | None = None) -> int:
    """Run the demo, print the dashboard once and export the top 20."""
    from daemon.cli import main as cli

    parser = argparse.ArgumentParser(description="run the tastebud demo")
    parser.add_argument("--state", type=Path, default=Path("demo-state"), help="demo state dir")
    args = parser.parse_args(argv)
    console = Console()
    state = args.state.resolve()
    try:
        result = run_demo(state, DemoPlan(), console)
    except TastebudError as exc:
        console.print(f"[red]demo failed:[/red] {exc} (daemon log: {state / 'daemon.log'})")
        return 1
    cfg = str(result.config_path)
    cli(["--config", cfg, "dashboard", "--once"])
    outputs = [state / "top20.m3u8", state / "top20.xspf"]
    for out in outputs:
        cli(
            [
                "--config",
                cfg,
                "export",
                "--format",
                out.suffix[1:],
                "--limit",
                "20",
                "--out",
                str(out),
            ]
        )
    # the loopback server is gone: point the playlists at the corpus files so they still play
    outputs += sorted((state / "playlists").glob("*.*"))
    for out in outputs:
        localize_playlist(out, state / "www" / "audio")
    console.print(f"\ndemo finished in {result.seconds:.0f} s; {top_line(result.top_styles)}")
    console.print("playlists: " + ", ".join(str(p) for p in outputs))
    console.print(f"live dashboard: .venv/bin/tastebud --config {cfg} dashboard")
    return 0


if __name__ == "__main__":
    sys.exit(main())
