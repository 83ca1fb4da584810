"""True peak at 8x/32x, the oversampled peak envelope, the true-peak limiter and the glue compressor.

Signals are made here: music-like noise, drum-like transients and sines whose peaks fall
between samples (fs/4 at 45 degrees: samples at 0.707 of the true peak).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import music_like
from scipy.signal import resample_poly

from syncready.analysis.truepeak import TP_HALF_TAPS, peak_envelope, true_peak
from syncready.produce.limiter import GlueSettings, Limiter, LimiterSettings, glue

FS = 48000


def db(x: float) -> float:
    return 20 * np.log10(x)


def reference_peak(x: np.ndarray, up: int) -> float:
    """Peak of scipy's polyphase resampler (zero padded, so edge ringing counts too)."""
    x = np.atleast_2d(x)
    padded = np.pad(x.astype(np.float64), ((0, 0), (64, 64)))
    return float(np.abs(resample_poly(padded, up, 1, axis=1)).max())


def isp_sine(seconds: float = 0.5, level: float = 0.9) -> np.ndarray:
    """fs/4 at 45 degrees: true peak ``level``, samples at ``level / sqrt(2)``."""
    n = np.arange(int(seconds * FS))
    return (level * np.sin(np.pi / 2 * n + np.pi / 4)).astype(np.float32)


