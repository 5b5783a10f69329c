"""The corpora of the taste-drift benchmark: real game soundtracks, labelled by package.

Each corpus takes music files longer than :data:`MIN_SECONDS` from four Debian
data packages (``apt-get download`` + ``dpkg-deb``, under ``bench/.cache/``,
never committed); the four packages are the four "styles" a simulated listener
can like. Each track goes the daemon's own way: decoded with PyAV to 16 kHz
mono (:func:`classifier.decode`), cut into :data:`N_PATCHES` log-mel patches
spread over its middle (:func:`classifier.featurize_audio`) and run once through
the pretrained musicnn (:func:`classifier.embed_patches`); the per-patch
back-end input (1506) and tag probabilities (50) are cached in an npz under
``bench/.cache`` so re-runs are fast (``v2``: made by the daemon's front end), and
each track's artist tag, where it has one, in a JSON beside it.

Run ``python -m bench.drift.corpus [a|b|c]`` to build (minutes on two cores, once).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import mutagen
import numpy as np

from bench.common import CACHE
from classifier import (
    AudioError,
    MusiCNN,
    decode,
    embed_patches,
    featurize_audio,
    load_musicnn,
    probe,
)

logger = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".ogg", ".mp3", ".flac", ".wav", ".opus")
MIN_SECONDS = 40.0
N_PATCHES = 10


@dataclass(frozen=True)
class Spec:
    """Where a corpus comes from: four packages, and which of their files are music."""

    name: str
    packages: tuple[str, str, str, str]
    cache_stem: str  # the npz is bench/.cache/<cache_stem>_<model>.v2.npz
    exclude: tuple[str, ...] = ()  # path parts that are not music
    include: str = ""  # a path part every music file has ("" = any)
    archives: str = ""  # a glob of zip archives in a package to unpack beside themselves


SPECS = {
    "a": Spec(
        "a",
        ("hedgewars-data", "freedroidrpg-data", "supertuxkart-data", "pushover-data"),
        "corpus",
        # Not music: ambient loops shipped beside SuperTuxKart's track models.
        exclude=("/library/",),
    ),
    "b": Spec(
        "b",
        ("supertux-data", "warzone2100-music", "wesnoth-1.16-music", "widelands-data"),
        "corpus_b",
        # Widelands also ships long animal and ambient sounds outside its music folder.
        include="/music/",
    ),
    "c": Spec(
        "c",
        ("singularity-music", "hyperrogue-music", "planetblupi-music-ogg", "nexuiz-music"),
        "corpus_c",
        # Nexuiz keeps its soundtrack in a Quake-style zip; HyperRogue's other files are
        # short sound effects, which MIN_SECONDS leaves out.
        archives="*.pk3",
    ),
}


@dataclass(frozen=True)
class Corpus:
    """Per-track cached musicnn outputs: ``features`` (N, P, 1506) float16, ``tags`` (N, P, 50)."""

    spec: Spec
    paths: list[str]
    packages: list[str]
    features: np.ndarray
    tags: np.ndarray
    artists: tuple[str, ...] = ()  # each track's artist tag, "" where none (empty: none known)

    @property
    def labels(self) -> np.ndarray:
        """Index of each track's package (its style) in ``spec.packages``."""
        return np.array([self.spec.packages.index(p) for p in self.packages])

    def counts(self) -> str:
        """``package n, ...`` in style order."""
        return ", ".join(f"{p} {self.packages.count(p)}" for p in self.spec.packages)


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


def extract(package: str, archives: str = "") -> Path:
    """Download and unpack ``package`` under ``bench/.cache/x/<package>`` (once), and the
    zip archives in it that match the glob ``archives`` each into a folder beside it."""
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
    unpack_archives(root, archives)
    (root / ".done").touch()
    return root


def unpack_archives(root: Path, archives: str) -> None:
    """Unpack each zip archive under ``root`` that matches the glob ``archives`` into a
    folder beside it named as the archive less its suffix (none when ``archives`` is "")."""
    for archive in sorted(root.rglob(archives)) if archives else []:
        with zipfile.ZipFile(archive) as members:
            members.extractall(archive.with_suffix(""))


def duration_s(path: Path) -> float:
    """Declared duration in seconds (0 when unknown or not audio)."""
    try:
        return probe(path).duration or 0.0
    except AudioError:
        return 0.0


def music_files(spec: Spec, package: str) -> list[Path]:
    """The package's music files longer than :data:`MIN_SECONDS`, sorted."""
    root = extract(package, spec.archives)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    keep = [p for p in files if not any(x in str(p) for x in spec.exclude)]
    keep = [p for p in keep if spec.include in str(p.relative_to(root))]
    return [p for p in keep if duration_s(p) > MIN_SECONDS]


def features(path: Path, model: MusiCNN) -> tuple[np.ndarray, np.ndarray]:
    """``(features (P, 1506) float16, tags (P, 50) float32)`` of one file, the daemon's way."""
    patches = featurize_audio(decode(path), N_PATCHES, name=path.name)
    return embed_patches(model, patches)


def cache_path(spec: Spec, model: str = "MSD_musicnn") -> Path:
    """The npz holding ``spec``'s corpus."""
    return CACHE / f"{spec.cache_stem}_{model}.v2.npz"


def build(which: str = "a", model: str = "MSD_musicnn") -> Corpus:
    """Corpus ``which`` (a key of :data:`SPECS`), from the npz cache or computed."""
    spec = SPECS[which]
    cache = cache_path(spec, model)
    if cache.exists():
        data = np.load(cache)
        paths, packages = [str(p) for p in data["paths"]], [str(p) for p in data["packages"]]
        return Corpus(spec, paths, packages, data["features"], data["tags"], artists(spec, paths))
    corpus = _compute(spec, load_musicnn(model))
    np.savez(
        cache,
        paths=corpus.paths,
        packages=corpus.packages,
        features=corpus.features,
        tags=corpus.tags,
    )
    return corpus


def _compute(spec: Spec, model: MusiCNN) -> Corpus:
    paths, packages, feats, tags = [], [], [], []
    for package in spec.packages:
        for path in music_files(spec, package):
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
    return Corpus(spec, paths, packages, np.stack(feats), np.stack(tags), artists(spec, paths))


def artists(spec: Spec, paths: list[str]) -> tuple[str, ...]:
    """The artist tag of each of ``paths`` (under ``bench/.cache``), "" where there is none;
    cached in ``bench/.cache/<cache_stem>_artists.v1.json``."""
    cache = CACHE / f"{spec.cache_stem}_artists.v1.json"
    if cache.exists() and len(names := json.loads(cache.read_text())) == len(paths):
        return tuple(names)
    for package in spec.packages:
        extract(package, spec.archives)
    names = [artist_tag(CACHE / p) for p in paths]
    cache.write_text(json.dumps(names))
    return tuple(names)


def artist_tag(path: Path) -> str:
    """The first artist tag of the audio file at ``path`` ("" where none)."""
    tags = mutagen.File(path, easy=True)
    return str((tags.get("artist") or [""])[0]).strip() if tags else ""


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    for key in sys.argv[1:] or list(SPECS):
        print(key, build(key).counts())
