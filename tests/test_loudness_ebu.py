"""EBU Tech 3341 / 3342 compliance cases and properties of the loudness meter.

Every signal is generated here. EBU tolerances: +-0.1 LU for I, M and S, +-1 LU for LRA,
+0.2/-0.4 dB for true peak. Sine amplitudes in dBFS are peak levels (a -23 dBFS 1 kHz
sine in both channels reads -23 LUFS).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from syncready.analysis.loudness import (
    OVERSAMPLING,
    TP_HALF_TAPS,
    Loudness,
    LoudnessMeter,
    _interpolator,
    _k_weighting,
    _loudness_range,
    _power,
    channel_weights,
    measure,
)

RATES = [44100, 48000]


def sine(fs: int, seconds: float, dbfs: float, freq: float = 1000.0, phase_deg: float = 0.0) -> np.ndarray:
    n = np.arange(round(seconds * fs))
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * n / fs + np.deg2rad(phase_deg))


def segments(fs: int, parts: list[tuple[float, float]], channels: int = 2) -> np.ndarray:
    """1 kHz sine, ``(dbfs, seconds)`` after each other, the same in every channel."""
    x = np.concatenate([sine(fs, s, level) for level, s in parts])
    return np.tile(x, (channels, 1))


def faded(x: np.ndarray, fs: int, seconds: float = 0.01) -> np.ndarray:
    """Raised-cosine fade in/out, so that a test tone has no edge transient (a steady sine)."""
    k = int(fs * seconds)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(k) / k)
    x = x.copy()
    x[..., :k] *= ramp
    x[..., -k:] *= ramp[::-1]
    return x


def music_like(fs: int, seconds: float, seed: int = 7) -> np.ndarray:
    """Band-limited (< 0.35 fs) pink-ish stereo noise with a slow level ride of about 20 dB."""
    rng = np.random.default_rng(seed)
    n = round(seconds * fs)
    spectrum = rng.standard_normal((2, n // 2 + 1)) + 1j * rng.standard_normal((2, n // 2 + 1))
    f = np.fft.rfftfreq(n, 1 / fs)
    spectrum *= (f < 0.35 * fs) / np.sqrt(np.maximum(f, 20.0))
    x = np.fft.irfft(spectrum, n)
    t = np.arange(n) / fs
    x *= 10 ** ((-10 + 10 * np.sin(2 * np.pi * t / 7.0)) / 20)
    return 0.9 * x / np.abs(x).max()


# --- EBU Tech 3341: integrated, short-term and momentary loudness ---------------------


@pytest.mark.parametrize("fs", RATES)
@pytest.mark.parametrize(
    ("case", "parts"),
    [
        (1, [(-23, 20)]),
        (2, [(-33, 20)]),
        (3, [(-36, 10), (-23, 60), (-36, 10)]),
        (4, [(-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)]),
        (5, [(-26, 20), (-20, 20.1), (-26, 20)]),
    ],
)
def test_3341_integrated(fs, case, parts):
    expected = -33.0 if case == 2 else -23.0
    assert measure(segments(fs, parts), fs).integrated_lufs == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("fs", RATES)
def test_3341_case6_five_channels(fs):
    x = np.vstack([sine(fs, 20, level) for level in (-28, -28, -24, -30, -30)])  # L R C Ls Rs
    assert measure(x, fs).integrated_lufs == pytest.approx(-23.0, abs=0.1)


@pytest.mark.parametrize("fs", RATES)
def test_3341_case9_short_term_constant(fs):
    r = measure(segments(fs, [(-20, 1.34), (-30, 1.66)] * 5), fs)
    after_3s = np.array(r.short_term_lufs[29:], float)  # windows ending at 3.0 s and later
    assert after_3s.size == 121
    assert np.abs(after_3s + 23.0).max() <= 0.1
    assert r.max_short_term_lufs == pytest.approx(-23.0, abs=0.1)


@pytest.mark.parametrize("fs", RATES)
def test_3341_case12_momentary_constant(fs):
    r = measure(segments(fs, [(-20, 0.18), (-30, 0.22)] * 25), fs)
    after_1s = np.array(r.momentary_lufs[9:], float)  # windows ending at 1.0 s and later
    assert after_1s.size == 91
    assert np.abs(after_1s + 23.0).max() <= 0.1
    assert r.momentary_lufs[:3] == [None, None, None]


# --- EBU Tech 3341: true peak -----------------------------------------------------------


@pytest.mark.parametrize("fs", RATES)
@pytest.mark.parametrize(
    ("case", "divisor", "amplitude", "phase_deg", "expected"),
    [
        (15, 4, 0.5, 0.0, -6.0),
        (16, 4, 0.5, 45.0, -6.0),
        (17, 6, 0.5, 60.0, -6.0),
        (18, 8, 0.5, 67.5, -6.0),
        (19, 4, 1.41, 45.0, 3.0),
    ],
)
def test_3341_true_peak(fs, case, divisor, amplitude, phase_deg, expected):
    x = faded(amplitude * np.sin(2 * np.pi * np.arange(fs) / divisor + np.deg2rad(phase_deg)), fs)
    r = measure(np.vstack([x, x]), fs)
    assert expected - 0.4 <= r.true_peak_dbtp <= expected + 0.2
    assert r.true_peak_dbtp >= r.sample_peak_dbfs


def brute_force_true_peak(x: np.ndarray) -> float:
    """The meter's interpolator without any skipping, in float64, on the zero-padded signal."""
    phases, _ = _interpolator()
    m = TP_HALF_TAPS
    xp = np.concatenate([np.zeros(2 * m), x, np.zeros(2 * m)])
    windows = np.lib.stride_tricks.sliding_window_view(xp, 2 * m)[1:]  # centre c: xp[c-m+1 : c+m+1]
    centres = np.arange(m, xp.size - m)
    u = np.empty((centres.size, OVERSAMPLING))
    u[:, 0] = xp[centres]
    u[:, 1:] = windows[centres - m] @ phases.astype(np.float64).T
    a = np.abs(u.ravel())
    left, mid, right = a[:-2], a[1:-1], a[2:]
    d = 2 * mid - left - right
    local = (mid >= left) & (mid >= right) & (d > 0)
    refined = np.where(local, mid + (left - right) ** 2 / (8 * np.where(local, d, 1.0)), mid)
    return 20 * np.log10(max(refined.max(), a.max()))


