"""A song prepared for bar-level editing: its samples, analysis, bar grid and bar distances.

Conventions
-----------
- *Boundary* ``i`` is downbeat ``i`` of the analysis (``times[i]`` seconds, source frame
  ``frames[i]``); *bar* ``i`` runs from boundary ``i`` to ``i + 1``, so ``K`` downbeats make
  ``K - 1`` bars. Only downbeats inside the music (before the last sound) are used.
- Bar features are :func:`syncready.analysis.structure.bar_features` (mean chroma, mean log
  band energies, RMS dB) over :func:`~syncready.analysis.spectral.spectral_frames` of a
  ``FEATURE_RATE`` Hz mono downmix of the loaded audio (a fraction of a second for a
  three-minute song, computed once per source and shared by every edit of it).
- The *distance* of two bars is ``1 - similarity`` (:func:`~syncready.analysis.structure.
  self_similarity`: 0 for the same bar, about 0.5 for unrelated ones) plus their level
  difference over ``ENERGY_DB_SCALE`` dB.
- ``jump_cost[i, j]`` is the cost of leaving the song at boundary ``i`` and going on at
  boundary ``j`` (the Infinite Jukebox idea): the weighted mean distance between the bars
  that follow ``i`` and ``j`` (what the listener expected against what comes) and between the
  bars that precede them (what was played against what the new material grew out of), over
  ``CONTEXT_BARS`` bars on each side, each bar further away weighing half as much.
  ``jump_cost[i, i]`` is 0: going on is free.
- ``phrase_pos[i]`` counts the bars from the start of boundary ``i``'s section (section
  starts are snapped to the nearest downbeat; the first section starts at downbeat 0).
  A *phrase close* lies a multiple of ``PHRASE_BARS`` bars into its section (its first
  downbeat included), as in :mod:`syncready.produce.ending`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import soxr

from ..analysis import Analysis
from ..analysis.spectral import SpectralFrames, spectral_frames
from ..analysis.structure import bar_features, self_similarity
from ..audio import Audio
from ..errors import BadInputError
from .ending import PHRASE_BARS, phrase_positions, section_starts
from .files import load_track

FEATURE_RATE = 11025
ENERGY_DB_SCALE = 6.0
CONTEXT_BARS = 2
MIN_MUSIC_S = 8.0  # shorter songs are refused: nothing to edit


@dataclass(frozen=True, eq=False)
class BarGrid:
    """Downbeats, phrase positions and bar-to-bar costs of a song (see the module notes).

    Attributes
    ----------
    times : numpy.ndarray
        Boundary times, seconds, ascending, shape ``(K,)``.
    frames : numpy.ndarray
        Boundary positions, source frames (int64), shape ``(K,)``.
    meter : int
        Beats per bar.
    beat_s : float
        Seconds per beat (from the analysed tempo).
    phrase_pos : numpy.ndarray
        Bars from the start of each boundary's section, shape ``(K,)``.
    section_starts : numpy.ndarray
        Boundaries that start a section, ascending (always holds 0).
    energy_db : numpy.ndarray
        RMS level of each bar, dB, shape ``(K - 1,)``.
    jump_cost : numpy.ndarray
        ``(K, K)`` cost of jumping from boundary ``i`` to boundary ``j``.
    """

    times: np.ndarray
    frames: np.ndarray
    meter: int
    beat_s: float
    phrase_pos: np.ndarray
    section_starts: np.ndarray
    energy_db: np.ndarray
    jump_cost: np.ndarray

    @property
    def bar_s(self) -> float:
        """Median bar length, seconds."""
        return float(np.median(np.diff(self.times)))

    @property
    def closes(self) -> np.ndarray:
        """Boundaries that are phrase closes, ascending."""
        return np.flatnonzero(self.phrase_pos % PHRASE_BARS == 0)

    def index(self, t: float) -> int:
        """The boundary nearest to ``t`` seconds."""
        return int(np.argmin(np.abs(self.times - t)))


@dataclass(eq=False)
class EditSource:
    """A loaded song with its analysis; the bar grid and spectral frames are made on first use.

    Attributes
    ----------
    path : str
        The file, as given.
    sound : Audio
        Its samples at the file's rate.
    analysis : Analysis
        Its analysis.
    """

    path: str
    sound: Audio
    analysis: Analysis

    @property
    def rate(self) -> int:
        """Sample rate, Hz."""
        return self.sound.sample_rate

    @property
    def music_start_s(self) -> float:
        """Time of the first sound, seconds."""
        return self.analysis.levels.head_s or 0.0

    @property
    def music_end_s(self) -> float:
        """Time of the last sound, seconds."""
        return self.sound.duration_s - (self.analysis.levels.tail_s or 0.0)

    @cached_property
    def spectra(self) -> SpectralFrames:
        """Spectral frames of the mono downmix at ``FEATURE_RATE`` Hz (frame times in seconds)."""
        mono = self.sound.samples.mean(axis=0)
        if self.rate != FEATURE_RATE:
            mono = soxr.resample(mono, self.rate, FEATURE_RATE, quality="HQ")
        return spectral_frames(mono, FEATURE_RATE)

    @cached_property
    def grid(self) -> BarGrid | None:
        """The bar grid, or None when the song has no tempo or fewer than three downbeats."""
        music = self.analysis.music
        times = np.asarray([d for d in music.downbeats if d < self.music_end_s], dtype=float)
        if not music.tempo_bpm or len(times) < 3:
            return None
        frames_ = np.round(times * self.rate).astype(np.int64)
        spectra = self.spectra
        harmony, timbre, energy = bar_features(
            spectra.times, spectra.chroma, spectra.bands, spectra.power, times[:-1], float(times[-1]))
        distance = 1.0 - self_similarity(harmony, timbre)
        distance += np.abs(energy[:, None] - energy[None, :]) / ENERGY_DB_SCALE
        starts = section_starts(times, [s.start for s in music.sections])
        return BarGrid(
            times=times,
            frames=frames_,
            meter=music.meter or 4,
            beat_s=60.0 / music.tempo_bpm,
            phrase_pos=phrase_positions(times, starts),
            section_starts=starts,
            energy_db=energy,
            jump_cost=_jump_costs(distance),
        )


def open_source(path: str | Path, *, analysis: Analysis | None = None, action: str = "edit") -> EditSource:
    """Load ``path`` and its (cached) analysis for editing.

    Parameters
    ----------
    path : str or Path
        The song.
    analysis : Analysis or None
        Its analysis if already known (else :func:`~syncready.analysis.analyze`, cached).
    action : str
        Verb for error messages (``"cut"``, ``"loop"``...).

    Raises
    ------
    BadInputError
        Unreadable, silent, or less than ``MIN_MUSIC_S`` of music.
    """
    sound, analysis = load_track(path, action=action, analysis=analysis)
    source = EditSource(str(path), sound, analysis)
    span = source.music_end_s - source.music_start_s
    if span < MIN_MUSIC_S:
        raise BadInputError(
            f"{path}: only {span:.1f} s of music; too short to {action} (needs at least {MIN_MUSIC_S:g} s)")
    return source


def window(samples: np.ndarray, start: int, stop: int) -> np.ndarray:
    """``samples[:, start:stop]`` with zeros where the range runs past either end (a copy)."""
    out = np.zeros((samples.shape[0], stop - start), np.float32)
    lo, hi = max(start, 0), min(stop, samples.shape[1])
    if hi > lo:
        out[:, lo - start : hi - start] = samples[:, lo:hi]
    return out


def _jump_costs(distance: np.ndarray) -> np.ndarray:
    """``(K, K)`` jump costs from the ``(K-1, K-1)`` bar distances (see the module notes)."""
    bars = len(distance)
    total = np.zeros((bars + 1, bars + 1))
    weight = np.zeros_like(total)
    for k in range(min(CONTEXT_BARS, bars)):
        w = 0.5**k
        # bars k.. after boundaries 0..; bars ..bars-k-1 before boundaries k+1..
        total[: bars - k, : bars - k] += w * distance[k:, k:]
        weight[: bars - k, : bars - k] += w
        total[k + 1 :, k + 1 :] += w * distance[: bars - k, : bars - k]
        weight[k + 1 :, k + 1 :] += w
    return np.where(weight > 0, total / np.maximum(weight, 1e-12), 1.0)
