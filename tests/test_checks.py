"""Technical checks on synthetic signals with known faults (in memory, through analyze_audio)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import music_like, sine

from syncready.analysis import Analysis, analyze_audio
from syncready.audio import Audio
from syncready.checks import profile as profiles
from syncready.checks import run
from syncready.errors import UsageError
from syncready.jsonable import from_jsonable, to_jsonable

SR = 48000


def findings(samples: np.ndarray, profile: str = "sync-library", sr: int = SR) -> dict:
    report = run(analyze_audio(Audio(samples, sr)), profiles.load(profile))
    return {f.check: f for f in report.findings}


def at_lufs(x: np.ndarray, target: float, sr: int = SR) -> np.ndarray:
    measured = analyze_audio(Audio(x, sr)).loudness.integrated_lufs
    return (x * 10 ** ((target - measured) / 20)).astype(np.float32)


def faded(x: np.ndarray, seconds: float = 2.0, sr: int = SR) -> np.ndarray:
    n = round(seconds * sr)
    out = x.copy()
    out[:, -n:] *= np.linspace(1, 0, n) ** 3
    return out


@pytest.fixture(scope="module")
def clean():
    """A compliant bed: -14 LUFS, true peak well under -1 dBTP, faded ending."""
    return faded(at_lufs(music_like(20), -14.0))


def test_clean_track_passes_everything_that_matters(clean):
    f = findings(clean)
    for check in ("loudness.integrated", "loudness.true_peak", "timing.head", "timing.tail", "timing.hard_stop",
                  "signal.clipping", "signal.dropouts", "spectrum.bandwidth", "stereo.correlation", "stereo.balance"):
        assert f[check].severity == "pass", (check, f[check])
    assert f["loudness.integrated"].measured == pytest.approx(-14.0, abs=0.1)


def test_too_loud_fails_with_master_fix(clean):
    f = findings(np.clip(clean * 4, -0.99, 0.99))
    assert f["loudness.integrated"].severity == "fail"
    assert "too loud" in f["loudness.integrated"].message
    assert "syncready master" in f["loudness.integrated"].fix


def test_profile_changes_the_verdict(clean):
    assert findings(clean, "sync-library")["loudness.integrated"].severity == "pass"
    assert findings(clean, "ebu-r128")["loudness.integrated"].severity == "fail"


def test_true_peak_over_ceiling_while_samples_are_low():
    n = 5 * SR
    crest = 10 ** (-0.5 / 20)
    x = crest * np.sin(2 * np.pi * 0.25 * np.arange(n) + np.pi / 4)  # fs/4: samples miss the crest by 3 dB
    f = findings(np.tile(x, (2, 1)).astype(np.float32))
    assert f["loudness.true_peak"].severity == "fail"
    assert f["loudness.true_peak"].measured == pytest.approx(-0.5, abs=0.15)


def test_head_and_tail_silence(clean):
    padded = np.concatenate([np.zeros((2, SR)), clean, np.zeros((2, 12 * SR))], axis=1).astype(np.float32)
    f = findings(padded)
    assert f["timing.head"].severity == "fail"
    assert f["timing.head"].measured == pytest.approx(1.0, abs=0.01)
    assert f["timing.tail"].severity == "fail"
    assert f["timing.tail"].measured > 12.0
    assert "syncready trim" in f["timing.tail"].fix


def test_hard_stop_fails_and_fade_passes(clean):
    cut = at_lufs(music_like(20), -14.0)
    assert findings(cut)["timing.hard_stop"].severity == "fail"
    assert findings(clean)["timing.hard_stop"].severity == "pass"


def test_clipping_is_counted_and_located():
    x = sine(100, 4, dbfs=6.0)
    x[:, : 2 * SR] *= 0.25  # first 2 s clean, then clipped
    x = np.clip(x, -1.0, 1.0)
    f = findings(x)
    assert f["signal.clipping"].severity == "fail"
    assert f["signal.clipping"].start_s >= 2.0
    assert f["signal.clipping"].measured >= 2 * 2 * 100 * 0.9  # two flat tops per cycle, both channels


def test_dc_offset_warns(clean):
    assert findings(clean)["signal.dc_offset"].severity == "pass"
    assert findings(clean + 0.05)["signal.dc_offset"].severity == "warn"


def test_dropout_found_at_its_place(clean):
    broken = clean.copy()
    start = int(7.5 * SR)
    broken[:, start : start + SR // 200] = 0.0  # 5 ms of digital silence
    f = findings(broken)
    assert f["signal.dropouts"].severity == "fail"
    assert f["signal.dropouts"].start_s == pytest.approx(7.5, abs=0.001)
    assert findings(clean)["signal.dropouts"].severity == "pass"


def test_band_limited_source_found_near_its_cutoff(clean):
    spectrum = np.fft.rfft(clean, axis=1)
    spectrum[:, np.fft.rfftfreq(clean.shape[1], 1 / SR) > 16000] = 0
    limited = np.fft.irfft(spectrum, n=clean.shape[1], axis=1).astype(np.float32)
    f = findings(limited)
    assert f["spectrum.bandwidth"].severity == "warn"
    assert f["spectrum.bandwidth"].measured == pytest.approx(16000, abs=300)


def test_gentle_roll_off_is_not_a_cutoff(clean):
    spectrum = np.fft.rfft(clean, axis=1)
    freqs = np.fft.rfftfreq(clean.shape[1], 1 / SR)
    spectrum /= 1 + (freqs / 4000) ** 2  # 12 dB/octave above 4 kHz, like a dark mix
    dark = np.fft.irfft(spectrum, n=clean.shape[1], axis=1).astype(np.float32)
    assert analyze_audio(Audio(dark, SR)).spectrum.cutoff_hz is None


def test_polarity_inverted_channel_fails(clean):
    inverted = clean.copy()
    inverted[1] *= -1
    f = findings(inverted)
    assert f["stereo.correlation"].severity == "fail"
    assert f["stereo.mono_drop"].severity == "warn"


def test_mono_material_loses_nothing_in_mono():
    x = np.tile(music_like(5, channels=1), (2, 1))
    s = analyze_audio(Audio(x, SR)).stereo
    assert s.correlation == pytest.approx(1.0, abs=1e-6)
    assert s.mono_drop_db == pytest.approx(0.0, abs=1e-6)


def test_unbalanced_mix_warns(clean):
    leaning = clean.copy()
    leaning[0] *= 10 ** (3 / 20)
    f = findings(leaning)
    assert f["stereo.balance"].severity == "warn"
    assert f["stereo.balance"].measured == pytest.approx(3.0, abs=0.3)


def test_sudden_level_jump_is_located():
    quiet = at_lufs(music_like(12, seed=1), -32.0)
    loud = at_lufs(music_like(12, seed=2), -12.0)
    f = findings(np.concatenate([quiet, loud], axis=1))
    assert f["loudness.level_jump"].severity == "warn"
    jump = f["loudness.level_jump"]
    assert jump.start_s <= 12.0 <= jump.end_s and jump.end_s - jump.start_s <= 0.5


def test_silence_is_unusable_with_null_loudness():
    a = analyze_audio(Audio(np.zeros((2, 5 * SR), np.float32), SR))
    assert a.loudness.integrated_lufs is None and a.loudness.true_peak_dbtp is None
    f = {x.check: x for x in run(a, profiles.load("sync-library")).findings}
    assert f["signal.silent"].severity == "fail"
    assert f["loudness.integrated"].severity == "fail" and "undefined" in f["loudness.integrated"].message


def test_mono_file_reports_no_stereo():
    f = findings(faded(at_lufs(music_like(8, channels=1), -14.0)))
    assert f["stereo.correlation"].severity == "info"


def test_r128_s1_short_term_maximum(clean):
    loud_burst = at_lufs(music_like(20), -23.0)
    loud_burst[:, 5 * SR : 9 * SR] *= 10  # +20 dB for 4 s
    f = findings(loud_burst, "r128-s1")
    assert f["loudness.max_short_term"].severity == "fail"
    assert 5.0 <= f["loudness.max_short_term"].start_s <= 8.1


def test_analysis_round_trips_through_json(clean):
    a = analyze_audio(Audio(clean, SR))
    back = from_jsonable(Analysis, json.loads(json.dumps(to_jsonable(a))))
    assert to_jsonable(back) == to_jsonable(a)


def test_user_profile_extends_a_shipped_one(tmp_path):
    path = tmp_path / "lib.toml"
    path.write_text('extends = "sync-library"\n[loudness]\nintegrated_lufs = -12.0\n')
    p = profiles.load(str(path))
    assert p.name == "lib" and p.loudness.integrated_lufs == -12.0
    assert p.loudness.true_peak_max_dbtp == -1.0 and p.delivery.sample_rate == 48000


@pytest.mark.parametrize("text", ["[loudness]\nbogus = 1\n", "[loudness]\nintegrated_lufs = 'loud'\n", "not toml ===", "colour = 3\n"])
def test_bad_user_profiles_are_usage_errors(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as exc:
        profiles.load(str(path))
    assert "\n" not in str(exc.value)


def test_unknown_profile_name():
    with pytest.raises(UsageError, match="unknown profile"):
        profiles.load("no-such-profile")


def test_every_shipped_profile_loads():
    names = profiles.available()
    assert {"sync-library", "premaster", "ebu-r128", "r128-s1", "atsc-a85", "spotify", "apple-music", "youtube"} <= set(names)
    assert profiles.load("atsc-a85").loudness.true_peak_max_dbtp == -2.0
