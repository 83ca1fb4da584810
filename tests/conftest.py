"""Shared fixtures: synthetic signals and a private analysis cache for every test run."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Keep analysis caches out of the user's folders."""
    monkeypatch.setenv("SYNCREADY_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def music_like(seconds: float, sample_rate: int = 48000, *, seed: int = 0, channels: int = 2) -> np.ndarray:
    """Noise shaped like a mix (about -3 dB/octave, full band), float32 (channels, frames), RMS 0.1."""
    rng = np.random.default_rng(seed)
    n = round(seconds * sample_rate)
    spectrum = np.fft.rfft(rng.standard_normal((channels, n)), axis=1)
    freqs = np.fft.rfftfreq(n, 1 / sample_rate)
    spectrum *= 1 / np.sqrt(np.maximum(freqs, 40.0) / 40.0)
    x = np.fft.irfft(spectrum, n=n, axis=1)
    common = x.mean(axis=0, keepdims=True)
    x = 0.6 * common + 0.4 * x  # partly correlated channels, like a real stereo mix
    return (x * 0.1 / np.sqrt(np.mean(x**2))).astype(np.float32)


def sine(freq: float, seconds: float, sample_rate: int = 48000, *, dbfs: float = -20.0, channels: int = 2) -> np.ndarray:
    """A sine at ``dbfs`` peak level, float32 (channels, frames)."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    x = 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)
    return np.tile(x, (channels, 1)).astype(np.float32)


def write_wav(path, samples, sample_rate: int = 44100):
    """Write float samples ``(channels, frames)`` as a 24-bit WAV (replacing any file there); returns ``path``."""
    from syncready.audio import Audio, save

    save(Audio(np.asarray(samples, np.float32), sample_rate), path, overwrite=True)
    return path
