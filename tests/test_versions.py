"""Versions from stems: one gain structure, the version table, the dialogue dip, the contracts.

The material is a rendered 6 s song in parts (a vibrato voice, backing vocals, noise-burst drums,
a bass line, bright chords, a hook, a faint residual), written as stems (the drums 25 ms late)
plus their sum as the mix. Which part a version holds is read by least squares: the version is
fitted as a weighted sum of the parts, and the weights say what went in at what gain.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import write_wav
from syncready import audio as audio_io
from syncready.analysis.truepeak import true_peak
from syncready.checks import profile as profiles
from syncready.errors import UsageError
from syncready.jsonable import to_jsonable
from syncready.audio import quantised
from syncready.produce.master import master_audio
from syncready.stems import dialogue
from syncready.stems.versions import UNDERSCORE_DRUMS_DB, VERSIONS, mix_versions, render_versions, select
from syncready.stems.stemset import load_set

RATE = 44100
SECONDS = 6.0
BEAT = 0.5
LATE_S = 0.025
PROFILE = profiles.load("sync-library")
DELIVERY_FRAMES = round(SECONDS * RATE * PROFILE.delivery.sample_rate / RATE)


def _notes(freqs, length, *, harmonics=8, slope=1.0, vibrato=0.0, attack=0.03, decay=None) -> np.ndarray:
    """A line of notes ``length`` s each (None rests): harmonics at ``1 / k ** slope``, optional
    5.5 Hz vibrato (relative depth) and exponential decay (s)."""
    t = np.arange(round(SECONDS * RATE)) / RATE
    out = np.zeros_like(t)
    for i, f in enumerate(freqs):
        on = (t >= i * length) & (t < (i + 1) * length)
        if f is None or not on.any():
            continue
        local = t[on] - i * length
        phase = 2 * np.pi * np.cumsum(f * (1 + vibrato * np.sin(2 * np.pi * 5.5 * local))) / RATE
        env = np.minimum(1, local / attack) * np.minimum(1, (length - local) / 0.02)
        if decay:
            env *= np.exp(-local / decay)
        out[on] = env * sum(np.sin(k * phase) / k**slope for k in range(1, harmonics + 1))
    return out


def _parts() -> dict[str, np.ndarray]:
    """The song's parts, stereo float32 at ``RATE``, keyed by stem file stem."""
    rng = np.random.default_rng(7)
    n = round(SECONDS * RATE)
    drums = np.zeros(n)
    for beat in np.arange(0, SECONDS, BEAT):
        i, m = round(beat * RATE), round(0.2 * RATE)
        drums[i : i + m] += rng.standard_normal(m) * np.exp(-np.arange(m) / RATE / 0.03)
    chords = sum(_notes([220 * r] * 3 + [220 * r * 1.122] * 3, 1.0, harmonics=16, slope=0.6, attack=0.01)
                 for r in (1, 1.26, 1.5))
    lines = {
        "lead-vocal": (_notes([220, 247, 262, 294, 330, 294, 262, 247, 220, 196, 220, 247], BEAT, vibrato=0.03), 0.05),
        "backing-vocals": (_notes([None] * 6 + [330, 370, 392, 370, 330, 294], BEAT, vibrato=0.02), 0.02),
        "drums": (drums, 0.16),
        "bass": (_notes([55, 55, 73.4, 73.4, 49, 49], 1.0, harmonics=2), 0.08),
        "chords": (chords, 0.02),
        "hook": (_notes([880, None, 988, None, 1047, None, 988, None] * 2, 0.75, harmonics=3, decay=0.2), 0.015),
        "residual": (rng.standard_normal(n), 0.0012),
    }
    return {name: np.stack([x * level, x * level * 0.9]).astype(np.float32) for name, (x, level) in lines.items()}


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    """(folder, mix path, stem paths, parts): the stems and the mix (their exact sum) as files."""
    folder = tmp_path_factory.mktemp("song")
    parts = _parts()
    late = np.zeros((2, round(LATE_S * RATE)), np.float32)
    stems = [write_wav(folder / f"{name}.wav", np.concatenate([late, x], axis=1) if name == "drums" else x, RATE)
             for name, x in parts.items()]
    mix = write_wav(folder / "song.wav", sum(parts.values()), RATE)
    return folder, mix, stems, parts


