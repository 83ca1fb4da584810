"""Bench material made in code: a mastered-sounding stereo song of any length."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf


@lru_cache(maxsize=None)
def _note(freq: float, dur: float, decay: float, harmonics: int, fs: int) -> np.ndarray:
    """A plucked/struck tone: a few harmonics under an exponential decay."""
    t = np.arange(int(dur * fs)) / fs
    phases = np.random.default_rng(int(freq * 100)).uniform(0, 2 * np.pi, harmonics)
    tone = sum(np.sin(2 * np.pi * freq * h * t + phases[h - 1]) / h**1.3 for h in range(1, harmonics + 1))
    return tone * np.exp(-t / decay) * np.minimum(1.0, t / 0.004)


def song(seconds: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Stereo 'song', float64 (2, frames): 120 BPM drums, bass line, chords in
    intro/verse/chorus/break/verse/chorus/outro sections at different levels, bus-saturated
    to a mastered crest factor with peaks at -0.3 dBfs."""
    n = seconds * fs
    out = np.zeros((2, n + 2 * fs))
    beat = 0.5
    t_kick = np.arange(int(0.35 * fs)) / fs
    kick = np.sin(2 * np.pi * (50 * t_kick + 60 * 0.04 * (1 - np.exp(-t_kick / 0.04)))) * np.exp(-t_kick / 0.12)
    t_sn = np.arange(int(0.25 * fs)) / fs
    hat_len = int(0.06 * fs)
    roots = [110.0, 87.31, 130.81, 98.0]  # A2 F2 C3 G2
    chord = [1.0, 1.26, 1.5, 2.0]
    # Section gains: intro, verse, chorus, break, verse, chorus, outro (dB).
    sections = np.repeat([-9, -4, 0, -12, -4, 0, -6], -(-seconds // 7))[:seconds]
    for b in range(int(seconds / beat)):
        start = int(b * beat * fs)
        gain = 10 ** (sections[int(b * beat)] / 20)
        bar, pos = divmod(b, 4)
        root = roots[bar % 4]
        if sections[int(b * beat)] > -10:
            out[:, start : start + kick.size] += 0.9 * gain * kick
            if pos in (1, 3):
                snare = (rng.standard_normal(t_sn.size) * 0.5 + np.sin(2 * np.pi * 190 * t_sn)) * np.exp(-t_sn / 0.06)
                out[0, start : start + t_sn.size] += 0.55 * gain * snare
                out[1, start : start + t_sn.size] += 0.5 * gain * snare
        for half in (0, 1):
            h0 = start + half * int(beat * fs / 2)
            noise = rng.standard_normal(hat_len + 2)
            hat = (noise[2:] - noise[:-2]) * np.exp(-np.arange(hat_len) / (0.012 * fs))
            out[0, h0 : h0 + hat_len] += 0.08 * gain * hat
            out[1, h0 : h0 + hat_len] += 0.12 * gain * hat
        bass = _note(root / 2 * (1.5 if pos == 2 else 1.0), beat, 0.35, 6, fs)
        out[:, start : start + bass.size] += 0.45 * gain * bass
        if pos == 0:
            for i, ratio in enumerate(chord):
                tone = _note(root * 2 * ratio, 4 * beat, 0.9, 8, fs)
                pan = 0.3 + 0.4 * i / 3
                out[0, start : start + tone.size] += 0.18 * gain * (1 - pan) * tone
                out[1, start : start + tone.size] += 0.18 * gain * pan * tone
    out = out[:, :n]
    out = np.tanh(2.5 * out / np.abs(out).max()) / np.tanh(2.5)  # bus saturation, a mastered crest factor
    return out * 10 ** (-0.3 / 20)


def write_song(path: str | Path, seconds: int, *, sample_rate: int = 44100, seed: int = 20240501) -> Path:
    """Write :func:`song` as a 24-bit WAV and return the path."""
    sf.write(path, song(seconds, sample_rate, np.random.default_rng(seed)).T, sample_rate, subtype="PCM_24")
    return Path(path)