def test_true_peak_skipping_loses_nothing():
    fs = 44100
    x = music_like(fs, 4.0, seed=11)[0]  # sample peak 0.9
    n = np.arange(882)
    # A hidden inter-sample peak: fs/4 at 45 degrees, samples at 0.69 but a true peak of 0.97.
    x[88_200 : 88_200 + n.size] = faded(0.97 * np.sin(np.pi / 2 * n + np.pi / 4), fs, 0.005)
    x[-4:] = [0.6, -0.6, 0.6, -0.6]  # ends abruptly: ringing after the last sample
    for signal in (x, x[:-1000]):
        meter = LoudnessMeter(fs, 1)
        for i in range(0, signal.size, 3000):
            meter.process(signal[np.newaxis, i : i + 3000].astype(np.float32))
        expected = brute_force_true_peak(signal.astype(np.float32))
        assert meter.result().true_peak_dbtp == pytest.approx(expected, abs=1e-4)
    assert expected == pytest.approx(20 * np.log10(0.97), abs=0.05)


@pytest.mark.parametrize("fs", [8000, 44100, 48000, 96000, 192000])
def test_true_peak_sine_sweep_any_phase(fs):
    rng = np.random.default_rng(fs)
    n = np.arange(int(0.3 * fs))
    errors = []
    for freq in (20.0, 997.0, 0.1 * fs, 0.25 * fs, 0.31 * fs, 0.37 * fs, 0.41 * fs, 0.43 * fs, 0.45 * fs):
        for phase in rng.uniform(0, 2 * np.pi, 12):
            x = faded(0.5 * np.sin(2 * np.pi * freq * n / fs + phase), fs)
            errors.append(measure(x, fs).true_peak_dbtp - 20 * np.log10(0.5))
    assert np.abs(errors).max() < 0.15


