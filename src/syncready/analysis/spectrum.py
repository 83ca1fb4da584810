"""Long-term average spectrum and effective bandwidth (spectral cutoff).

Conventions
-----------
- The spectrum is the mean power of Hann-windowed ``NFFT``-point frames of the channel
  average, taken on a hop grid that visits at most ``MAX_FRAMES`` frames spread over the
  whole file; silent frames are skipped. Levels are in dB relative to full-scale sine power.
- The *cutoff* is the highest frequency where the smoothed spectrum falls off a cliff: the
  mean level in the 800 Hz below it is at least ``CLIFF_DB`` above the loudest level
  anywhere above it. MP3/AAC encoders and generators with a low internal rate leave such
  a cliff (often at 11, 16, 19 kHz); natural roll-off and acoustic instruments do not. The
  level below the cliff must be content (within ``CONTENT_RANGE_DB`` of the spectrum's
  peak): the edge of a resampler's passband under a quantisation-noise floor is not one.
- ``bandwidth_hz`` is the cutoff when there is one, otherwise the Nyquist frequency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .frames import moving_average

NFFT = 4096
MAX_FRAMES = 500
CLIFF_DB = 25.0
CONTENT_RANGE_DB = 80.0  # a cliff counts only below content within this of the spectrum's peak
SMOOTH_HZ = 100.0
REPORT_POINTS = 400


@dataclass
class Spectrum:
    """Average spectrum facts; ``freqs_hz``/``level_db`` are log-spaced points for reports."""

    bandwidth_hz: float | None
    cutoff_hz: float | None
    nyquist_hz: float
    freqs_hz: list[float] = field(default_factory=list)
    level_db: list[float] = field(default_factory=list)


class SpectrumMeter:
    """Streaming long-term average spectrum; feed blocks in order with :meth:`process`."""

    def __init__(self, sample_rate: int, channels: int, frames: int):
        self.sr = sample_rate
        self.hop = max(NFFT, frames // MAX_FRAMES)
        self.window = np.hanning(NFFT).astype(np.float32)
        self.power = np.zeros(NFFT // 2 + 1)
        self.count = 0
        self.offset = 0

    def process(self, block: np.ndarray) -> None:
        """Add the frames on the hop grid that lie wholly inside ``block`` (channels, n)."""
        n = block.shape[1]
        first = -(-self.offset // self.hop) * self.hop - self.offset
        starts = np.arange(first, n - NFFT + 1, self.hop)
        self.offset += n
        if not len(starts):
            return
        mono = block.mean(axis=0)
        frames = mono[starts[:, None] + np.arange(NFFT)] * self.window
        frames = frames[np.abs(frames).max(axis=1) > 1e-5]
        if len(frames):
            spectra = np.abs(np.fft.rfft(frames, axis=1)) ** 2
            self.power += spectra.sum(axis=0)
            self.count += len(frames)

    def result(self) -> Spectrum:
        """Return the averaged spectrum and the detected cutoff."""
        nyquist = self.sr / 2
        if not self.count:
            return Spectrum(None, None, nyquist)
        freqs = np.fft.rfftfreq(NFFT, 1 / self.sr)
        full_scale = (self.window.sum() / 2) ** 2
        level = 10 * np.log10(self.power / self.count / full_scale + 1e-20)
        width = max(1, round(SMOOTH_HZ / (self.sr / NFFT)))
        smooth = moving_average(level, width)
        cutoff = find_cutoff(freqs, smooth)
        points = np.geomspace(20.0, nyquist, REPORT_POINTS)
        return Spectrum(
            bandwidth_hz=cutoff if cutoff is not None else nyquist,
            cutoff_hz=cutoff,
            nyquist_hz=nyquist,
            freqs_hz=[round(float(f), 1) for f in points],
            level_db=[round(float(v), 2) for v in np.interp(points, freqs, smooth)],
        )


def find_cutoff(freqs: np.ndarray, level_db: np.ndarray) -> float | None:
    """Highest frequency (Hz) where ``level_db`` drops by ``CLIFF_DB`` from content and stays down.

    Parameters
    ----------
    freqs : np.ndarray
        Bin frequencies in Hz, ascending and evenly spaced.
    level_db : np.ndarray
        Smoothed spectrum level in dB at ``freqs``.
    """
    step = freqs[1] - freqs[0]
    below = max(1, round(800 / step))
    guard = max(1, round(200 / step))
    top = len(freqs) - max(1, round(0.01 * len(freqs)))
    # loudest level anywhere above each bin (excluding a guard band and the last 1 %)
    above_max = np.maximum.accumulate(level_db[:top][::-1])[::-1]
    csum = np.concatenate(([0.0], np.cumsum(level_db)))
    idx = np.arange(below, top - guard)
    content = (csum[idx] - csum[idx - below]) / below
    drop = content - above_max[idx + guard]
    hits = np.flatnonzero((drop >= CLIFF_DB) & (freqs[idx] >= 2000) & (content >= level_db.max() - CONTENT_RANGE_DB))
    if not len(hits):
        return None
    # the highest run of hits spans the cliff; its steepest point is the cutoff
    gaps = np.flatnonzero(np.diff(hits) > 1)
    run = hits[gaps[-1] + 1 :] if len(gaps) else hits
    return float(freqs[idx[run[np.argmax(drop[run])]]])
