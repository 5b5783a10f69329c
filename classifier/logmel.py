"""The musicnn front end in torch: log-compressed 96-band mel spectrogram at 16 kHz.

Pons & Serra, "musicnn: pre-trained convolutional neural networks for music audio
tagging" (ISMIR 2019 LBD), feed their network with librosa's mel power spectrogram
(n_fft 512, hop 256, Hann window, centred frames zero-padded, Slaney mel scale and
area normalization) compressed as ``log10(1 + 10000 * x)``. This module computes the
same thing with torch only; the filterbank is built here in float64 like librosa's.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["HOP", "N_FFT", "N_MELS", "SAMPLE_RATE", "LogMel", "mel_filterbank"]

SAMPLE_RATE = 16000
N_FFT = 512
HOP = 256
N_MELS = 96

# Slaney's mel scale: linear below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    mel = hz / _F_SP
    log_part = _MIN_LOG_MEL + np.log(np.maximum(hz, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(hz >= _MIN_LOG_HZ, log_part, mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    hz = _F_SP * mel
    log_part = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mel - _MIN_LOG_MEL))
    return np.where(mel >= _MIN_LOG_MEL, log_part, hz)


def mel_filterbank(
    sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS
) -> np.ndarray:
    """(n_mels, 1 + n_fft // 2) triangular filters, Slaney scale and area normalization."""
    fft_freqs = np.linspace(0.0, sample_rate / 2, 1 + n_fft // 2)
    mel_edges = np.linspace(
        _hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(sample_rate / 2)), n_mels + 2
    )
    edges = _mel_to_hz(mel_edges)
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2 : n_mels + 2] - edges[:n_mels]))[:, None]
    return weights


class LogMel(nn.Module):
    """Audio at 16 kHz ``(..., samples)`` -> ``log10(1 + 10000 * mel power)`` ``(..., frames, 96)``.

    With ``center=True`` (librosa's default) frame ``i`` is centred on sample
    ``i * HOP`` and the signal is zero-padded by ``N_FFT // 2`` at both ends, giving
    ``1 + samples // HOP`` frames; with ``center=False`` the caller supplies the context.
    """

    window: Tensor
    filters: Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(N_FFT, dtype=torch.float32))
        self.register_buffer("filters", torch.from_numpy(mel_filterbank().astype(np.float32)))

    def forward(self, audio: Tensor, center: bool = True) -> Tensor:
        """Log-mel frames ``(..., frames, 96)`` of ``audio`` ``(..., samples)``."""
        shape = audio.shape
        flat = audio.reshape(-1, shape[-1]).to(torch.float32)
        spec = torch.stft(
            flat,
            n_fft=N_FFT,
            hop_length=HOP,
            window=self.window,
            center=center,
            pad_mode="constant",
            return_complex=True,
        )
        power = spec.real.square() + spec.imag.square()
        mel = torch.matmul(self.filters, power)
        logmel = torch.log10(1.0 + 10000.0 * mel).transpose(-1, -2)
        return logmel.reshape(*shape[:-1], *logmel.shape[-2:])
