"""Ending classification on synthetic endings: abrupt, fade and ring-out."""

from __future__ import annotations

import numpy as np
import pytest

from syncready.analysis import analyze_audio
from syncready.analysis.ending import classify
from syncready.audio import Audio
from syncready.demo import SAMPLE_RATE as SR
from syncready.demo import synthesize

BAR_S = 2.0  # the demo groove: 120 BPM, 4/4


@pytest.fixture(scope="module")
def groove() -> np.ndarray:
    return (0.5 * np.tanh(synthesize(bars=10))).astype(np.float32)


def ending_of(x: np.ndarray, downbeats=()):
    a = analyze_audio(Audio(x.astype(np.float32), SR))
    return classify(a.levels, x.shape[1] / SR, downbeats)


def chord_hit(seconds: float, decay_s: float) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    tone = sum(np.sin(2 * np.pi * f * t) for f in (130.8, 164.8, 196.0, 261.6))
    return np.tile(0.2 * tone * np.exp(-t / decay_s) * np.minimum(1, t / 0.005), (2, 1))


def test_cut_at_the_end_of_the_file_is_abrupt(groove):
    cut = groove[:, : round(17.3 * SR)]
    e = ending_of(cut)
    assert e.type == "abrupt"
    assert e.start == pytest.approx(17.3, abs=0.05)


def test_cut_then_silence_or_hiss_is_abrupt(groove):
    cut = groove[:, : round(15.1 * SR)]
    silence = np.zeros((2, 3 * SR), np.float32)
    hiss = (np.random.default_rng(0).standard_normal((2, 3 * SR)) * 10 ** (-70 / 20)).astype(np.float32)
    for after in (silence, hiss):
        e = ending_of(np.concatenate([cut, after], axis=1))
        assert e.type == "abrupt"
        assert e.start == pytest.approx(15.1, abs=0.05)


def test_fade_out_is_a_fade_starting_where_it_begins(groove):
    x = groove.copy()
    n = round(6 * SR)
    x[:, -n:] *= 10 ** (np.linspace(0, -60, n) / 20)
    e = ending_of(x, downbeats=np.arange(0, 20, BAR_S))
    assert e.type == "fade"
    assert e.start == pytest.approx(14.0, abs=1.0)
    assert e.last_downbeat in (12.0, 14.0)


def test_last_chord_ringing_out(groove):
    body = groove[:, : round(16 * SR)]
    x = np.concatenate([body, chord_hit(5.0, 1.0)], axis=1)
    e = ending_of(x, downbeats=np.arange(0, 18, BAR_S))
    assert e.type == "ring_out"
    assert e.start == pytest.approx(16.0, abs=0.15)
    assert e.last_downbeat == 16.0


def test_silence_has_no_ending():
    a = analyze_audio(Audio(np.zeros((2, SR), np.float32), SR))
    assert classify(a.levels, 1.0).type is None


def test_held_chord_faded_out_is_a_fade(groove):
    pad = chord_hit(9.0, 1e9)  # sustained, no decay, at the groove's level
    pad *= np.sqrt(np.mean(groove**2) / np.mean(pad**2))
    n = 5 * SR
    pad[:, -n:] *= 10 ** (np.linspace(0, -50, n) / 20)
    x = np.concatenate([groove[:, : 16 * SR], pad], axis=1)
    e = ending_of(x, downbeats=np.arange(0, 26, BAR_S))
    assert e.type == "fade"
    assert e.start == pytest.approx(20.0, abs=1.0)
