"""Stem separation: the dsp backend on a synthetic song with known parts, the demucs backend with
a tiny random model through the real loading code, and the file contract of split()."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from conftest import write_wav

from syncready.audio import Audio, probe
from syncready.errors import BadInputError, UsageError
from syncready.stems.separate import ROLES, separate, split
from syncready.stems.stemset import residual_db

RATE = 22050
BEAT = 0.5  # s, 120 BPM


def _tone(freqs: np.ndarray, harmonics: int, rate: int = RATE) -> np.ndarray:
    """A harmonic tone following the instantaneous frequencies ``freqs`` (Hz, one per sample)."""
    phase = 2 * np.pi * np.cumsum(freqs) / rate
    return sum(np.sin(h * phase) / h for h in range(1, harmonics + 1))


def song_parts(seconds: float = 16.0, seed: int = 1) -> dict[str, np.ndarray]:
    """Four stereo parts, float64 ``(2, frames)``: a looping drum bar, a looping bass line, looping
    chords, and a never-repeating sung-like line (vibrato, random pitches) as the vocals."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    drums = np.zeros(n)
    hit_t = np.arange(round(0.3 * RATE)) / RATE
    kick = np.sin(2 * np.pi * (50 * hit_t + 8 * (1 - np.exp(-hit_t / 0.03)))) * np.exp(-hit_t / 0.1)
    snare = rng.standard_normal(hit_t.size) * np.exp(-hit_t / 0.05) * 0.5
    hat = np.diff(rng.standard_normal(hit_t.size + 1)) * np.exp(-hit_t / 0.015) * 0.2
    for k in range(int(seconds / (BEAT / 2))):
        start = round(k * BEAT / 2 * RATE)
        for sound, on in ((kick, k % 4 == 0), (snare, k % 4 == 2), (hat, True)):
            if on:
                end = min(n, start + sound.size)
                drums[start:end] += sound[: end - start]
    bar = np.floor(t / (4 * BEAT)).astype(int) % 2
    bass = 0.5 * _tone(np.where(bar == 0, 55.0, 73.42), 4) * (0.6 + 0.4 * np.exp(-(t % BEAT) / 0.2))
    chords = sum(0.12 * _tone(np.where(bar == 0, f, f * 4 / 3), 5) for f in (261.6, 329.6, 392.0))
    notes = rng.uniform(220, 520, int(seconds / 0.4) + 1)
    pitch = notes[(t / 0.4).astype(int)] * 2 ** (0.3 / 12 * np.sin(2 * np.pi * 5.5 * t))
    vocals = 0.35 * _tone(pitch, 6) * np.clip(np.sin(np.pi * (t % 0.4) / 0.4) * 3, 0, 1)
    pans = {"drums": 0.5, "bass": 0.5, "other": 0.3, "vocals": 0.5}
    parts = {"drums": drums * 0.5, "bass": bass, "other": chords, "vocals": vocals}
    return {role: np.stack([x * (1 - pans[role]) * 2 * 0.25, x * pans[role] * 2 * 0.25]) for role, x in parts.items()}


def sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """10 log10(|reference|^2 / |reference - estimate|^2), dB."""
    return float(10 * np.log10(np.sum(reference**2) / np.sum((reference - estimate) ** 2)))


@pytest.fixture(scope="module")
def parts():
    return song_parts()


@pytest.fixture(scope="module")
def dsp_stems(parts):
    mix = sum(parts.values()).astype(np.float32)
    return mix, separate(Audio(mix, RATE), "dsp")


def test_dsp_stems_sum_to_the_mix(dsp_stems):
    mix, stems = dsp_stems
    assert sorted(stems) == sorted(ROLES)
    assert all(s.shape == mix.shape and s.dtype == np.float32 for s in stems.values())
    assert residual_db(mix - sum(stems.values()), mix) < -100


