"""Embedding throughput: musicnn patches per second on this machine (CPU)."""

from __future__ import annotations

import numpy as np
import torch

from bench.common import timer, write_section
from classifier import N_MELS, PATCH_FRAMES, MusiCNN, embed_patches, load_musicnn

BATCHES = (1, 10, 64)
REPEATS = 3


def _throughput(model: MusiCNN, n: int) -> float:
    shape = (n, PATCH_FRAMES, N_MELS)
    patches = np.random.default_rng(0).normal(2.0, 1.0, shape).astype(np.float32)
    embed_patches(model, patches[: min(n, 4)])  # warm-up
    best = 0.0
    for _ in range(REPEATS):
        with timer() as t:
            embed_patches(model, patches)
        best = max(best, n / t[0])
    return best


def main() -> str:
    """Measure and write the ``embed`` section of RESULTS.md."""
    model = load_musicnn("MSD_musicnn")
    rows = [f"| {n} | {_throughput(model, n):.1f} |" for n in BATCHES]
    text = (
        "## Embedding throughput (musicnn, CPU)\n\n"
        f"`embed_patches` on random log-mel patches, torch threads: {torch.get_num_threads()}, "
        f"best of {REPEATS}. A track is 10 patches.\n\n"
        "| patches per call | patches per second |\n|---|---|\n" + "\n".join(rows)
    )
    write_section("embed", text)
    return text


if __name__ == "__main__":
    print(main())
