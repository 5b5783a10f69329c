"""Speed: rank and rescore 100k candidates, decode only the excerpts, embed near the
machine's matmul rate, keep both cores busy on a ``directory`` feed.

Every speed is put beside a floor or a baseline measured in the same run (the
machine may be shared), and every faster path beside its fidelity to today's path.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from bench import speed_audio as audio
from bench import speed_store
from bench.common import CACHE, write_section
from classifier import (
    Embedder,
    ModelConfig,
    MusiCNN,
    featurize_file,
    load_musicnn,
    rescore,
    train_cycle,
)
from classifier.cycle import rank_tracks
from classifier.cycle.features import load_features
from classifier.cycle.scene import BASIS_LIMIT, scene_at
from classifier.cycle.validation import content_logits
from classifier.musicnn.model import POOLED_DIM
from classifier.taste.checkpoints import load_checkpoint, resolve_checkpoint
from classifier.taste.features import track_profiles
from classifier.taste.mix import model_inputs
from classifier.taste.model import TasteModel
from store import Store

__all__ = ["main"]

CANDIDATES = 100_000
ROUNDS = 3
"""Runs of the rescore and end-to-end rows, each in turn with its floor or baseline:
every figure is the best of its runs (the machine may be shared)."""
KEY = "MSD_musicnn"


def rank_row(tmp: Path) -> str:
    with speed_store.populate_candidates(tmp / "rank.db", CANDIDATES) as store:
        seconds = speed_store.rank_seconds(store)
    return (
        f"| rank 100k (`Store.queue(50)`) | {seconds * 1000:.1f} ms | target < 100 ms "
        "| the plain ranking rules' order (property test) |"
    )


def rescore_row(tmp: Path) -> str:
    """The daemon's ``rescore`` of 100k candidates under a trained champion, beside its
    floor: reading the features, the body's matmul (every patch by the dense layer and
    the adapter's, side by side) and the similarity's (every track's profile by the
    history's basis), float32, large blocks;
    each the best of :data:`ROUNDS` measured in turn (the machine's load varies)."""
    config = ModelConfig()
    models = tmp / "models"
    with speed_store.populate_candidates(tmp / "rescore.db", CANDIDATES, key=KEY) as store:
        speed_store.add_history(store, BASIS_LIMIT, KEY)
        trained = train_cycle(store, config, models)
        ids = store.candidate_ids()
        read, body, similarity, seconds = (float("inf"),) * 4
        adapter = _champion(store, models).adapter()
        adapted = adapter.units if adapter is not None else 0
        # every feature of the synthetic tracks varies: both halves of both parts
        profiles = 2 * (POOLED_DIM + adapted)
        units = 200 + adapted
        for _ in range(ROUNDS):  # each the best of its rounds, measured in turn
            read = min(read, speed_store.read_floor_seconds(store, KEY, ids))
            body = min(body, speed_store.matmul_floor_seconds(CANDIDATES * 10, units=units))
            against = speed_store.matmul_floor_seconds(CANDIDATES, profiles, BASIS_LIMIT)
            similarity = min(similarity, against)
            start = time.perf_counter()
            written = rescore(store, config, models)
            seconds = min(seconds, time.perf_counter() - start)
        diff = _against_reference(store, config, models, ids[:: CANDIDATES // 500])
    floor = read + body + similarity
    return (
        f"| rescore 100k (10 patches each; champion v{trained.version}, history of "
        f"{BASIS_LIMIT} tracks) | {seconds:.1f} s ({written} scored) | floor {floor:.1f} s "
        f"(read {read:.1f} + body matmul {body:.1f} + similarity matmul {similarity:.1f}): "
        f"**{seconds / floor:.2f}x** (target <= 1.5x) | ranking score diff {diff:.1e} vs "
        "the unfolded model, track by track |"
    )


def _champion(store: Store, models: Path) -> TasteModel:
    champion = store.champion()
    if champion is None:
        raise SystemExit("rescore bench: the training cycle promoted no champion")
    return load_checkpoint(resolve_checkpoint(champion.checkpoint, models)).eval()


def _against_reference(store: Store, config: ModelConfig, models: Path, ids: list[int]) -> float:
    """Largest difference between the fast path's raw ranking scores of ``ids`` and the
    plain path's: the unfolded model's mean patch logits, each track's similarity
    features computed on its own."""
    model = _champion(store, models)
    now = time.time()
    scene = scene_at(store, config, KEY, store.embedded_ids(KEY), now, model.adapter())
    fast = dict(rank_tracks(model, scene, store, KEY, ids, now=now))
    feats = load_features(store, KEY, ids)
    with torch.no_grad():
        content = content_logits(model, feats)
        vectors = track_profiles(feats, np.arange(len(feats.track_ids)), model.adapter())
        times = np.full(len(vectors), now)  # one time per track: the per-track path
        inputs = model_inputs(model, scene, vectors, content, times, ids=feats.track_ids)
        plain = model.rank(torch.from_numpy(inputs.astype(np.float32))).double().numpy()
    got = np.array([fast[int(t)] for t in feats.track_ids])
    return float(np.abs(got - plain).max())


def embedding_rows(paths: list[Path], reference_model: MusiCNN) -> list[str]:
    """Patches per second over the sgemm rate measured in turn with it: onnxruntime as
    the fetch job's analysis workers run it (its own process, one thread, denormals
    flushed), and torch."""
    patches = np.concatenate([featurize_file(p) for p in paths[:6]])
    flops = audio.flops_per_patch(reference_model)
    torch.set_num_threads(1)
    torch_model = Embedder(load_musicnn(KEY))
    reference = torch_model(patches)[0].astype(np.float32)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as worker:
        onnx = worker.submit(audio.worker_rate, KEY, CACHE, patches).result()
    measured = {"onnxruntime": onnx, "torch": (*audio.interleaved(torch_model, patches), None)}
    rows = []
    for name, (rate, sgemm, features) in measured.items():
        got = reference if features is None else features.astype(np.float32)
        rows.append(
            f"| embed, {name}, 1 thread | {rate:.1f} patches/s = {rate * flops / 1e9:.1f} "
            f"GFLOP/s | sgemm 1 thread, same-length windows {sgemm / 1e9:.1f} GFLOP/s: "
            f"**{rate * flops / sgemm:.0%}** (target >= 80%) | {audio.fidelity(got, reference)} |"
        )
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    return rows


def decode_rows(tracks: dict[str, list[Path]], today: dict[Path, np.ndarray]) -> list[str]:
    model = load_musicnn(KEY)
    rows = []
    for ext, paths in tracks.items():
        whole = _timed(lambda p: featurize_file(p, seek=False), paths)
        seek = _timed(featurize_file, paths)
        means = np.stack([audio.embed_mean(model, featurize_file(p)) for p in paths])
        reference = np.stack([today[p] for p in paths])
        rows.append(
            f"| decode + features, {audio.CODECS[ext]} ({len(paths)} tracks) | excerpts "
            f"{seek:.2f} s/track | whole file {whole:.2f} s/track: **{whole / seek:.1f}x** | "
            f"{audio.fidelity(means, reference)} |"
        )
    return rows


def _timed(fn: object, paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        fn(path)  # type: ignore[operator]
    return (time.perf_counter() - start) / len(paths)


def end_to_end_rows(paths: list[Path], today: dict[Path, np.ndarray], tmp: Path) -> list[str]:
    library = tmp / "library"
    library.mkdir()
    for path in paths:  # copies: a directory feed reads no file outside its folder
        shutil.copyfile(path, library / path.name)
    Embedder.load(KEY)  # the ONNX graph is exported once after an install, not per run
    embedder = Embedder.load(KEY, threads=len(os.sched_getaffinity(0)), graph_dir=CACHE)
    runs, muse_s = [], float("inf")
    for i in range(ROUNDS):  # in turn, each path the best of its rounds
        (tmp / f"once-{i}").mkdir()
        runs.append(_tastebud_once(library, tmp / f"once-{i}"))
        muse_run, muse = audio.audiomuse(paths, embedder)
        muse_s = min(muse_s, muse_run)
    seconds, steady, process, stored = min(runs, key=lambda run: run[0])
    reference = np.stack([today[p] for p in paths])
    ours = np.stack([stored[p.name] for p in paths])
    n = len(paths)
    every = ", ".join(f"{n / run[0]:.2f}" for run in runs)
    return [
        f"| `tastebud once`, `directory` feed of {n} recordings of 4-5 min "
        f"| **{n / seconds:.2f} tracks/s** (the fetch job, its workers' model loads "
        f"included; best of {ROUNDS} runs: {every}; in the best, {steady:.2f} tracks/s "
        f"from the first track stored to the last and {n / process:.2f} from the start "
        "of the process) "
        f"| AudioMuse-style path "
        f"{n / muse_s:.2f} tracks/s: **{muse_s / seconds:.1f}x** (target >= 3.5 tracks/s) "
        f"| {audio.fidelity(ours, reference)} |",
        f"| AudioMuse-style (whole decode, onnxruntime, one process) | {n / muse_s:.2f} "
        f"tracks/s | | {audio.fidelity(muse, reference)} |",
    ]


def _tastebud_once(library: Path, tmp: Path) -> tuple[float, float, float, dict[str, np.ndarray]]:
    """(fetch-job seconds, tracks/s between the first and the last track stored, seconds
    from the start of the process to the last track stored, the stored mean features
    per file name)."""
    config = tmp / "config.toml"
    config.write_text(
        f'[storage]\ndir = "{tmp / "state"}"\ncache_dir = "{tmp / "cache"}"\n\n'
        f'[[feeds]]\ntype = "directory"\npath = "{library}"\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "daemon.cli", "--config", str(config), "once"]
    started = time.time()
    subprocess.run(command, check=True, capture_output=True, env=dict(os.environ))
    with Store.open(tmp / "state" / "tastebud.db", readonly=True) as store:
        run = store.runs("fetch", limit=1)[0]
        stored = {
            Path(t.url or "").name: audio.mean_of(store.get_embedding(t.id, KEY))
            for t in store.tracks("ready")
        }
        with store.read() as conn:
            rows = conn.execute("SELECT updated_at FROM tracks WHERE state = 'ready'")
            done = sorted(t for (t,) in rows)
    steady = (len(done) - 1) / max(done[-1] - done[0], 1e-9) if len(done) > 1 else 0.0
    fetch = (run.finished_at or time.time()) - run.started_at
    return fetch, steady, (done[-1] if done else time.time()) - started, stored


def main() -> str:
    """Run every measurement and write the ``speed`` section."""
    with tempfile.TemporaryDirectory(prefix="tastebud-speed-") as name:
        tmp = Path(name)
        rows = [rank_row(tmp), rescore_row(tmp)]
        tracks = audio.corpus()
        paths = [p for group in tracks.values() for p in group]
        model = load_musicnn(KEY)
        today = {p: m for p, m in zip(paths, audio.today(paths, model), strict=True)}
        rows += embedding_rows(paths, model)
        rows += decode_rows(tracks, today)
        rows += end_to_end_rows(paths, today, tmp)
    text = (
        "## Speed: excerpt decoding, embedding, rescoring and ranking\n\n"
        f"Corpus: {audio.PER_CODEC} real recordings of 4-5 min per codec (game soundtracks "
        "from Debian packages: Vorbis as shipped, others transcoded to 128 kb/s stereo). "
        "Today's path: whole-file decode "
        "and the torch port, one track at a time. Fidelity: max abs difference of the "
        "1506 mean track features, the Spearman correlation of all pairwise track "
        "cosine similarities, and the worst track's cosine, against today's path (the "
        "embedding rows: per patch, against torch). FLOPs of a patch by torch's FLOP "
        f"counter: {audio.flops_per_patch(load_musicnn(KEY)) / 1e9:.2f} GFLOP.\n\n"
        "| what | ours | same-run floor or baseline | fidelity |\n|---|---|---|---|\n"
        + "\n".join(rows)
    )
    write_section("speed", text)
    return text


if __name__ == "__main__":
    print(main())