# --- EBU Tech 3342: loudness range -------------------------------------------------------


@pytest.mark.parametrize("fs", RATES)
@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([(-20, 20), (-30, 20)], 10.0),
        ([(-20, 20), (-15, 20)], 5.0),
        ([(-40, 20), (-20, 20)], 20.0),
        ([(-50, 20), (-35, 20), (-20, 20), (-35, 20), (-50, 20)], 15.0),
    ],
    ids=["3342-1", "3342-2", "3342-3", "3342-4"],
)
def test_3342_loudness_range(fs, parts, expected):
    assert measure(segments(fs, parts), fs).lra_lu == pytest.approx(expected, abs=1.0)


# --- Filters, rates, channel weights ---------------------------------------------------


def test_k_weighting_matches_bs1770_table_at_48k():
    expected = [1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241, 0.73248077421585,
                1.0, -2.0, 1.0, -1.99004745483398, 0.99007225036621]
    np.testing.assert_allclose(_k_weighting(48000), expected, atol=1e-10)


@pytest.mark.parametrize("fs", [8000, 11025, 22050, 32000, 88200, 96000, 192000, 384000])
def test_any_rate_reads_minus_23(fs):
    x = np.tile(sine(fs, 5, -23), (2, 1))
    r = measure(x, fs)
    assert r.integrated_lufs == pytest.approx(-23.0, abs=0.1)
    assert len(r.momentary_lufs) == 50


def test_channel_weights():
    assert channel_weights(2) == (1.0, 1.0)
    assert channel_weights(5) == (1.0, 1.0, 1.0, 1.41, 1.41)
    assert channel_weights(6) == (1.0, 1.0, 1.0, 0.0, 1.41, 1.41)
    assert channel_weights(8)[3] == 0.0 and channel_weights(8)[6:] == (1.41, 1.41)
    x = np.tile(sine(48000, 5, -23), (6, 1))
    lfe_only = x * np.array([0, 0, 0, 1, 0, 0])[:, None]
    assert measure(lfe_only, 48000).integrated_lufs is None
    assert measure(lfe_only, 48000).true_peak_per_channel_dbtp[3] == pytest.approx(-23.0, abs=0.05)


# --- Streaming, edge cases, memory -------------------------------------------------------


def _assert_same(a: Loudness, b: Loudness) -> None:
    for field in ("integrated_lufs", "lra_lu", "true_peak_dbtp", "sample_peak_dbfs",
                  "max_momentary_lufs", "max_short_term_lufs"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), abs=1e-9), field
    for field in ("true_peak_per_channel_dbtp", "sample_peak_per_channel_dbfs", "momentary_lufs", "short_term_lufs"):
        x, y = getattr(a, field), getattr(b, field)
        assert [v is None for v in x] == [v is None for v in y], field
        np.testing.assert_allclose(np.array(x, float), np.array(y, float), atol=1e-9, err_msg=field)


@pytest.mark.parametrize("fs", [11025, 44100])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_streaming_equals_one_block(fs, dtype):
    x = music_like(fs, 7.3).astype(dtype)
    whole = measure(x, fs)
    rng = np.random.default_rng(3)
    meter = LoudnessMeter(fs, 2)
    i = 0
    while i < x.shape[1]:
        n = int(rng.choice([0, 1, 7, 100, 1103, 4410, 50_000]))
        meter.process(x[:, i : i + n])
        i += n
    _assert_same(meter.result(), whole)
    assert len(whole.momentary_lufs) == (10 * x.shape[1] + 4) // fs  # complete 100 ms sub-blocks
    assert whole.lra_lu is not None


