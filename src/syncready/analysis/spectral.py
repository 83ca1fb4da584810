"""Frame-wise spectral features for structure, density and speech-band measures.

Conventions
-----------
- Input: mono float32 at any rate. Frames of ``WINDOW_S`` (Hann), hop ``HOP_S``; frame ``i``
  is centred at ``i * HOP_S`` seconds.
- ``bands``: power in ``BANDS`` log-spaced bands from ``F_LO`` to ``F_HI`` (capped at 0.45 fs).
- ``chroma``: power mapped to 12 pitch classes (C = 0) from 55 Hz to 4 kHz, each bin to its
  nearest equal-tempered pitch (A4 = 440 Hz), log-compressed: a light harmonic summary for
  comparing bars, not for key finding (see :mod:`syncready.analysis.tonal`).
- ``power``: mean square of the frame; ``flatness``: spectral flatness (geometric over
  arithmetic mean of power, 0 tonal .. 1 noise-like) over 100 Hz - 8 kHz;
  ``speech``: fraction of the frame's power in the 300 Hz - 3.4 kHz speech band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .frames import excerpt

HOP_S = 0.05
WINDOW_S = 0.093
BANDS = 24
F_LO, F_HI = 40.0, 16000.0
SPEECH_HZ = (300.0, 3400.0)
CHUNK = 256


@dataclass
class SpectralFrames:
    """Per-frame features (see the module docstring); arrays have F frames."""

    hop_s: float
    times: np.ndarray
    bands: np.ndarray
    chroma: np.ndarray
    power: np.ndarray
    flatness: np.ndarray
    speech: np.ndarray


def spectral_frames(mono: np.ndarray, sample_rate: int) -> SpectralFrames:
    """Compute :class:`SpectralFrames` of a mono signal (float, shape (n,))."""
    hop = max(1, round(HOP_S * sample_rate))
    n_fft = 1 << round(np.log2(WINDOW_S * sample_rate))
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    count = max(1, -(-len(mono) // hop))
    window = np.hanning(n_fft).astype(np.float32)

    top = min(F_HI, 0.45 * sample_rate)
    edges = np.geomspace(F_LO, top, BANDS + 1)
    band_of = np.searchsorted(edges, freqs) - 1
    in_band = (band_of >= 0) & (band_of < BANDS)
    pitch = 69 + 12 * np.log2(np.maximum(freqs, 1e-6) / 440.0)
    in_chroma = (freqs >= 55) & (freqs <= 4000)
    pc = np.round(pitch).astype(int) % 12
    flat_bins = (freqs >= 100) & (freqs <= 8000)
    speech_bins = (freqs >= SPEECH_HZ[0]) & (freqs <= SPEECH_HZ[1])
    band_map = np.zeros((len(freqs), BANDS), np.float32)
    band_map[np.flatnonzero(in_band), band_of[in_band]] = 1
    chroma_map = np.zeros((len(freqs), 12), np.float32)
    chroma_map[np.flatnonzero(in_chroma), pc[in_chroma]] = 1

    bands = np.empty((count, BANDS), np.float32)
    chroma = np.empty((count, 12), np.float32)
    power = np.empty(count, np.float32)
    flatness = np.empty(count, np.float32)
    speech = np.empty(count, np.float32)
    scale = 2.0 / (n_fft * np.sum(window.astype(np.float64) ** 2))  # one-sided Parseval: sum = mean square
    for i in range(0, count, CHUNK):
        # frames i.. centred at i * hop: the excerpt pads the ends without copying the signal
        n = min(CHUNK, count - i)
        segment = excerpt(mono, i * hop - n_fft // 2, (n - 1) * hop + n_fft)
        frames = np.lib.stride_tricks.sliding_window_view(segment, n_fft)[::hop]
        spec = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2 * scale
        total = spec.sum(axis=1) + 1e-20
        bands[i : i + CHUNK] = spec @ band_map
        chroma[i : i + CHUNK] = np.log1p(1e4 * (spec @ chroma_map))
        power[i : i + CHUNK] = total
        part = spec[:, flat_bins] + 1e-20
        flatness[i : i + CHUNK] = np.exp(np.log(part).mean(axis=1)) / part.mean(axis=1)
        speech[i : i + CHUNK] = spec[:, speech_bins].sum(axis=1) / total
    return SpectralFrames(HOP_S, np.arange(count) * hop / sample_rate, bands.T, chroma.T, power, flatness, speech)
