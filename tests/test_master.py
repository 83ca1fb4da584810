"""syncready.produce.master: loudness onto the target, true peak under the ceiling, verified.

Every track is made here (music-like noise with drum-like hits, sines with inter-sample
peaks), written as a WAV in a temporary folder and mastered to a file beside it.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from conftest import music_like, write_wav

from syncready.analysis.loudness import measure
from syncready.analysis.truepeak import true_peak
from syncready.audio import Audio, load
from syncready.checks import profile as profiles
from syncready.errors import BadInputError, UsageError
from syncready.produce.master import TargetUnreachable, master, master_audio


def track(seconds: float = 12.0, fs: int = 44100, *, seed: int = 0, hits_db: float = 0.0) -> np.ndarray:
    """A mix: music-like bed plus kick-like hits every 500 ms whose peaks reach ``hits_db``
    above the bed's loudest samples; float32 (2, frames)."""
    x = music_like(seconds, fs, seed=seed).astype(np.float64) * 0.5
    t = np.arange(int(0.25 * fs)) / fs
    kick = np.sin(2 * np.pi * (55 * t + 40 * 0.03 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / 0.08)
    top = np.abs(x).max() * 10 ** (hits_db / 20)
    for start in range(fs // 10, x.shape[1] - t.size, fs // 2):
        x[:, start : start + t.size] += top * kick
    return (x * 0.9 / np.abs(x).max()).astype(np.float32)


def write(path, x: np.ndarray, fs: int = 44100, subtype: str = "PCM_24"):
    sf.write(path, x.T, fs, subtype=subtype)
    return path


def user_profile(tmp_path, text: str, name: str = "custom"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return profiles.load(path)


def dbtp(path) -> float:
    a = load(path)
    return 20 * np.log10(true_peak(a.samples, a.sample_rate, 8))


@pytest.mark.parametrize("name", ["sync-library", "ebu-r128", "atsc-a85", "spotify"])
def test_master_hits_target_under_ceiling(tmp_path, name):
    profile = profiles.load(name)
    src = write(tmp_path / "in.wav", track(seed=1))
    result = master(src, profile, tmp_path / "out.wav")
    target, tol = profile.loudness.integrated_lufs, profile.loudness.integrated_tolerance_lu
    written = load(tmp_path / "out.wav")
    assert written.sample_rate == profile.delivery.sample_rate
    assert written.source.codec == f"PCM_{profile.delivery.bit_depth}"
    meter = measure(written.samples, written.sample_rate)
    assert abs(meter.integrated_lufs - target) <= min(tol, 0.2)
    assert meter.integrated_lufs <= target or profile.loudness.loud_true_peak_max_dbtp is None
    ceiling = profile.loudness.true_peak_max_dbtp
    assert dbtp(tmp_path / "out.wav") <= ceiling and meter.true_peak_dbtp <= ceiling
    assert result.changed and result.output_path == str(tmp_path / "out.wav")
    assert result.true_peak_dbtp == pytest.approx(dbtp(tmp_path / "out.wav"))
    assert result.integrated_lufs == pytest.approx(meter.integrated_lufs)
    assert 1 <= result.iterations <= 6


def test_loud_hot_source_is_limited_and_reported(tmp_path):
    src = write(tmp_path / "in.wav", track(seed=2, hits_db=12.0), fs=48000)
    result = master(src, profiles.load("sync-library"), tmp_path / "out.wav")
    assert result.gain_db > 0 and result.gain_reduction_max_db > 1.0
    assert result.limiter_threshold_dbtp is not None and result.limiter_threshold_dbtp <= -1.1
    assert 0.0 <= result.gain_reduction_above_1db_s <= 12.0
    assert result.input_integrated_lufs < -14.0
    assert dbtp(tmp_path / "out.wav") <= -1.0


def test_sixteen_bit_output_stays_under_the_ceiling(tmp_path):
    profile = user_profile(tmp_path, 'extends = "sync-library"\n[delivery]\nbit_depth = 16\n')
    src = write(tmp_path / "in.wav", track(seed=3, hits_db=4.0))
    master(src, profile, tmp_path / "out.wav")
    assert load(tmp_path / "out.wav").source.codec == "PCM_16"
    assert dbtp(tmp_path / "out.wav") <= -1.0


def test_premaster_gets_gain_only(tmp_path):
    x = track(seed=4) * np.float32(0.1)  # sample peak -26.9 dBFS: below the window
    src = write(tmp_path / "in.wav", x, fs=48000)
    result = master(src, profiles.load("premaster"), tmp_path / "out.wav")
    assert result.limiter_threshold_dbtp is None and result.gain_reduction_max_db == 0.0
    assert -9.0 <= result.sample_peak_dbfs <= -3.0 and result.true_peak_dbtp <= -2.0
    out = load(tmp_path / "out.wav").samples
    scaled = load(src).samples * np.float32(10 ** (result.gain_db / 20))
    assert np.abs(out - scaled).max() < 4 / 2**23  # the same waveform, only louder (and dithered)


def test_unreachable_target_is_refused(tmp_path):
    profile = user_profile(tmp_path, 'extends = "sync-library"\n[loudness]\nintegrated_lufs = -9.0\n')
    x = track(seed=5, hits_db=14.0) * np.float32(0.5)  # sparse loud hits over a quiet bed
    src = write(tmp_path / "in.wav", x)
    with pytest.raises(TargetUnreachable) as caught:
        master(src, profile, tmp_path / "out.wav")
    message = str(caught.value)
    assert "-9 LUFS" in message and "--max-limiting" in message and "\n" not in message
    assert caught.value.reachable_lufs is not None and caught.value.reachable_lufs < -9.0
    assert not (tmp_path / "out.wav").exists()
    # Allowing more limiting gets there.
    result = master(src, profile, tmp_path / "out.wav", max_gain_reduction_db=40.0)
    assert abs(result.integrated_lufs + 9.0) <= 2.0 and result.true_peak_dbtp <= -1.0


def test_compliant_file_is_copied_byte_identical(tmp_path):
    profile = profiles.load("sync-library")
    src = write(tmp_path / "in.wav", track(seed=6), fs=48000)
    master(src, profile, tmp_path / "first.wav")
    result = master(tmp_path / "first.wav", profile, tmp_path / "second.wav")
    assert not result.changed and "already meets" in result.reason
    assert result.gain_db == 0.0 and result.iterations == 0
    assert (tmp_path / "second.wav").read_bytes() == (tmp_path / "first.wav").read_bytes()


def test_compliant_file_in_another_format_is_converted_without_gain(tmp_path):
    profile = profiles.load("sync-library")
    src = write(tmp_path / "in.wav", track(seed=7), fs=48000)
    master(src, profile, tmp_path / "first.wav")
    a = load(tmp_path / "first.wav")
    write(tmp_path / "float.wav", a.samples, fs=48000, subtype="FLOAT")
    result = master(tmp_path / "float.wav", profile, tmp_path / "second.wav")
    assert result.changed and "without gain change" in result.reason and result.gain_db == 0.0
    assert load(tmp_path / "second.wav").source.codec == "PCM_24"
    assert result.integrated_lufs == pytest.approx(measure(a.samples, 48000).integrated_lufs, abs=0.01)


def test_output_never_overwrites_input_or_existing_file(tmp_path):
    src = write(tmp_path / "in.wav", track(seed=8, seconds=4.0))
    before = src.read_bytes()
    with pytest.raises(UsageError):
        master(src, profiles.load("sync-library"), src, overwrite=True)
    (tmp_path / "out.wav").write_bytes(b"keep")
    with pytest.raises(UsageError):
        master(src, profiles.load("sync-library"), tmp_path / "out.wav")
    assert src.read_bytes() == before and (tmp_path / "out.wav").read_bytes() == b"keep"
    master(src, profiles.load("sync-library"), tmp_path / "out.wav", overwrite=True)
    assert (tmp_path / "out.wav").read_bytes() != b"keep"


def test_silent_input_is_bad_input(tmp_path):
    src = write(tmp_path / "silent.wav", np.zeros((2, 48000), np.float32))
    with pytest.raises(BadInputError, match="is silent; nothing to master"):
        master(src, profiles.load("sync-library"), tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_profile_without_loudness_target_only_limits(tmp_path):
    profile = user_profile(tmp_path, '[delivery]\nsample_rate = 48000\n[loudness]\ntrue_peak_max_dbtp = -1.0\n')
    x = track(seed=9, seconds=4.0, fs=48000) * np.float32(0.2)
    burst = slice(48000, 72000)  # half a second of fs/4 at 45 degrees: inter-sample peaks over 0 dBTP
    x[:, burst] += 1.1 * np.sin(np.pi / 2 * np.arange(24000) + np.pi / 4).astype(np.float32)
    src = write(tmp_path / "in.wav", x, fs=48000)
    result = master(src, profile, tmp_path / "out.wav")
    assert result.input_true_peak_dbtp > 0.0 and result.gain_db == 0.0
    assert result.true_peak_dbtp <= -1.0 and result.gain_reduction_max_db > 1.0
    # Held over the whole track, the same peaks are turned down instead of limited for 100 % of it.
    x[:, :] = 1.1 * np.sin(np.pi / 2 * np.arange(x.shape[1]) + np.pi / 4).astype(np.float32)
    result = master(write(tmp_path / "sine.wav", x, fs=48000), profile, tmp_path / "sine-out.wav")
    assert result.gain_db < -0.5 and result.gain_reduction_above_1db_s <= 0.3 * 4.0
    assert result.true_peak_dbtp <= -1.0


def test_glue_and_tilt_in_memory(tmp_path):
    a = Audio(track(seed=10, seconds=8.0), 44100)
    out, result = master_audio(a, profiles.load("youtube"), glue=True, tilt_db=2.0)
    assert out.sample_rate == 48000 and result.output_path is None
    assert result.glue_gain_reduction_max_db > 0.0 and result.tilt_db == 2.0
    assert abs(result.integrated_lufs + 14.0) <= 0.2 and result.true_peak_dbtp <= -1.0


def test_master_removes_a_dc_offset_the_check_flags(tmp_path):
    x = music_like(6, 48000) * 0.5 + 0.02  # -34 dBFS of DC on both channels
    src = write_wav(tmp_path / "dc.wav", x, 48000)
    r = master(src, profiles.load("sync-library"), tmp_path / "m.wav")
    assert r.changed and r.dc_offset_removed_dbfs == pytest.approx(-34.0, abs=0.5)
    y, _ = sf.read(tmp_path / "m.wav", always_2d=True)
    assert np.abs(y.mean(axis=0)).max() < 10 ** (-60 / 20)


def test_an_offset_that_stops_with_the_music_leaves_a_silent_end(tmp_path):
    """An edit decays the music (and its offset) to silence; removing the offset must not
    leave it standing in that silence as a hard stop."""
    rate = 48000
    body = music_like(6, rate) * 0.5 + 0.05
    decay = np.exp(-np.arange(2 * rate) / (0.3 * rate)).astype(np.float32)  # a ring-out, offset included
    x = np.concatenate([body, body[:, -1:] * decay, np.zeros((2, rate // 2), np.float32)], axis=1)
    out, r = master_audio(Audio(x, rate), profiles.load("sync-library"))
    assert r.dc_offset_removed_dbfs is not None
    assert np.abs(out.samples[:, -rate // 4 :]).max() < 10 ** (-60 / 20)  # the last 250 ms stay silent
    assert np.abs(out.samples[:, rate : 5 * rate].mean(axis=1)).max() < 10 ** (-60 / 20)


def test_fix_ends_a_song_with_a_dc_offset_cleanly(tmp_path):
    from syncready.demo import make_demo_track
    from syncready.produce.fix import fix

    raw = make_demo_track(tmp_path / "raw.wav")
    x, rate = sf.read(raw, dtype="float32", always_2d=True)
    sf.write(tmp_path / "dc.wav", x + 0.05, rate, subtype="PCM_24")  # -26 dBFS of DC under the whole song
    r = fix(tmp_path / "dc.wav", profiles.load("sync-library"), tmp_path / "out")
    after = {f.check: f.severity for f in r.after.report.findings}
    assert [s["step"] for s in r.steps][-1] == "master"
    for check in ("signal.dc_offset", "timing.hard_stop", "music.ending", "loudness.level_jump"):
        assert after[check] == "pass", check
