"""PyAV decoding to 16 kHz mono float32, for every container yt-dlp may return."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier import AudioError
from classifier.audio import decode, probe, stream
from classifier.featurize import featurize_file
from tests.audio_helpers import FORMATS, synth, write_audio

SECONDS = 6.0


def _tone(freq: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.4 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(audio: np.ndarray, rate: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    return float(np.fft.rfftfreq(audio.size, 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("ext", [*FORMATS, "webm"])
def test_every_container_decodes_to_16k_mono(tmp_path: Path, ext: str) -> None:
    path = write_audio(tmp_path / f"tone.{ext}", _tone(440.0, SECONDS, 22050), 22050)
    audio = decode(path)
    assert audio.dtype == np.float32
    assert audio.ndim == 1
    assert abs(audio.size / 16000 - SECONDS) < 0.1
    assert abs(_peak_hz(audio[8000:-8000]) - 440.0) < 3.0
    assert 0.2 < np.abs(audio).max() < 1.0


def test_stereo_is_mixed_down(tmp_path: Path) -> None:
    left, right = _tone(300.0, 2.0, 44100), _tone(1200.0, 2.0, 44100)
    path = tmp_path / "stereo.wav"
    write_audio(path, np.stack([left, right], axis=1), 44100)
    audio = decode(path)
    spectrum = np.abs(np.fft.rfft(audio))
    freqs = np.fft.rfftfreq(audio.size, 1 / 16000)
    for hz in (300.0, 1200.0):
        assert spectrum[np.abs(freqs - hz) < 3].max() > 0.25 * spectrum.max()


def test_stream_yields_small_chunks_and_honours_max_seconds(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "long.ogg", synth(20.0, 22050), 22050)
    chunks = list(stream(path))
    assert len(chunks) > 20
    assert max(c.size for c in chunks) < 16000
    assert decode(path, max_seconds=3.5).size == 3.5 * 16000


def test_probe_reads_the_declared_duration(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.flac", synth(7.0, 16000))
    info = probe(path)
    assert info.duration == pytest.approx(7.0, abs=0.05)
    assert info.codec == "flac"


def test_featurize_file_shape(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.m4a", synth(70.0, 16000))
    patches = featurize_file(path)
    assert patches.shape == (10, 187, 96)
    assert patches.dtype == np.float32
    assert np.isfinite(patches).all()
    assert patches.std(axis=(1, 2)).min() > 0


def _truncated(tmp_path: Path) -> Path:
    whole = write_audio(tmp_path / "whole.flac", synth(30.0, 16000))
    data = whole.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) // 3])
    return cut


def _random_bytes(tmp_path: Path) -> Path:
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(50_000))
    return path


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "page.webm"
    path.write_text("<html><body>Not Found</body></html>" * 50)
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.ogg"
    path.write_bytes(b"")
    return path


def _silent(tmp_path: Path) -> Path:
    return write_audio(tmp_path / "silence.flac", np.zeros(16000 * 70, np.float32))


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "gone.opus"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_truncated, "truncated"),
        (_random_bytes, "not a readable audio file|corrupt|no audio"),
        (_text, "not a readable audio file|no audio stream"),
        (_empty, "not a readable audio file"),
        (_silent, "silent"),
        (_missing, "does not exist"),
    ],
)
def test_bad_files_raise_audio_error(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    with pytest.raises(AudioError, match=message) as caught:
        featurize_file(path)
    assert path.name in str(caught.value)
    assert "\n" not in str(caught.value)


def test_ogg_vorbis_decodes() -> None:
    path = Path(__file__).parent.parent / "fixtures" / "audio" / "vorbis-4s.ogg"
    assert probe(path).codec == "vorbis"
    audio = decode(path)
    assert abs(audio.size / 16000 - 4.0) < 0.05
    assert abs(_peak_hz(audio) - 440.0) < 3.0