def drums(seconds: float, *, seed: int = 0, level: float = 0.9) -> np.ndarray:
    """Stereo kick/snare-like hits every 250 ms: fast attack, exponential decay."""
    rng = np.random.default_rng(seed)
    out = np.zeros((2, int(seconds * FS)), np.float32)
    t = np.arange(int(0.2 * FS)) / FS
    for k, start in enumerate(range(0, out.shape[1] - t.size, FS // 4)):
        hit = np.sin(2 * np.pi * 60 * t) if k % 2 == 0 else rng.standard_normal(t.size) * 0.5
        out[:, start : start + t.size] += level * hit * np.exp(-t / 0.04)
    return out


# --------------------------------------------------------------------------- true peak


HARD = {
    "fs/4 at 45 degrees": isp_sine(0.1),
    "clipped 997 Hz sine": 0.5 * np.clip(4 * np.sin(2 * np.pi * 997 * np.arange(4800) / FS), -1, 1),
    "clipped 3 kHz sine": 0.5 * np.clip(3 * np.sin(2 * np.pi * 3001 * np.arange(4800) / FS + 0.3), -1, 1),
    "isolated impulses": np.where(np.isin(np.arange(4800), [1000, 3000]), 0.8, 0.0)
    - np.where(np.arange(4800) == 3001, 0.5, 0.0),
}


@pytest.mark.parametrize("name", HARD)
@pytest.mark.parametrize("up", [8, 32])
def test_true_peak_matches_resample_poly(name, up):
    x = np.asarray(HARD[name], np.float32)
    assert db(true_peak(x, FS, up)) == pytest.approx(db(reference_peak(x, up)), abs=0.05)


def test_true_peak_is_max_over_channels_and_at_least_the_sample_peak():
    x = music_like(2.0, FS, seed=3)
    x[1] *= 0.5
    both = true_peak(x, FS)
    assert both == pytest.approx(true_peak(x[0], FS))
    assert both >= np.abs(x).max()
    assert true_peak(np.zeros((2, 100), np.float32), FS) == 0.0


def test_skipping_loses_nothing():
    x = music_like(3.0, FS, seed=5)[0] * 3
    x[FS : FS + 4800] = isp_sine(0.1, 0.99)
    exact = peak_envelope(x, 8).max()  # every interval computed, no skipping
    assert true_peak(x, FS, 8) == pytest.approx(exact, rel=1e-6)


def test_envelope_is_exact_above_its_floor():
    x = music_like(2.0, FS, seed=7)
    exact = peak_envelope(x, 4)
    floored = peak_envelope(x, 4, floor=0.2)
    above = exact > 0.2
    assert above.any() and not above.all()
    np.testing.assert_array_equal(floored[above], exact[above])
    assert (floored[~above] <= 0.2).all()


# --------------------------------------------------------------------------- limiter


@pytest.mark.parametrize("make", [lambda: music_like(4.0, FS, seed=1) * 4, lambda: drums(4.0),
                                  lambda: np.tile(isp_sine(1.0, 1.2), (2, 1))])
def test_true_peak_under_threshold_after_limiting(make):
    x = make()
    limited = Limiter(x, FS).run(drive_db=3.0, threshold_dbtp=-1.0)
    assert db(true_peak(x, FS)) + 3.0 > -0.5  # the limiter had work to do
    assert limited.gain_reduction_max_db > 0.5
    assert db(true_peak(limited.samples, FS, 8)) <= -1.0 + 0.05
    assert db(true_peak(limited.samples, FS, 32)) <= -1.0 + 0.05


def test_gain_is_down_before_the_peak_arrives():
    x = np.zeros((2, FS // 2), np.float32)
    peak = FS // 4
    x[:, peak] = 1.0  # a lone full-scale click after silence
    limiter = Limiter(x, FS, LimiterSettings(attack_ms=2.0))
    log_gain = limiter.log_gain(0.0, -6.0)
    need = np.log(10 ** (-6 / 20))
    reach = slice(peak - TP_HALF_TAPS, peak + TP_HALF_TAPS + 1)
    assert (log_gain[reach] <= need + 1e-6).all()  # fully down over the interpolator's reach
    first_move = np.flatnonzero(log_gain < 0)[0]
    assert peak - first_move <= limiter.lookahead_frames  # no earlier than the look-ahead
    assert peak - first_move >= round(0.002 * FS)  # at least the attack ahead
    out = limiter.run(0.0, -6.0).samples
    assert db(true_peak(out, FS, 8)) <= -6.0 + 0.01


def test_channels_are_linked():
    x = music_like(2.0, FS, seed=2) * 0.5
    x[0, FS : FS + 4800] += isp_sine(0.1, 1.5)  # a peak in the left channel only
    limited = Limiter(x, FS).run(0.0, -1.0)
    ratio = limited.samples / np.where(x == 0, 1, x)
    np.testing.assert_allclose(ratio[0], ratio[1], rtol=1e-5, atol=1e-6)
    assert ratio[1, FS + 2400] < 10 ** (-3 / 20)  # the right channel went down with the left


def test_no_reduction_under_the_threshold():
    x = music_like(2.0, FS, seed=4)
    x *= 0.25 / np.abs(x).max()
    limited = Limiter(x, FS).run(drive_db=-2.0, threshold_dbtp=-1.0)
    assert limited.gain_reduction_max_db == 0.0 and limited.above_1db_s == 0.0
    np.testing.assert_array_equal(limited.samples, x * np.float32(10 ** (-2 / 20)))


def test_release_recovers():
    x = music_like(3.0, FS, seed=6) * 0.3
    x[:, FS // 2 : FS // 2 + 4800] += np.tile(isp_sine(0.1, 1.5), (2, 1))
    limiter = Limiter(x, FS, LimiterSettings(release_ms=50.0))
    log_gain = limiter.log_gain(0.0, -1.0)
    gain_db = 20 * log_gain / np.log(10)
    end = FS // 2 + 4800
    assert gain_db[end - 10] < -3.0
    assert gain_db[end + int(0.05 * FS)] > gain_db[end - 10] / 2.5  # about e^-1 after one time constant
    assert gain_db[end + int(0.4 * FS)] > -0.01  # back to unity


def test_glue_is_gentle_and_linked():
    x = music_like(8.0, FS, seed=8)
    x[:, 4 * FS :] *= 10 ** (-12 / 20)  # a loud half, then a quiet one
    y, reduction = glue(x, FS, GlueSettings())
    rms = lambda s: 10 * np.log10(np.mean(s.astype(np.float64) ** 2))
    loud, quiet = slice(FS, 4 * FS), slice(5 * FS, 8 * FS)
    squeezed = (rms(x[:, loud]) - rms(x[:, quiet])) - (rms(y[:, loud]) - rms(y[:, quiet]))
    assert 0.5 < squeezed < 4.0  # the loud half came down a little
    assert abs(rms(y[:, quiet]) - rms(x[:, quiet])) < 0.1  # the quiet half is untouched
    assert 0.5 < reduction < 6.0
    ratio = y / np.where(x == 0, 1, x)
    np.testing.assert_allclose(ratio[0], ratio[1], rtol=1e-5, atol=1e-6)
