"""Top and tail: start on the first sound, end after the natural decay of the last one.

Conventions
-----------
- Levels are the RMS of ``FRAME_S`` frames in dBFS, loudest channel. *Sound* is above
  ``SOUND_DBFS`` (-60 dBFS, as in :mod:`syncready.analysis.levels`) or, when the file ends
  in steady noise louder than that (hiss, hum, a generator's noise bed: the last ``NOISE_S``
  stays within ``NOISE_SPREAD_DB`` and under ``NOISE_MAX_DBFS``), more than
  ``NOISE_MARGIN_DB`` above the median level of that noise.
- The head keeps ``PREROLL_S`` before the first sound (faded in), or before the first
  downbeat when asked to start there.
- The tail keeps everything up to the end of the last sound (its decay included) plus
  ``TAIL_PAD_S`` (at most the profile's tail limit), faded out over that pad.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..analysis import Analysis
from ..analysis.levels import SOUND_DBFS
from ..audio import Audio
from ..checks.profile import Profile
from ..errors import UsageError
from .edit import fade_in, fade_out, frames
from .files import load_track, write_edit, write_unchanged
from .verify import verified

FRAME_S = 0.01
PREROLL_S = 0.01
TAIL_PAD_S = 0.3
NOISE_S = 1.0
NOISE_MARGIN_DB = 6.0
NOISE_MAX_DBFS = -40.0  # a steady tail louder than this is music, not a noise bed
NOISE_SPREAD_DB = 4.0  # 10th to 90th percentile of a noise bed's frame levels
SLACK_S = 0.02  # less than this to remove on both ends: the file is left alone


@dataclass
class TrimResult:
    """What ``syncready trim`` did (times in seconds of the input)."""

    path: str
    changed: bool
    start_s: float
    end_s: float
    removed_head_s: float
    removed_tail_s: float
    duration_s: float
    note: str


def level_db(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """RMS level per ``FRAME_S`` frame, dBFS of the loudest channel (last partial frame included)."""
    n = frames(FRAME_S, sample_rate)
    count = -(-samples.shape[1] // n)
    padded = np.zeros((samples.shape[0], count * n), np.float32)
    padded[:, : samples.shape[1]] = samples
    power = np.mean(padded.reshape(samples.shape[0], count, n).astype(np.float64) ** 2, axis=2).max(axis=0)
    return 10 * np.log10(np.maximum(power, 1e-20))


def sound_span(samples: np.ndarray, sample_rate: int) -> tuple[float, float] | None:
    """Start and end of the sound (seconds; see the module notes), or None when there is none."""
    level = level_db(samples, sample_rate)
    threshold = SOUND_DBFS
    tail = level[-max(1, round(NOISE_S / FRAME_S)) :]
    low, high = np.percentile(tail, [10, 90])
    if len(level) > 2 * len(tail) and high < NOISE_MAX_DBFS and high - low < NOISE_SPREAD_DB:
        threshold = max(SOUND_DBFS, float(np.median(tail)) + NOISE_MARGIN_DB)
    loud = np.flatnonzero(level > threshold)
    if not len(loud):
        return None
    return loud[0] * FRAME_S, min((loud[-1] + 1) * FRAME_S, samples.shape[1] / sample_rate)


def plan(sound: Audio, analysis: Analysis, profile: Profile, *, downbeat: bool = False) -> tuple[int, int]:
    """Frames ``(start, end)`` of the trimmed track."""
    rate = sound.sample_rate
    span = sound_span(sound.samples, rate)
    if span is None:
        raise UsageError("nothing but silence or noise: nothing to trim")
    first, last = span
    if analysis.levels.head_s is not None:  # sample-accurate first sound when it is above -60 dBFS
        first = min(first, analysis.levels.head_s)
    if downbeat and analysis.music.intro.first_downbeat_s is not None:
        first = max(first, analysis.music.intro.first_downbeat_s)
    start = max(0, frames(first - PREROLL_S, rate))
    pad = min(TAIL_PAD_S, profile.signal.tail_silence_max_s)
    end = min(sound.frames, frames(last + pad, rate))
    return start, end


def trim_samples(samples: np.ndarray, sample_rate: int, start: int, end: int) -> np.ndarray:
    """``samples[:, start:end]`` with the pre-roll faded in and, when the tail was cut, the
    pad after the last sound faded out (an uncut end is left exactly as it was)."""
    out = samples[:, start:end]
    if start > 0:
        out = fade_in(out, frames(PREROLL_S, sample_rate))
    if end < samples.shape[1]:
        out = fade_out(out, frames(TAIL_PAD_S, sample_rate))
    return out


def trim(path: str | Path, out: str | Path, profile: Profile, *, downbeat: bool = False, overwrite: bool = False) -> TrimResult:
    """Top and tail ``path`` into ``out`` and verify the result (see the module notes).

    A file with less than ``SLACK_S`` to remove is delivered unchanged (``changed`` False).

    Raises
    ------
    BadInputError
        Unreadable or silent input.
    ContractError
        The written file still has head silence, or a longer tail than the profile allows.
    """
    sound, analysis = load_track(path, action="trim")
    start, end = plan(sound, analysis, profile, downbeat=downbeat)
    rate = sound.sample_rate
    head_s, tail_s = start / rate, (sound.frames - end) / rate
    if head_s + tail_s < SLACK_S:
        write_unchanged(path, sound, out, overwrite=overwrite)
        return TrimResult(str(out), False, 0.0, sound.duration_s, 0.0, 0.0, sound.duration_s,
                          "already starts on the music and ends after its decay; left alone")
    write_edit(trim_samples(sound.samples, rate, start, end), sound, out, protect=[path], overwrite=overwrite)
    length = (end - start) / rate

    def contract(a: Analysis) -> list[str]:
        broken = []
        if a.levels.head_s is not None and a.levels.head_s > PREROLL_S + 0.005:
            broken.append(f"{a.levels.head_s:.3f} s of silence at the head")
        if a.levels.tail_s is not None and a.levels.tail_s > profile.signal.tail_silence_max_s:
            broken.append(f"{a.levels.tail_s:.2f} s of silence at the tail")
        if abs(a.source.duration_s - length) > 1.0 / rate + 1e-9:
            broken.append(f"length {a.source.duration_s:.3f} s instead of {length:.3f} s")
        return broken

    verified(out, contract)
    return TrimResult(str(out), True, round(head_s, 4), round(end / rate, 4), round(head_s, 4), round(tail_s, 4),
                      round(length, 4), f"removed {head_s:.2f} s at the head and {tail_s:.2f} s at the tail")