def test_result_does_not_end_the_stream():
    fs = 44100
    x = music_like(fs, 6.0)
    meter = LoudnessMeter(fs, 2)
    meter.process(x[:, :100_000])
    meter.result()
    meter.process(x[:, 100_000:])
    _assert_same(meter.result(), measure(x, fs))


def test_digital_silence():
    r = measure(np.zeros((2, 5 * 48000), np.float32), 48000)
    assert (r.integrated_lufs, r.lra_lu, r.true_peak_dbtp, r.sample_peak_dbfs) == (None, None, None, None)
    assert r.max_momentary_lufs is None and r.max_short_term_lufs is None
    assert r.true_peak_per_channel_dbtp == [None, None] == r.sample_peak_per_channel_dbfs
    assert set(r.momentary_lufs) == {None} and len(r.short_term_lufs) == 50


def test_shorter_than_a_gating_block():
    x = np.tile(sine(48000, 0.2, -10), (2, 1))
    r = measure(x, 48000)
    assert r.integrated_lufs is None and r.max_momentary_lufs is None and r.lra_lu is None
    assert r.momentary_lufs == [None, None]
    assert r.sample_peak_dbfs == pytest.approx(-10.0, abs=0.01)


def test_empty_input():
    r = measure(np.zeros((2, 0)), 44100)
    assert r.integrated_lufs is None and r.true_peak_dbtp is None and r.momentary_lufs == []


def test_agrees_with_libebur128():
    pyebur128 = pytest.importorskip("pyebur128")
    fs = 48000
    x = music_like(fs, 60.0).astype(np.float32)
    ours = measure(x, fs)
    modes = pyebur128.MeasurementMode
    st = pyebur128.R128State(2, fs, modes.MODE_I | modes.MODE_LRA | modes.MODE_TRUE_PEAK)
    st.add_frames(np.ascontiguousarray(x.T).reshape(-1), x.shape[1])
    tp = 20 * np.log10(max(pyebur128.get_true_peak(st, c) for c in range(2)))
    assert ours.integrated_lufs == pytest.approx(pyebur128.get_loudness_global(st), abs=0.1)
    assert ours.lra_lu == pytest.approx(pyebur128.get_loudness_range(st), abs=1.0)
    assert ours.true_peak_dbtp == pytest.approx(tp, abs=0.2)
    # On libebur128's 1 s short-term grid (instead of our 0.1 s) the LRA is the same number.
    one_second_grid = _power(np.array(ours.short_term_lufs[29::10], float))
    assert _loudness_range(one_second_grid) == pytest.approx(pyebur128.get_loudness_range(st), abs=1e-6)


@pytest.mark.parametrize("fs", [8000, 22050, 96000, 192000])
def test_k_weighting_at_any_rate_matches_libebur128(fs):
    pyebur128 = pytest.importorskip("pyebur128")
    x = music_like(fs, 5.0, seed=fs)
    st = pyebur128.R128State(2, fs, pyebur128.MeasurementMode.MODE_I)
    st.add_frames(np.ascontiguousarray(x.T).reshape(-1), x.shape[1])
    assert measure(x, fs).integrated_lufs == pytest.approx(pyebur128.get_loudness_global(st), abs=1e-6)


def test_an_hour_streams_in_little_memory():
    fs = 48000
    block = music_like(fs, 10.0).astype(np.float32)
    meter = LoudnessMeter(fs, 2)
    tracemalloc.start()
    try:
        for _ in range(360):  # 60 minutes in 10 s blocks
            meter.process(block)
        r = meter.result()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(r.short_term_lufs) == 36000
    assert peak < 20 * 2**20  # a few block-sized temporaries, never the audio
