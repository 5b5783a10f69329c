"""The torch log-mel front end against musicnn's reference outputs and librosa.

librosa's outputs are frozen in tests/fixtures/logmel/librosa_reference.npz
(made by make_reference.py beside it), so librosa is not needed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.audio import decode
from classifier.featurize import featurize_audio
from classifier.logmel import HOP, N_MELS, SAMPLE_RATE, LogMel, mel_filterbank
from classifier.patches import PATCH_FRAMES, n_frames, patch_starts, repeat_pad

FIXTURES = Path(__file__).parents[1] / "fixtures" / "musicnn"
LIBROSA = Path(__file__).parents[1] / "fixtures" / "logmel" / "librosa_reference.npz"
CLIPS = ("piano", "drums", "pad")


@pytest.fixture(scope="module")
def logmel() -> LogMel:
    return LogMel().eval()


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "reference.npz") as npz:
        return {k: npz[k] for k in npz.files if "mel" in k}


@pytest.fixture(scope="module")
def librosa_reference() -> dict[str, np.ndarray]:
    with np.load(LIBROSA) as npz:
        return {k: npz[k] for k in npz.files}


def _clip(clip: str) -> np.ndarray:
    """A 16 kHz mono reference clip, decoded as the product decodes (PyAV)."""
    return decode(FIXTURES / f"clip_{clip}.wav", sample_rate=SAMPLE_RATE)


def _run(logmel: LogMel, audio: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return logmel(torch.from_numpy(audio)).numpy()


@pytest.mark.parametrize("clip", CLIPS)
def test_matches_musicnn_reference(logmel: LogMel, reference: dict, clip: str) -> None:
    audio = _clip(clip)
    expected = reference[f"{clip}/mel_full"]
    got = _run(logmel, audio)
    assert got.dtype == np.float32
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-3, rtol=0)


@pytest.mark.parametrize("n_samples", [512, 16000, 40_000 + 17, 5 * 16000 + 255])
def test_matches_librosa_on_random_audio(
    logmel: LogMel, librosa_reference: dict[str, np.ndarray], n_samples: int
) -> None:
    audio = np.random.default_rng(n_samples).uniform(-1, 1, n_samples).astype(np.float32)
    got = _run(logmel, audio)
    assert got.shape == (n_frames(n_samples), N_MELS)
    expected = librosa_reference[f"random_{n_samples}"]
    np.testing.assert_allclose(got, expected, atol=1e-3, rtol=0)


def test_filterbank_is_librosas_slaney_bank(librosa_reference: dict[str, np.ndarray]) -> None:
    expected = librosa_reference["filterbank"]
    np.testing.assert_allclose(mel_filterbank(), expected, atol=1e-7)


def test_batched_input_keeps_leading_dims(logmel: LogMel) -> None:
    audio = np.random.default_rng(1).standard_normal((2, 3, 8000)).astype(np.float32)
    got = _run(logmel, audio)
    assert got.shape == (2, 3, n_frames(8000), N_MELS)
    np.testing.assert_allclose(got[1, 2], _run(logmel, audio[1, 2]), atol=1e-5)


@pytest.mark.parametrize("clip", CLIPS)
def test_patches_are_slices_of_the_full_spectrogram(logmel: LogMel, clip: str) -> None:
    audio = _clip(clip)
    patches = featurize_audio(audio, n_patches=4)
    full = _run(logmel, audio)
    starts = patch_starts(full.shape[0], 4)
    assert patches.shape == (4, PATCH_FRAMES, N_MELS)
    for patch, start in zip(patches, starts, strict=True):
        np.testing.assert_allclose(patch, full[start : start + PATCH_FRAMES], atol=1e-4)


def test_short_audio_is_repeat_padded(logmel: LogMel) -> None:
    second = np.random.default_rng(2).uniform(-0.5, 0.5, SAMPLE_RATE).astype(np.float32)
    patches = featurize_audio(second, n_patches=3)
    tiled = repeat_pad(second)
    assert tiled.size >= (PATCH_FRAMES - 1) * HOP
    np.testing.assert_array_equal(tiled[: second.size], tiled[second.size : 2 * second.size])
    np.testing.assert_allclose(patches[0], _run(logmel, tiled)[:PATCH_FRAMES], atol=1e-4)
    assert np.isfinite(patches).all()


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(PATCH_FRAMES, 200_000),
    n=st.integers(1, 40),
)
def test_patch_starts_stay_inside_and_skip_the_edges(total: int, n: int) -> None:
    starts = patch_starts(total, n)
    assert len(starts) == n
    assert np.all(np.diff(starts) >= 0)
    assert starts[0] >= 0
    assert starts[-1] + PATCH_FRAMES <= total
    skip = int(total * 0.1)
    if total - 2 * skip >= PATCH_FRAMES:
        assert starts[0] >= skip
        assert starts[-1] + PATCH_FRAMES <= total - skip


def test_patch_starts_refuses_too_short_input() -> None:
    with pytest.raises(ValueError, match="repeat_pad"):
        patch_starts(PATCH_FRAMES - 1)
