"""Chroma, key and key changes on synthesized chord progressions, noise, drums and silence."""

from __future__ import annotations

import functools

import mir_eval
import numpy as np
import pytest

from syncready.analysis.tonal import Key, chroma, detect_key

SR = 22050
MAJOR = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR = (0, 2, 3, 5, 7, 8, 10)
NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
# Four-bar progressions as 0-based scale degrees, ending on the tonic when repeated then closed.
PROGRESSIONS = {
    "major": ((0, 3, 4, 0), (0, 4, 5, 3), (0, 5, 3, 4)),  # I-IV-V-I, I-V-vi-IV, I-vi-IV-V
    "minor": ((0, 3, 4, 0), (0, 5, 2, 6), (0, 3, 6, 4)),  # i-iv-V-i, i-VI-III-VII, i-iv-VII-V
}


@functools.lru_cache(maxsize=None)
def tone(midi: float, n: int, sr: int, partials: int, tilt: float, decay_s: float) -> np.ndarray:
    """A harmonic tone: partial h at 1/h**tilt, decaying faster the higher it is; 5 ms ramps."""
    t = np.arange(n) / sr
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    h = np.arange(1, partials + 1)[:, None]
    h = h[h[:, 0] * f0 < sr / 2 - 500]
    x = (np.sin(2 * np.pi * f0 * h * t + h) / h**tilt * np.exp(-t * np.sqrt(h) / decay_s)).sum(axis=0)
    ramp = min(n // 2, round(0.005 * sr))
    x[:ramp] *= np.linspace(0, 1, ramp)
    x[n - ramp :] *= np.linspace(1, 0, ramp)
    return x


def triad(degree: int, mode: str) -> list[int]:
    """Semitones above the tonic of the triad on a scale degree (harmonic-minor dominant)."""
    scale = list(MAJOR if mode == "major" else NATURAL_MINOR)
    if mode == "minor" and degree == 4:
        scale[6] = 11
    return [scale[(degree + step) % 7] + 12 * ((degree + step) // 7) for step in (0, 2, 4)]


def song(tonic: int, mode: str, progression: tuple[int, ...], *, bars: int | None = None, seed: int = 0,
         sr: int = SR, detune_cents: float = 0.0, beat_s: float = 0.5) -> np.ndarray:
    """Chords, a bass on beats 1 and 3 and a melody from the scale, closed by a held tonic chord.

    ``bars`` (default: the progression twice) of four beats; float32 stereo, peak 0.5.
    """
    rng = np.random.default_rng(seed)
    scale = MAJOR if mode == "major" else NATURAL_MINOR
    bars = 2 * len(progression) if bars is None else bars
    degrees = [progression[k % len(progression)] for k in range(bars)] + [0]
    bar_s = 4 * beat_s
    out = np.zeros(round((len(degrees) * bar_s + 2.5) * sr))
    shift = detune_cents / 100 + 48 + tonic

    def add(start_s: float, length_s: float, pitch: int, amp: float, partials: int, tilt: float, decay_s: float):
        i, n = round(start_s * sr), round(length_s * sr)
        out[i : i + n] += amp * tone(pitch + shift, n, sr, partials, tilt, decay_s)

    for b, degree in enumerate(degrees):
        t0, final = b * bar_s, b == len(degrees) - 1
        chord = triad(degree, mode)
        length = 2 * bar_s if final else bar_s
        for pitch in chord:
            add(t0, length, 12 + pitch % 12, 0.25, 8, 1.0, 0.9)
        for k in (0,) if final else (0, 2):
            add(t0 + k * beat_s, length if final else 2 * beat_s, chord[0] % 12 - 12, 0.4, 6, 1.5, 1.2)
        melody = [chord[0] % 12] if final else [
            chord[rng.integers(3)] % 12 if rng.random() < 0.6 else scale[rng.integers(7)] for _ in range(4)]
        for k, pitch in enumerate(melody):
            add(t0 + k * beat_s, length if final else beat_s, 24 + pitch, 0.2, 5, 1.2, 0.5)
    out *= 0.5 / np.abs(out).max()
    return np.stack([out, out]).astype(np.float32)


def name(tonic: int, mode: str) -> str:
    return f"{NAMES[tonic % 12]} {mode}"


def drums(seconds: float, sr: int = SR, seed: int = 0) -> np.ndarray:
    """Kick (pitch sweep), snare (noise and a 180 Hz body) and hi-hat (differenced noise) at 120 BPM."""
    rng = np.random.default_rng(seed)
    out = np.zeros(round(seconds * sr))
    t = np.arange(round(0.4 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 * t + 100 * 0.03 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / 0.15)
    snare = (0.6 * rng.standard_normal(len(t)) + np.sin(2 * np.pi * 180 * t)) * np.exp(-t / 0.08)
    hat = np.diff(rng.standard_normal(len(t) + 1)) * np.exp(-t / 0.02) * 0.3
    for k in range(int(seconds * 4) - 2):
        i = round(k * 0.25 * sr)
        out[i : i + len(t)] += hat
        if k % 4 == 0:
            out[i : i + len(t)] += kick if k % 8 == 0 else snare
    out *= 0.5 / np.abs(out).max()
    return np.stack([out, out]).astype(np.float32)


def assert_valid(key: Key) -> None:
    assert 0.0 <= key.confidence <= 1.0
    for k in [key.key] * (key.key is not None) + [c.key for c in key.changes]:
        mir_eval.key.validate_key(k)


@pytest.fixture(scope="module")
def all_keys() -> list[tuple[str, Key]]:
    cases = []
    for mode in ("major", "minor"):
        for tonic in range(12):
            progression = PROGRESSIONS[mode][tonic % 3]
            x = song(tonic, mode, progression, seed=tonic + 12 * (mode == "minor"))
            cases.append((name(tonic, mode), detect_key(x, SR)))
    return cases


def test_all_24_keys(all_keys):
    scores = [mir_eval.key.weighted_score(ref, est.key) for ref, est in all_keys]
    wrong = [(ref, est.key) for ref, est in all_keys if ref != est.key]
    assert np.mean([s == 1.0 for s in scores]) >= 0.9, wrong
    assert np.mean(scores) >= 0.9, wrong
    for _, est in all_keys:
        assert_valid(est)
        assert est.changes == []


def test_clear_tonal_music_is_confident(all_keys):
    confidences = [est.confidence for ref, est in all_keys if ref == est.key]
    assert np.median(confidences) > 0.5
    assert min(confidences) > 0.2


@pytest.mark.parametrize("tonic, mode", [(0, "major"), (9, "minor"), (6, "major")])
def test_detuned_by_30_cents_at_44k(tonic, mode):
    x = song(tonic, mode, PROGRESSIONS[mode][0], seed=3, sr=44100, detune_cents=30.0)
    key = detect_key(x, 44100)
    assert key.key == name(tonic, mode)
    assert key.confidence > 0.5


def test_chroma_of_a_detuned_triad():
    n = 3 * SR
    x = sum(tone(p + 0.3, n, SR, 8, 1.0, 0.9) for p in (60, 64, 67))  # C major, 30 cents sharp
    c = chroma(x.astype(np.float32), SR)
    assert c.shape == (12, -(-n // round(0.1 * SR)))
    profile = c.sum(axis=1)
    assert set(np.argsort(profile)[-3:]) == {0, 4, 7}
    assert profile[[0, 4, 7]].min() > 3 * np.delete(profile, [0, 4, 7]).max()
    assert chroma(x.astype(np.float32), SR, hop_s=0.05).shape[1] == -(-n // round(0.05 * SR))


def test_modulation_from_c_to_g_after_30_s():
    first = song(0, "major", PROGRESSIONS["major"][0], bars=15, seed=1)[:, : 30 * SR]
    second = song(7, "major", PROGRESSIONS["major"][0], bars=14, seed=2)
    key = detect_key(np.concatenate([first, second], axis=1), SR)
    assert_valid(key)
    to_g = [c for c in key.changes if c.key == "G major"]
    assert key.key in ("C major", "G major")
    assert len(to_g) == 1 and abs(to_g[0].time_s - 30.0) <= 4.0, key.changes
    assert all(c.time_s in (0.0, to_g[0].time_s) for c in key.changes), key.changes


def test_white_noise_drums_and_silence_are_not_keys():
    rng = np.random.default_rng(0)
    noise = detect_key((0.1 * rng.standard_normal((2, 20 * SR))).astype(np.float32), SR)
    beat = detect_key(drums(20.0), SR)
    silence = detect_key(np.zeros((2, 20 * SR), np.float32), SR)
    for key in (noise, beat, silence):
        assert_valid(key)
        assert key.key is None or key.confidence < 0.2, key
    assert silence == Key(None, 0.0, [])


def test_short_and_degenerate_inputs_never_raise():
    two_seconds = song(0, "major", (0,), bars=0)[:, : 2 * SR]
    key = detect_key(two_seconds, SR)
    assert_valid(key)
    assert key.confidence < 0.3
    for x in (np.zeros((2, 0), np.float32), np.zeros((1, 10), np.float32), np.full((2, SR), np.nan, np.float32)):
        assert_valid(detect_key(x, SR))
    assert detect_key(two_seconds[0], SR).key == key.key  # mono (frames,) works too
    assert chroma(np.zeros((2, 0), np.float32), SR).shape == (12, 0)