@pytest.fixture(scope="module")
def rendered(song, tmp_path_factory):
    """Every version of the song, written and verified."""
    _, mix, stems, _ = song
    return render_versions(mix, stems, tmp_path_factory.mktemp("versions"), PROFILE)


@pytest.fixture(scope="module")
def parts_at_delivery(song):
    """The parts (aligned, as summed into the mix) at the delivery rate, as regressors."""
    return {name: audio_io.resample(audio_io.Audio(x, RATE), PROFILE.delivery.sample_rate).samples
            for name, x in song[3].items()}


def _weights(path, parts: dict[str, np.ndarray]) -> dict[str, float]:
    """Least-squares weight of every part in the file at ``path``."""
    y = audio_io.load(path).samples.ravel().astype(np.float64)
    basis = np.stack([x.ravel() for x in parts.values()], axis=1).astype(np.float64)
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    return dict(zip(parts, coef.tolist()))


def _by_name(result):
    return {v.name: v for v in result.versions}


def test_every_version_shares_one_gain_structure_and_keeps_its_contract(rendered):
    versions = _by_name(rendered)
    assert list(versions) == list(VERSIONS)
    assert rendered.skipped == {}
    assert rendered.limiter_threshold_dbtp is not None and rendered.limiter is not None
    assert any("drums.wav: 25.0 ms late" in note for note in rendered.notes)
    for v in versions.values():
        assert v.gain_db == rendered.gain_db
        written = audio_io.load(v.path)
        assert written.sample_rate == PROFILE.delivery.sample_rate
        assert written.frames == rendered.frames == DELIVERY_FRAMES
        peak_dbtp = 20 * math.log10(true_peak(written.samples, written.sample_rate, 8))
        assert peak_dbtp <= PROFILE.loudness.true_peak_max_dbtp
        assert v.true_peak_dbtp == pytest.approx(peak_dbtp, abs=1e-6)
    assert versions["full"].limiter_gain_reduction_max_db > 0.5  # the shared limiter is really at work
    assert versions["acappella"].roles == ["vocals", "backing_vocals"]
    document = json.loads(json.dumps(to_jsonable(rendered)))
    assert document["versions"][0]["name"] == "full"
    assert all(type(v.integrated_lufs) is float and type(v.limiter_gain_reduction_max_db) is float
               for v in rendered.versions)


def test_full_version_is_the_master_of_the_mix(song, rendered):
    mastered, master = master_audio(audio_io.load(song[1]), PROFILE)
    full = audio_io.load(_by_name(rendered)["full"].path).samples
    assert rendered.gain_db == pytest.approx(master.gain_db, abs=0.01)
    assert rendered.limiter_threshold_dbtp == pytest.approx(master.limiter_threshold_dbtp, abs=0.01)
    residual = np.sqrt(np.mean((full - mastered.samples) ** 2) / np.mean(mastered.samples**2))
    assert 20 * math.log10(residual) < -50


