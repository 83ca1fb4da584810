"""Musical analysis of a whole track: rhythm, key, sections, ending, intro, energy, density, loops.

Conventions
-----------
- Input is the track folded to mono at ``RATE`` Hz (the analysis driver gathers it while it
  streams the file; 60 minutes take about 320 MB) plus the track's :class:`Levels`.
- Times are seconds from the start of the file; levels in dB; tempo in BPM.
- ``energy`` is the RMS level (dB) of each bar. ``density`` counts onsets (rises of the
  spectral flux above its running median) per beat and reports the median spectral flatness.
- ``speech_band`` gives, per section, the share of power between 300 Hz and 3.4 kHz (where
  dialogue lives) and that band's level relative to the whole track's, in dB: a busy,
  loud speech band fights voice-over.
- Everything is ``None``/empty, never an error, when the music gives no answer (no steady
  pulse, no tonal centre, fewer than two bars).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ending import Ending, classify
from .levels import Levels
from .rhythm import track
from .spectral import SpectralFrames, spectral_frames
from .structure import Loop, Section, analyze_structure
from .tonal import KeyChange, detect_key

RATE = 22050


@dataclass
class Intro:
    """How the music starts: first sound, first downbeat, beats before it."""

    first_sound_s: float | None
    first_downbeat_s: float | None
    pickup_beats: int


@dataclass
class Density:
    """Onsets per beat and median spectral flatness (0 tonal .. 1 noise-like)."""

    onsets_per_beat: float | None
    flatness: float | None


@dataclass
class SpeechBand:
    """Speech-band (300 Hz - 3.4 kHz) facts of one section."""

    start: float
    end: float
    share: float
    level_db: float


@dataclass
class Music:
    """The musical analysis (see the module docstring)."""

    tempo_bpm: float | None
    tempo_confidence: float
    tempo_stable: bool
    meter: int | None
    beats: list[float]
    downbeats: list[float]
    key: str | None
    key_confidence: float
    key_changes: list[KeyChange]
    sections: list[Section]
    ending: Ending
    intro: Intro
    energy: list[float]
    density: Density
    loops: list[Loop]
    speech_band: list[SpeechBand] = field(default_factory=list)


class Downmix:
    """Streaming fold-down to mono at ``RATE`` Hz (soxr; rates at or below it are kept)."""

    def __init__(self, sample_rate: int, channels: int, frames: int):
        self.rate = min(RATE, sample_rate)
        self.resampler = None
        if self.rate != sample_rate:
            import soxr

            self.resampler = soxr.ResampleStream(sample_rate, self.rate, 1, dtype="float32", quality="HQ")
        self.out = np.zeros(int(np.ceil(frames * self.rate / sample_rate)) + 64, np.float32)
        self.filled = 0

    def process(self, block: np.ndarray) -> None:
        """Fold the next block (channels, n) into the mono buffer."""
        self._append(block.mean(axis=0, dtype=np.float32), last=False)

    def _append(self, mono: np.ndarray, *, last: bool) -> None:
        if self.resampler is not None:
            mono = self.resampler.resample_chunk(mono, last=last)
        room = len(self.out) - self.filled
        self.out[self.filled : self.filled + min(room, len(mono))] = mono[:room]
        self.filled += min(room, len(mono))

    def result(self) -> np.ndarray:
        """The whole mono signal at ``self.rate`` Hz."""
        if self.resampler is not None:
            self._append(np.zeros(0, np.float32), last=True)
        return self.out[: self.filled]


def _onsets(frames: SpectralFrames) -> int:
    """Count onsets: local maxima of the log-band flux above its running median plus spread."""
    log_bands = np.log10(frames.bands + 1e-10)
    flux = np.maximum(np.diff(log_bands, axis=1), 0).sum(axis=0)
    if len(flux) < 3:
        return 0
    width = max(3, round(1.0 / frames.hop_s))
    pad = np.pad(flux, width // 2, mode="edge")
    median = np.median(np.lib.stride_tricks.sliding_window_view(pad, width)[: len(flux)], axis=1)
    spread = np.median(np.abs(flux - median)) + 1e-9
    peak = (flux[1:-1] > flux[:-2]) & (flux[1:-1] >= flux[2:]) & (flux[1:-1] > median[1:-1] + 3 * spread)
    return int(np.count_nonzero(peak))


def _speech_band(frames: SpectralFrames, sections: list[Section]) -> list[SpeechBand]:
    """Speech-band share and relative level for each section."""
    band_power = frames.power * frames.speech
    overall = 10 * np.log10(band_power.mean() + 1e-12)
    out = []
    for s in sections:
        sel = (frames.times >= s.start) & (frames.times < s.end)
        if not sel.any():
            continue
        share = float(band_power[sel].sum() / (frames.power[sel].sum() + 1e-12))
        level = float(10 * np.log10(band_power[sel].mean() + 1e-12) - overall)
        out.append(SpeechBand(s.start, s.end, round(share, 3), round(level, 2)))
    return out


def analyze_music(mono: np.ndarray, sample_rate: int, levels: Levels, duration_s: float) -> Music:
    """Analyse the music of a mono signal (float32, shape (n,)) whose levels were measured."""
    rhythm = track(mono[None, :], sample_rate)
    key = detect_key(mono[None, :], sample_rate)
    frames = spectral_frames(mono, sample_rate)
    end_s = duration_s - (levels.tail_s or 0.0)
    structure = analyze_structure(frames.times, frames.chroma, frames.bands, frames.power, rhythm.downbeats, end_s)
    beats = len(rhythm.beats)
    return Music(
        tempo_bpm=rhythm.tempo_bpm,
        tempo_confidence=rhythm.tempo_confidence,
        tempo_stable=rhythm.tempo_stable,
        meter=rhythm.meter,
        beats=[round(b, 4) for b in rhythm.beats],
        downbeats=[round(b, 4) for b in rhythm.downbeats],
        key=key.key,
        key_confidence=key.confidence,
        key_changes=key.changes,
        sections=structure.sections,
        ending=classify(levels, duration_s, rhythm.downbeats, rhythm.beats),
        intro=Intro(levels.head_s, rhythm.first_downbeat_s, rhythm.pickup_beats),
        energy=structure.bar_energy_db,
        density=Density(
            round(_onsets(frames) / beats, 3) if beats else None,
            round(float(np.median(frames.flatness)), 4) if len(frames.flatness) else None,
        ),
        loops=structure.loops,
        speech_band=_speech_band(frames, structure.sections),
    )