@pytest.mark.parametrize("role, gain_db", [("drums", 9.0), ("bass", 6.0), ("vocals", 6.0), ("other", 7.0)])
def test_dsp_each_stem_is_closer_to_its_part_than_the_mix(parts, dsp_stems, role, gain_db):
    mix, stems = dsp_stems
    assert sdr(parts[role], stems[role]) > sdr(parts[role], mix) + gain_db


def test_dsp_stems_hold_most_of_their_part(parts, dsp_stems):
    """Each part's energy lands mostly in its own stem (projection of the stem on the part)."""
    _, stems = dsp_stems
    for role, part in parts.items():
        shares = {r: float(np.sum(s * part)) for r, s in stems.items()}
        assert max(shares, key=shares.get) == role, shares


def test_dsp_bass_stem_is_low_only(dsp_stems):
    _, stems = dsp_stems
    spectrum = np.abs(np.fft.rfft(stems["bass"], axis=1)) ** 2
    freqs = np.fft.rfftfreq(stems["bass"].shape[1], 1 / RATE)
    assert spectrum[:, freqs > 500].sum() < 1e-3 * spectrum.sum()


@pytest.mark.parametrize("channels", [1, 3])
def test_dsp_keeps_channels_and_length(channels):
    mix = np.random.default_rng(0).standard_normal((channels, RATE * 3 + 17)).astype(np.float32) * 0.1
    stems = separate(Audio(mix, RATE), "dsp")
    assert all(s.shape == mix.shape for s in stems.values())
    assert residual_db(mix - sum(stems.values()), mix) < -100


def test_split_writes_four_24_bit_stems_that_null(tmp_path, parts):
    mix_path = write_wav(tmp_path / "mix.wav", sum(parts.values()), RATE)
    result = split(mix_path, tmp_path / "stems")
    assert result.backend == "dsp" and result.model is None
    assert [s["role"] for s in result.stems] == list(ROLES)
    mix = probe(mix_path)
    for stem in result.stems:
        info = probe(stem["path"])
        assert stem["path"].endswith(f"{stem['role']}.wav")
        assert (info.codec, info.sample_rate, info.channels, info.frames) == ("PCM_24", RATE, 2, mix.frames)
    assert result.residual_db < -80
    assert any("rough, weight-free fallback" in note for note in result.notes)
    assert any("null residual" in note for note in result.notes)
    assert result.seconds > 0
    assert result.to_dict()["stems"][0]["role"] == "vocals"


def test_split_never_overwrites_unless_asked(tmp_path, parts):
    mix_path = write_wav(tmp_path / "mix.wav", sum(parts.values())[:, : RATE * 4], RATE)
    split(mix_path, tmp_path / "stems")
    before = (tmp_path / "stems" / "drums.wav").read_bytes()
    with pytest.raises(UsageError, match="already exists"):
        split(mix_path, tmp_path / "stems")
    assert (tmp_path / "stems" / "drums.wav").read_bytes() == before
    split(mix_path, tmp_path / "stems", overwrite=True)


def test_split_never_writes_over_the_mix(tmp_path, parts):
    mix_path = write_wav(tmp_path / "other.wav", sum(parts.values())[:, : RATE * 4], RATE)
    before = mix_path.read_bytes()
    with pytest.raises(UsageError, match="input file"):
        split(mix_path, tmp_path, overwrite=True)
    assert mix_path.read_bytes() == before


def test_bad_inputs_are_one_line_errors(tmp_path):
    silent = write_wav(tmp_path / "silent.wav", np.zeros((2, RATE)), RATE)
    with pytest.raises(BadInputError, match="silent"):
        split(silent, tmp_path / "out")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all" * 100)
    with pytest.raises(BadInputError, match="junk.wav"):
        split(junk, tmp_path / "out")
    loud = write_wav(tmp_path / "loud.wav", np.full((1, RATE), 0.1), RATE)
    with pytest.raises(UsageError, match="unknown separation backend"):
        split(loud, tmp_path / "out", backend="spleeter")
    with pytest.raises(UsageError, match="takes no model"):
        split(loud, tmp_path / "out", model=tmp_path / "model.th")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- demucs


