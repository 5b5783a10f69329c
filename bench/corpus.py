"""The dev corpus of the taste-drift benchmark: real game soundtracks, labelled by package.

Music files longer than :data:`MIN_SECONDS` are taken from four Debian data
packages (``apt-get download`` + ``dpkg-deb``, under ``bench/.cache/``, never
committed). Each track goes the daemon's own way: decoded with PyAV to 16 kHz
mono (:func:`classifier.decode`), cut into :data:`N_PATCHES` log-mel patches
spread over its middle (:func:`classifier.featurize_audio`) and run once through
the pretrained musicnn (:func:`classifier.embed_patches`); the per-patch back-end
input (1506) and tag probabilities (50) are cached in
``bench/.cache/corpus_<model>.v2.npz`` so re-runs are fast (``v2``: made by the
daemon's front end; the first version used librosa and spread the patches over
the whole track).
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common import CACHE
from classifier import MusiCNN, decode, embed_patches, featurize_audio, load_musicnn, probe
from store import AudioError

logger = logging.getLogger(__name__)

PACKAGES = ("hedgewars-data", "freedroidrpg-data", "supertuxkart-data", "pushover-data")
AUDIO_SUFFIXES = (".ogg", ".mp3", ".flac", ".wav")
MIN_SECONDS = 40.0
N_PATCHES = 10
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
    """Declared duration in seconds (0 when unknown or not audio)."""
    try:
        return probe(path).duration or 0.0
    except AudioError:
        return 0.0


def music_files(package: str) -> list[Path]:
    """The package's audio files longer than :data:`MIN_SECONDS`, sorted."""
    root = extract(package)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    keep = [p for p in files if not any(x in str(p) for x in _EXCLUDE)]
    return [p for p in keep if duration_s(p) > MIN_SECONDS]


def features(path: Path, model: MusiCNN) -> tuple[np.ndarray, np.ndarray]:
    """``(features (P, 1506) float16, tags (P, 50) float32)`` of one file, the daemon's way."""
    patches = featurize_audio(decode(path), N_PATCHES, name=path.name)
    return embed_patches(model, patches)


def build(name: str = "MSD_musicnn") -> Corpus:
    """The corpus, from the npz cache or computed (minutes on two cores, once)."""
    cache = CACHE / f"corpus_{name}.v2.npz"
    if cache.exists():
        data = np.load(cache)
        return Corpus(list(data["paths"]), list(data["packages"]), data["features"], data["tags"])
    model = load_musicnn(name)
    paths, packages, feats, tags = [], [], [], []
    for package in PACKAGES:
        for path in music_files(package):
            try:
                f, t = features(path, model)
            except AudioError as exc:  # the daemon skips such a file too
                logger.warning("skipped: %s", exc)
                continue
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
