"""Frame-wise spectral features on signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from syncready.analysis.spectral import HOP_S, spectral_frames

SR = 44100


def tone(freq: float, seconds: float = 2.0) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_frame_timing_and_power():
    f = spectral_frames(tone(440.0), SR)
    assert len(f.times) == len(f.power) == f.chroma.shape[1] == f.bands.shape[1]
    assert f.times[1] - f.times[0] == pytest.approx(HOP_S, abs=1e-4)
    assert np.median(f.power) == pytest.approx(0.125, rel=0.05)  # mean square of a 0.5 sine


def test_chroma_finds_the_pitch_class():
    a = spectral_frames(tone(440.0), SR).chroma.mean(axis=1)
    e = spectral_frames(tone(329.63), SR).chroma.mean(axis=1)
    assert int(np.argmax(a)) == 9 and int(np.argmax(e)) == 4


def test_flatness_separates_noise_from_tones():
    noise = np.random.default_rng(0).standard_normal(2 * SR).astype(np.float32) * 0.1
    assert np.median(spectral_frames(noise, SR).flatness) > 0.4
    assert np.median(spectral_frames(tone(440.0), SR).flatness) < 0.05


def test_speech_band_share():
    assert np.median(spectral_frames(tone(1000.0), SR).speech) > 0.95
    assert np.median(spectral_frames(tone(80.0), SR).speech) < 0.05