def tiny_htdemucs(**overrides):
    """A randomly initialised HTDemucs small enough to run in a second, and its constructor kwargs."""
    from demucs.htdemucs import HTDemucs

    kwargs = {**dict(sources=["drums", "bass", "other", "vocals"], samplerate=16000, segment=2, channels=8,
                     depth=2, nfft=512, t_layers=1, t_heads=2, bottom_channels=0), **overrides}
    return HTDemucs(**kwargs), kwargs


def save_package(model, kwargs, path):
    """Save ``model`` in the package format demucs writes and ``demucs.states.load_model`` reads."""
    import torch

    torch.save({"klass": type(model), "args": (), "kwargs": kwargs, "state": model.state_dict()}, path)
    return path


@pytest.fixture
def demucs_ready():
    pytest.importorskip("torch", reason="the demucs backend needs torch (pip install -e '.[demucs]')")
    pytest.importorskip("demucs", reason="the demucs backend needs demucs (pip install -e '.[demucs]')")


def test_demucs_split_with_a_checkpoint_file(tmp_path, demucs_ready, parts):
    model, kwargs = tiny_htdemucs()
    checkpoint = save_package(model, kwargs, tmp_path / "tiny.th")
    mix = sum(parts.values())[:, : round(3.3 * RATE)]
    mix_path = write_wav(tmp_path / "mix.wav", mix, RATE)  # 22.05 kHz: resampled to the model's 16 kHz and back
    result = split(mix_path, tmp_path / "stems", backend="demucs", model=checkpoint)
    assert result.backend == "demucs" and result.model == str(checkpoint)
    assert [s["role"] for s in result.stems] == list(ROLES)
    for stem in result.stems:
        info = probe(stem["path"])
        assert (info.sample_rate, info.channels, info.frames) == (RATE, 2, mix.shape[1])
        assert np.any(sf.read(stem["path"])[0])  # a random model's output is not silence
    assert any("HTDemucs" in note and "16000 Hz" in note for note in result.notes)
    assert any("null residual" in note for note in result.notes)


def test_demucs_mono_and_three_channels_and_six_sources(demucs_ready, tmp_path):
    model, kwargs = tiny_htdemucs(sources=["drums", "bass", "other", "vocals", "guitar", "piano"])
    checkpoint = save_package(model, kwargs, tmp_path / "six.th")
    for channels in (1, 3):
        mix = np.random.default_rng(channels).standard_normal((channels, RATE * 2)).astype(np.float32) * 0.1
        stems = separate(Audio(mix, RATE), "demucs", checkpoint)
        assert sorted(stems) == sorted(ROLES)
        assert all(s.shape == mix.shape and np.isfinite(s).all() for s in stems.values())


def test_demucs_bag_folder_and_missing_models(demucs_ready, tmp_path, monkeypatch):
    model, kwargs = tiny_htdemucs()
    repo = tmp_path / "repo"
    repo.mkdir()
    save_package(model, kwargs, repo / "1234abcd.th")
    (repo / "mybag.yaml").write_text("models: ['1234abcd']\nsegment: 2\n")
    mix = np.random.default_rng(0).standard_normal((2, RATE * 2)).astype(np.float32) * 0.1
    stems = separate(Audio(mix, RATE), "demucs", repo)
    assert all(s.shape == mix.shape for s in stems.values())

    (repo / "broken.yaml").write_text("models: ['ffffffff']\n")
    with pytest.raises(UsageError, match="cannot tell which"):
        separate(Audio(mix, RATE), "demucs", repo)
    with pytest.raises(UsageError, match="no ffffffff.th"):
        separate(Audio(mix, RATE), "demucs", repo / "broken.yaml")
    junk = tmp_path / "junk.th"
    junk.write_bytes(b"no pickle here")
    with pytest.raises(UsageError, match="cannot be loaded as a demucs model"):
        separate(Audio(mix, RATE), "demucs", junk)

    import torch

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "torch" / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hf"))
    with pytest.raises(UsageError, match="never downloads weights"):
        separate(Audio(mix, RATE), "demucs")
