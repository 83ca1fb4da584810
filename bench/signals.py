"""Bench material made in code: a mastered-sounding stereo song of any length."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from syncready.demo import SAMPLE_RATE, synthesize


def song(seconds: float, *, seed: int = 3) -> tuple[np.ndarray, int]:
    """A pop-like mix (drums, bass, chords) mastered to peaks near -0.3 dBFS.

    Returns float32 samples of shape (2, frames) at 44.1 kHz and the sample rate.
    """
    bars = int(np.ceil(seconds / 2.0))
    mix = np.tanh(2.0 * synthesize(bars=bars, seed=seed))[:, : round(seconds * SAMPLE_RATE)]
    mix *= 10 ** (-0.3 / 20) / np.abs(mix).max()
    return mix.astype(np.float32), SAMPLE_RATE


def write_song(path: str | Path, seconds: float, *, sample_rate: int | None = None) -> Path:
    """Write :func:`song` as 24-bit WAV (resampled with soxr when ``sample_rate`` differs)."""
    x, sr = song(seconds)
    if sample_rate and sample_rate != sr:
        import soxr

        x = soxr.resample(x.T, sr, sample_rate).T
        sr = sample_rate
    sf.write(path, x.T, sr, subtype="PCM_24")
    return Path(path)
