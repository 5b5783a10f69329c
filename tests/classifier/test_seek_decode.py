"""Decoding only the patches' spans by seeking gives what the whole-file decode gives."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from classifier import AudioError
from classifier.audio import AudioInfo, decode, probe
from classifier.embed import embed_patches
from classifier.featurize import featurize_file
from classifier.musicnn.weights import load_musicnn
from classifier.seek_decode import MIN_SEEK_SECONDS, decode_spans, seekable
from tests.audio_helpers import synth, write_audio
from tests.components import require

_SECONDS = 75.0


@pytest.fixture(scope="module")
def music(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A stereo 44.1 kHz track of 75 s by its suffix; Ogg Vorbis through oggenc
    (vorbis-tools). Each container is written once for the module's tests, which only
    read the files."""
    folder = tmp_path_factory.mktemp("spans")
    audio = synth(_SECONDS, 44100, seed=3, channels=2)
    made: dict[str, Path] = {}

    def track(suffix: str) -> Path:
        if suffix in made:
            return made[suffix]
        if suffix != ".vorbis.ogg":
            made[suffix] = write_audio(folder / f"track{suffix}", audio, 44100)
            return made[suffix]
        oggenc = require("oggenc")
        wav = write_audio(folder / "track.wav", audio, 44100)
        out = folder / "track.vorbis.ogg"
        subprocess.run([oggenc, "-Q", "-q", "4", "-o", str(out), str(wav)], check=True)
        made[suffix] = out
        return out

    return track


@pytest.mark.parametrize("suffix", [".vorbis.ogg", ".ogg", ".webm", ".m4a", ".flac"])
def test_seeking_gives_the_whole_decodes_samples(music: Callable[[str], Path], suffix: str) -> None:
    path = music(suffix)
    assert seekable(probe(path))
    whole = decode(path)
    starts = np.array([16000 * 10 + 123, 16000 * 40 + 77, whole.size - 16000 * 5])
    spans = decode_spans(path, starts, 8000)
    assert spans is not None
    for start, span in zip(starts, spans, strict=True):
        # same samples, no offset (WebM's whole-ms timestamps are corrected, 44.1 kHz
        # spans start on the 16 kHz grid); AAC differs a little after a seek
        assert np.abs(span - whole[start : start + 8000]).max() < 0.02
        lag = min(
            range(-20, 21), key=lambda k: np.abs(whole[start + k : start + k + 8000] - span).sum()
        )
        assert lag == 0


@pytest.mark.parametrize("suffix", [".vorbis.ogg", ".ogg", ".webm", ".m4a"])
def test_seeking_keeps_cached_features_valid(music: Callable[[str], Path], suffix: str) -> None:
    """Features through seeking match the whole-file path's (which filled the cache)."""
    path = music(suffix)
    model = load_musicnn("MSD_musicnn")
    seek, _ = embed_patches(model, featurize_file(path))
    whole, _ = embed_patches(model, featurize_file(path, seek=False))
    a, b = seek.astype(np.float32).mean(0), whole.astype(np.float32).mean(0)
    assert a @ b / np.linalg.norm(a) / np.linalg.norm(b) >= 0.999


def test_a_patch_past_the_end_is_truncation(tmp_path: Path) -> None:
    cut = write_audio(tmp_path / "cut.m4a", synth(_SECONDS, 16000))
    with pytest.raises(AudioError, match="truncated") as caught:
        decode_spans(cut, np.array([16000 * 10, 16000 * 80]), 8000)
    assert "cut.m4a" in str(caught.value)


def test_silent_means_every_patch_is(tmp_path: Path) -> None:
    audio = np.zeros(int(16000 * _SECONDS), np.float32)
    audio[16000 * 1 : 16000 * 2] = 0.5  # a sound in the skipped intro is not heard
    path = write_audio(tmp_path / "quiet.flac", audio)
    with pytest.raises(AudioError, match="silent"):
        featurize_file(path)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (AudioInfo(200.0, "opus", "matroska,webm", 48000, 2), True),
        (AudioInfo(None, "opus", "matroska,webm", 48000, 2), False),  # WebM without Cues
        (AudioInfo(200.0, "aac", "aac", 44100, 2), False),  # raw ADTS: duration estimated
        (AudioInfo(MIN_SEEK_SECONDS - 1, "vorbis", "ogg", 44100, 2), False),
    ],
)
def test_files_that_cannot_be_trusted_to_seek_are_decoded_whole(
    info: AudioInfo, expected: bool
) -> None:
    assert seekable(info) is expected
