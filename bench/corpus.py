"""The dev corpus of the taste-drift benchmark: real game soundtracks, labelled by package.

Music files longer than :data:`MIN_SECONDS` are taken from four Debian data
packages (``apt-get download`` + ``dpkg-deb``, under ``bench/.cache/``, never
committed). Each track is cut into :data:`N_PATCHES` evenly spaced log-mel
patches (musicnn's input: 16 kHz, n_fft 512, hop 256, 96 Slaney mels,
``log10(1 + 10000 * power)``, 187 frames) and run once through the pretrained
musicnn; the per-patch back-end input (1506) and tag probabilities (50) are
cached in ``bench/.cache/corpus_<model>.npz`` so re-runs are fast.
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common import CACHE

logger = logging.getLogger(__name__)

PACKAGES = ("hedgewars-data", "freedroidrpg-data", "supertuxkart-data", "pushover-data")
AUDIO_SUFFIXES = (".ogg", ".mp3", ".flac", ".wav")
MIN_SECONDS = 40.0
N_PATCHES = 10
SAMPLE_RATE, N_FFT, HOP, N_MELS, PATCH_FRAMES = 16000, 512, 256, 96, 187
# Not music: ambient loops shipped beside SuperTuxKart's track models.
_EXCLUDE = ("/library/",)


@dataclass(frozen=True)
class Corpus:
    """Per-track cached musicnn outputs: ``features`` (N, P, 1506) float16, ``tags`` (N, P, 50)."""

    paths: list[str]
    packages: list[str]
    features: np.ndarray
    tags: np.ndarray

    @property
    def labels(self) -> np.ndarray:
        """Index of each track's package in :data:`PACKAGES`."""
        return np.array([PACKAGES.index(p) for p in self.packages])


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


def extract(package: str) -> Path:
    """Download and unpack ``package`` under ``bench/.cache/x/<package>`` (once)."""
    root = CACHE / "x" / package
    if (root / ".done").exists():
        return root
    debs = CACHE / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{package}_*.deb")):
        _run("apt-get", "download", package, cwd=debs)
    root.mkdir(parents=True, exist_ok=True)
    deb = next(debs.glob(f"{package}_*.deb"))
    _run("dpkg-deb", "-x", str(deb), str(root), cwd=debs)
    (root / ".done").touch()
    return root


def duration_s(path: Path) -> float:
    """Container duration in seconds (0 when unknown or not audio)."""
    import av

    try:
        with av.open(str(path)) as container:
            return (container.duration or 0) / 1e6
    except (av.FFmpegError, OSError):
        return 0.0


def music_files(package: str) -> list[Path]:
    """The package's audio files longer than :data:`MIN_SECONDS`, sorted."""
    root = extract(package)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    keep = [p for p in files if not any(x in str(p) for x in _EXCLUDE)]
    return [p for p in keep if duration_s(p) > MIN_SECONDS]


def decode(path: Path) -> np.ndarray:
    """Mono float32 samples at 16 kHz (PyAV)."""
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
    chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    return np.concatenate(chunks).astype(np.float32)


def patches(samples: np.ndarray, n_patches: int = N_PATCHES) -> np.ndarray:
    """``n_patches`` evenly spaced log-mel patches ``(P, 187, 96)`` float32 (librosa)."""
    import librosa

    mel = librosa.feature.melspectrogram(
        y=samples, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS
    )
    logmel = np.log10(1 + 10000 * mel.T.astype(np.float32))
    starts = np.linspace(0, logmel.shape[0] - PATCH_FRAMES, n_patches).astype(int)
    return np.stack([logmel[s : s + PATCH_FRAMES] for s in starts])


def _embed(model: object, mel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import torch

    with torch.no_grad():
        out = model(torch.from_numpy(mel))  # type: ignore[operator]
    pooled = torch.cat([out.max_pool, out.mean_pool], dim=1)
    return pooled.numpy().astype(np.float16), out.taggram.numpy().astype(np.float32)


def build(name: str = "MSD_musicnn") -> Corpus:
    """The corpus, from the npz cache or computed (minutes on two cores, once)."""
    cache = CACHE / f"corpus_{name}.npz"
    if cache.exists():
        data = np.load(cache)
        return Corpus(list(data["paths"]), list(data["packages"]), data["features"], data["tags"])
    from classifier.musicnn import load_musicnn

    model = load_musicnn(name)
    paths, packages, feats, tags = [], [], [], []
    for package in PACKAGES:
        for path in music_files(package):
            f, t = _embed(model, patches(decode(path)))
            paths.append(str(path.relative_to(CACHE)))
            packages.append(package)
            feats.append(f)
            tags.append(t)
            logger.info("embedded %s", path.name)
    corpus = Corpus(paths, packages, np.stack(feats), np.stack(tags))
    np.savez(cache, paths=paths, packages=packages, features=corpus.features, tags=corpus.tags)
    return corpus


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    c = build()
    print({p: c.packages.count(p) for p in PACKAGES})
