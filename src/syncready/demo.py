"""A synthetic "raw AI export" for the demo and the tests.

The track is made here, from code, so the project ships no third-party audio. It is a
short 120 BPM pop loop (pad chords, bass, kick, snare, hats) with the faults that get
generated songs rejected for sync: 1.2 s of silence at the head, a master driven into
saturation far louder than any delivery target, inter-sample peaks over 0 dBTP, a top end
cut off at 16 kHz like a band-limited generator, and a hard stop at full level. It is
written as 44.1 kHz 16-bit WAV (not the 48 kHz 24-bit a library asks for).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .audio import Audio, save

SAMPLE_RATE = 44100
BPM = 120.0
HEAD_S = 1.2
BARS = 12
CUTOFF_HZ = 16000.0
# I - V - vi - IV in C major, as MIDI notes
CHORDS = [(60, 64, 67), (55, 59, 62), (57, 60, 64), (53, 57, 60)]


def _hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def synthesize(*, bars: int = BARS, seed: int = 7) -> np.ndarray:
    """The demo mix, float (2, frames) at 44.1 kHz, ``bars`` bars of 4/4 at 120 BPM (2 s a bar).

    Mastering faults are applied by :func:`make_demo_track`, not here.
    """
    rng = np.random.default_rng(seed)
    sr, beat = SAMPLE_RATE, 60.0 / BPM
    bar_len = round(4 * beat * sr)
    total = bar_len * bars
    t = np.arange(total) / sr
    mix = np.zeros((2, total))
    for bar in range(bars):
        chord = CHORDS[bar % len(CHORDS)]
        start = bar * bar_len
        seg = np.arange(bar_len) / sr
        env = np.minimum(1, seg / 0.05) * np.exp(-seg * 0.4)
        for i, note in enumerate(chord):
            f = _hz(note)
            tone = sum(np.sin(2 * np.pi * f * k * seg + i) / k for k in range(1, 6))
            pan = (0.7 + 0.3 * (i - 1), 0.7 - 0.3 * (i - 1))
            mix[0, start : start + bar_len] += 0.08 * pan[0] * env * tone
            mix[1, start : start + bar_len] += 0.08 * pan[1] * env * tone
        bass_f = _hz(chord[0] - 24)
        for step in range(8):
            s = start + round(step * beat / 2 * sr)
            n = round(beat / 2 * sr)
            seg8 = np.arange(n) / sr
            bass = np.sin(2 * np.pi * bass_f * seg8) + 0.3 * np.sin(4 * np.pi * bass_f * seg8)
            mix[:, s : s + n] += 0.25 * bass * np.exp(-seg8 * 3)
    hit = np.arange(round(0.3 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 * hit + 60 * (1 - np.exp(-hit * 30)) / 30)) * np.exp(-hit * 12)
    snare = rng.standard_normal(len(hit)) * np.exp(-hit * 25)
    hat = np.diff(rng.standard_normal(len(hit) + 1)) * np.exp(-hit * 60)
    for b in range(bars * 4):
        s = round(b * beat * sr)
        drum = kick if b % 2 == 0 else snare * 0.5
        end = min(total, s + len(hit))
        mix[:, s:end] += 0.6 * drum[: end - s]
        for half in (0, 1):
            h = s + round(half * beat / 2 * sr)
            e = min(total, h + len(hit))
            mix[0, h:e] += 0.12 * hat[: e - h]
            mix[1, h:e] += 0.09 * hat[: e - h]
    return mix * (1 + 0.02 * np.sin(2 * np.pi * 0.1 * t))


def _band_limit(x: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Brick-wall low-pass by zeroing FFT bins above ``cutoff_hz``."""
    spectrum = np.fft.rfft(x, axis=1)
    freqs = np.fft.rfftfreq(x.shape[1], 1 / SAMPLE_RATE)
    spectrum[:, freqs > cutoff_hz] = 0
    return np.fft.irfft(spectrum, n=x.shape[1], axis=1)


def make_demo_track(path: str | Path, *, seed: int = 7) -> Path:
    """Write the faulty demo track to ``path`` (44.1 kHz 16-bit WAV) and return the path."""
    mix = synthesize(seed=seed)
    driven = np.tanh(mix * 4.0)  # over-driven master: loud and flat-topped
    limited = _band_limit(driven, CUTOFF_HZ)
    limited *= 0.999 / np.abs(limited).max()  # samples just under full scale, peaks between them over it
    head = np.zeros((2, round(HEAD_S * SAMPLE_RATE)))
    samples = np.concatenate([head, limited], axis=1).astype(np.float32)
    save(Audio(samples, SAMPLE_RATE), path, bit_depth=16, overwrite=True)
    return Path(path)