def test_each_version_holds_its_roles(rendered, parts_at_delivery):
    gain = 10 ** (rendered.gain_db / 20)
    w = {name: _weights(v.path, parts_at_delivery) for name, v in _by_name(rendered).items()}
    vocals = ("lead-vocal", "backing-vocals")
    assert all(w["full"][part] == pytest.approx(gain, rel=0.05) for part in parts_at_delivery)
    assert all(abs(w["instrumental"][part]) < 0.01 * gain for part in (*vocals, "residual"))
    assert all(w["acappella"][part] == pytest.approx(gain, rel=0.02) for part in vocals)
    assert all(abs(w["acappella"][part]) < 0.01 * gain for part in parts_at_delivery if part not in vocals)
    assert abs(w["tv_mix"]["lead-vocal"]) < 0.01 * gain
    assert w["tv_mix"]["backing-vocals"] == pytest.approx(gain, rel=0.05)
    assert all(abs(w["underscore"][part]) < 0.01 * gain for part in (*vocals, "hook", "residual"))
    assert all(abs(w["no_drums"][part]) < 0.01 * gain for part in ("drums", "residual"))
    assert all(abs(w["bass_drums"][part]) < 0.01 * gain for part in parts_at_delivery if part not in ("bass", "drums"))
    # drums and bass are equally loud in the mix; in the underscore the drums sit the table's amount lower
    assert 20 * math.log10(w["underscore"]["drums"] / w["underscore"]["bass"]) == pytest.approx(UNDERSCORE_DRUMS_DB, abs=0.2)


def _band_db(x: np.ndarray, rate: int, low: float, high: float) -> float:
    """Energy of ``x`` between ``low`` and ``high`` Hz from its spectrum, dB."""
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64), axis=1)) ** 2
    freqs = np.fft.rfftfreq(x.shape[1], 1 / rate)
    return 10 * math.log10(spectrum[:, (freqs >= low) & (freqs < high)].sum())


def test_dialogue_dip_lowers_the_speech_band_by_what_it_reports(song, rendered, tmp_path):
    _, mix, stems, _ = song
    result = render_versions(mix, stems, tmp_path, PROFILE, only=["underscore"], dialogue=True)
    (dipped,) = result.versions
    report = dipped.dialogue
    assert result.gain_db == rendered.gain_db
    assert 0 < report.dip_max_db <= dialogue.DipSettings().max_dip_db
    reported_drop = report.band_before_db - report.band_after_db
    assert reported_drop > 1.0
    plain = audio_io.load(_by_name(rendered)["underscore"].path).samples
    with_dip = audio_io.load(dipped.path).samples
    rate = PROFILE.delivery.sample_rate
    measured_drop = _band_db(plain, rate, 1000, 4000) - _band_db(with_dip, rate, 1000, 4000)
    assert measured_drop == pytest.approx(reported_drop, abs=0.5)
    assert _band_db(plain, rate, 20, 200) - _band_db(with_dip, rate, 20, 200) == pytest.approx(0, abs=0.05)


def test_dialogue_dip_leaves_a_dark_bed_alone():
    t = np.arange(48000) / 48000
    bed = np.tile(0.3 * np.sin(2 * np.pi * 80 * t) + 0.001 * np.sin(2 * np.pi * 2000 * t), (2, 1)).astype(np.float32)
    out, report = dialogue.dip(bed, 48000)
    assert report.dip_max_db == 0.0
    assert np.array_equal(out, bed)


def test_premaster_versions_get_the_gain_only(song, tmp_path):
    _, mix, stems, _ = song
    premaster = profiles.load("premaster")
    result = render_versions(mix, stems, tmp_path, premaster, only=["acappella", "full"])
    assert [v.name for v in result.versions] == ["full", "acappella"]
    assert result.limiter_threshold_dbtp is None and result.limiter is None
    assert all(v.limiter_gain_reduction_max_db == 0.0 and v.gain_db == result.gain_db for v in result.versions)


def test_select_skips_what_the_set_cannot_make_and_refuses_it_when_asked():
    chosen, skipped = select({"drums", "bass", "harmony"})
    assert [v.name for v in chosen] == ["full", "underscore", "no_drums", "bass_drums"]
    assert set(skipped) == {"instrumental", "acappella", "tv_mix"}
    assert "vocals" in skipped["acappella"]
    with pytest.raises(UsageError, match="acappella.*needs a vocals or backing_vocals stem"):
        select({"drums", "bass"}, ["full", "acappella"])
    with pytest.raises(UsageError, match="'karaoke'.*full, instrumental, acappella, underscore"):
        select({"vocals", "bass"}, ["karaoke"])
    with pytest.raises(UsageError, match="--dialogue"):
        select({"vocals", "bass"}, ["full"], dialogue=True)


