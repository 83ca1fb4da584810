"""Musical analysis and musical checks end to end on synthetic songs."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from syncready.analysis import analyze_audio
from syncready.audio import Audio
from syncready.checks import profile as profiles
from syncready.checks import run
from syncready.demo import SAMPLE_RATE as SR
from syncready.demo import synthesize


def chord_hit(seconds: float, decay_s: float) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    tone = sum(np.sin(2 * np.pi * f * t) for f in (130.8, 164.8, 196.0, 261.6))
    return np.tile(0.15 * tone * np.exp(-t / decay_s) * np.minimum(1, t / 0.005), (2, 1))


@pytest.fixture(scope="module")
def groove() -> np.ndarray:
    return (0.5 * np.tanh(synthesize(bars=16))).astype(np.float32)


def findings(x: np.ndarray, profile: str = "sync-library") -> dict:
    report = run(analyze_audio(Audio(x.astype(np.float32), SR)), profiles.load(profile))
    return {f.check: f for f in report.findings}


def test_groove_has_tempo_meter_and_beats_on_the_grid(groove):
    music = analyze_audio(Audio(groove, SR)).music
    assert music.tempo_bpm == pytest.approx(120.0, rel=0.005)
    assert music.meter == 4
    beats = np.array(music.beats)
    assert np.abs(beats - np.round(beats * 2) / 2).max() < 0.03  # on the 0.5 s grid
    assert set(music.downbeats) <= set(music.beats)
    assert music.sections and music.sections[0].start == 0.0
    assert music.sections[-1].end == pytest.approx(groove.shape[1] / SR, abs=0.1)


def test_abrupt_ending_fails_for_sync_and_warns_for_broadcast(groove):
    cut = groove[:, : round(27.3 * SR)]
    assert findings(cut)["music.ending"].severity == "fail"
    assert "syncready end" in findings(cut)["music.ending"].fix
    assert findings(cut, "ebu-r128")["music.ending"].severity == "warn"


def test_ring_out_ending_passes(groove):
    x = np.concatenate([groove[:, : 24 * SR], chord_hit(5.0, 1.0)], axis=1)
    f = findings(x)
    assert f["music.ending"].severity == "pass"
    assert f["music.tempo"].severity == "pass"


def test_noise_has_no_pulse_and_no_crash():
    noise = (np.random.default_rng(1).standard_normal((2, 10 * SR)) * 0.1).astype(np.float32)
    f = findings(noise)
    assert f["music.tempo"].severity == "warn"
    music = analyze_audio(Audio(noise, SR)).music
    assert music.tempo_bpm is None and music.beats == [] and music.sections == []


def speech_like(seconds: float, seed: int = 3) -> np.ndarray:
    """Noise shaped into syllables of random length and pitch-less vowels: no steady pulse."""
    rng = np.random.default_rng(seed)
    out, t = np.zeros(round(seconds * SR)), 0.0
    while t < seconds - 0.5:
        length = rng.uniform(0.08, 0.35)
        n = round(length * SR)
        s = round(t * SR)
        burst = rng.standard_normal(n) * np.hanning(n) * rng.uniform(0.05, 0.3)
        out[s : s + n] += np.convolve(burst, np.ones(8) / 8, mode="same")
        t += length + rng.exponential(0.12)
    return np.tile(out, (2, 1))


def free_tempo(seconds: float, seed: int = 4) -> np.ndarray:
    """Plucked notes at random times (rubato with no beat)."""
    rng = np.random.default_rng(seed)
    out, t = np.zeros((2, round(seconds * SR))), 0.2
    while t < seconds - 2:
        hit = chord_hit(1.5, 0.4) * rng.uniform(0.3, 1.0)
        s = round(t * SR)
        out[:, s : s + hit.shape[1]] += hit[:, : out.shape[1] - s]
        t += rng.uniform(0.15, 1.4)
    return out


@pytest.mark.parametrize("kind", ["silence", "two_seconds", "sustained_chord", "clicks", "speech", "free_tempo"])
def test_awkward_material_gets_sensible_answers(kind):
    if kind == "silence":
        x = np.zeros((2, 5 * SR), np.float32)
    elif kind == "two_seconds":
        x = (0.5 * np.tanh(synthesize(bars=1)))[:, : 2 * SR]
    elif kind == "sustained_chord":
        x = chord_hit(12.0, 1e9)
    elif kind == "speech":
        x = speech_like(15.0)
    elif kind == "free_tempo":
        x = free_tempo(20.0)
    else:
        x = np.zeros((2, 12 * SR))
        for k in range(24):
            s = round(k * 0.5 * SR)
            x[:, s : s + 100] = 0.8
    music = analyze_audio(Audio(x.astype(np.float32), SR)).music
    if kind == "clicks":
        assert music.tempo_bpm == pytest.approx(120.0, rel=0.005)
    elif kind in ("silence", "sustained_chord", "speech", "free_tempo"):
        assert music.tempo_bpm is None or music.tempo_confidence < 0.3


def test_analyze_command_prints_the_musical_map(tmp_path, groove):
    path = tmp_path / "groove.wav"
    sf.write(path, groove[:, : round(27.3 * SR)].T, SR, subtype="PCM_24")
    run_ = subprocess.run([sys.executable, "-m", "syncready", "analyze", str(path), "--json", "-"], capture_output=True, text=True, timeout=300)
    assert run_.returncode == 0, run_.stderr
    doc = json.loads(run_.stdout)
    for key in ("tempo_bpm", "tempo_confidence", "meter", "beats", "downbeats", "key", "key_confidence",
                "key_changes", "sections", "ending", "intro", "energy", "density", "loops"):
        assert key in doc, key
    assert doc["ending"]["type"] == "abrupt"
    assert set(doc["sections"][0]) == {"start", "end", "label", "group"}
    assert set(doc["ending"]) == {"type", "start", "last_downbeat"}
    assert {"start", "end", "bars", "score"} == set(doc["loops"][0])


def test_analyze_bad_file_exits_2(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    run_ = subprocess.run([sys.executable, "-m", "syncready", "analyze", str(bad)], capture_output=True, text=True, timeout=120)
    assert run_.returncode == 2 and "bad.wav" in run_.stderr and "Traceback" not in run_.stderr