def test_missing_role_asked_for_is_refused_before_anything_is_written(song, tmp_path):
    _, mix, stems, _ = song
    no_vocals = [p for p in stems if "vocal" not in p.name]
    with pytest.raises(UsageError, match="acappella"):
        render_versions(mix, no_vocals, tmp_path / "out", PROFILE, only=["acappella"])
    assert not (tmp_path / "out").exists()


def test_unknown_stem_names_are_refused_by_name(song, tmp_path):
    _, mix, stems, parts = song
    odd = write_wav(tmp_path / "track3.wav", parts["bass"], RATE)
    with pytest.raises(UsageError, match="track3.wav"):
        render_versions(mix, [*stems, odd], tmp_path / "out", PROFILE)
    assert not (tmp_path / "out").exists()


def test_existing_output_is_refused(song, tmp_path):
    _, mix, stems, _ = song
    existing = tmp_path / "song-acappella.wav"
    existing.write_bytes(b"keep me")
    with pytest.raises(UsageError, match="already exists"):
        render_versions(mix, stems, tmp_path, PROFILE, only=["acappella"])
    assert existing.read_bytes() == b"keep me"


def test_mix_versions_in_memory(song):
    _, mix, stems, _ = song
    audio, result = mix_versions(load_set(mix, stems), PROFILE, only=["bass_drums"])
    assert list(audio) == ["bass_drums"] and result.versions[0].path is None
    assert audio["bass_drums"].frames == DELIVERY_FRAMES
    assert [p.offset_ms for p in result.stems if p.role == "drums"] == [pytest.approx(1000 * LATE_S, abs=0.03)]


@pytest.mark.parametrize(("bit_depth", "suffix"), [(24, ".wav"), (16, ".wav"), (24, ".flac")])
def test_quantised_samples_are_exactly_what_the_file_holds(tmp_path, bit_depth, suffix):
    rng = np.random.default_rng(5)
    x = np.clip(rng.standard_normal((2, 48000)) * 0.3, -0.9, 0.9).astype(np.float32)
    x[0, :10] = 1.5  # over full scale: clipped to the code range
    q = quantised(x, bit_depth)
    assert np.abs(q - x)[:, 10:].max() <= 1.5 * 2.0 ** (1 - bit_depth) and q[0, :10].max() < 1.0  # dither + rounding
    audio_io.save(audio_io.Audio(q, 48000), tmp_path / f"q{suffix}", bit_depth=bit_depth)
    assert np.array_equal(audio_io.load(tmp_path / f"q{suffix}").samples, q)


def test_a_rendered_version_is_the_judged_samples(song, tmp_path):
    _, mix, stems, _ = song
    judged, result = mix_versions(load_set(mix, stems), PROFILE, only=["acappella"], bit_depth=PROFILE.delivery.bit_depth)
    (written,) = render_versions(mix, stems, tmp_path, PROFILE, only=["acappella"]).versions
    assert np.array_equal(audio_io.load(written.path).samples, judged["acappella"].samples)
    assert written.true_peak_dbtp == result.versions[0].true_peak_dbtp
    assert written.meter_true_peak_dbtp >= written.true_peak_dbtp - 0.05


def test_a_dc_offset_in_a_stem_is_removed_from_every_version(tmp_path):
    parts = _parts()
    parts["bass"] = parts["bass"] + np.float32(0.03)  # a DI bass with -30 dBFS of DC
    stems = [write_wav(tmp_path / f"{name}.wav", x, RATE) for name, x in parts.items()]
    mix = write_wav(tmp_path / "song.wav", sum(parts.values()), RATE)
    audio, result = mix_versions(load_set(mix, stems), PROFILE)
    assert any("DC offset" in note for note in result.notes)
    assert len(audio) >= 4
    for name, version in audio.items():
        assert np.abs(version.samples.mean(axis=1)).max() < 10 ** (-60 / 20), name
