"""Sample-level facts: clipping, DC offset, head and tail silence, dropouts, noise floor.

Conventions
-----------
- Levels in dBFS: 0 dBFS is a full-scale sample (|x| = 1.0). Times in seconds from the
  first sample of the file.
- *Sound* is any sample above ``SOUND_DBFS`` (-60 dBFS) on any channel; ``head_s`` is the
  time of the first such sample and ``tail_s`` the time from the last one to the end.
- A *clip* is a run of at least ``CLIP_RUN`` consecutive samples at or beyond
  ``CLIP_LEVEL`` on one channel (a flat top that a limiter or a float-to-int conversion
  left behind). Samples beyond full scale in float files are counted as ``overs``.
- A *dropout* is a run of digital silence (every channel at or below one 24-bit LSB) lasting
  ``DROPOUT_MIN_S`` to ``DROPOUT_MAX_S``, inside the music, with audio at level
  (``DROPOUT_CONTEXT_DBFS``) in the 50 ms on both sides.
- ``end_level_db`` compares the RMS of the last 50 ms with the RMS of the sounding part of
  the track: near 0 dB means the file stops at full level (a hard stop).
- ``envelope`` is the peak level (linear, 0..1) of ~1200 equal columns of the file, for
  waveform pictures.
- ``ending_db`` holds the level (dB of mean square, per ~10 ms frame) from ``ENDING_S``
  before the last sound to the end of the file, starting at ``ending_start_s``: the
  material :mod:`syncready.analysis.ending` classifies.
- ``noise_floor_dbfs`` is the 2nd percentile of 50 ms RMS levels inside the sounding part,
  ignoring digital silence: the level of the quietest passages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .frames import frame_length, frame_stats

SOUND_DBFS = -60.0
CLIP_LEVEL = 0.9999
CLIP_RUN = 3
DIGITAL_SILENCE = 2.0**-23
DROPOUT_MIN_S = 0.001
DROPOUT_MAX_S = 1.0
DROPOUT_CONTEXT_DBFS = -45.0
END_WINDOW_S = 0.05
MAX_EVENTS = 50
ENDING_S = 30.0


@dataclass
class Event:
    """A time range in seconds, with the channel it happened on (None: all channels)."""

    start_s: float
    end_s: float
    channel: int | None = None


@dataclass
class Levels:
    """What :class:`LevelsMeter` measured (see the module docstring for definitions)."""

    head_s: float | None
    tail_s: float | None
    clip_count: int
    clipped_samples: int
    overs: int
    clips: list[Event]
    dc_offset: list[float]
    dropouts: list[Event]
    end_level_db: float | None
    noise_floor_dbfs: float | None
    frame_s: float
    envelope: list[float] = field(default_factory=list)
    ending_start_s: float = 0.0
    ending_db: list[float] = field(default_factory=list)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in a 1-D mask."""
    edges = np.diff(mask.astype(np.int8), prepend=0, append=0)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


class _RunTracker:
    """Collects runs of True across consecutive blocks, joining runs that straddle blocks."""

    def __init__(self, min_length: int, max_events: int):
        self.min_length = min_length
        self.max_events = max_events
        self.open_start: int | None = None
        self.runs: list[tuple[int, int]] = []
        self.count = 0
        self.samples = 0

    def feed(self, mask: np.ndarray | None, offset: int, length: int) -> None:
        """Add the runs of ``mask`` (the block at ``offset``); None means no True in the block."""
        if mask is None or not mask.any():
            if self.open_start is not None:
                self._close(self.open_start, offset)
                self.open_start = None
            return
        starts, ends = _runs(mask)
        if self.open_start is not None:
            if len(starts) and starts[0] == 0:
                starts[0] = self.open_start - offset
            else:
                self._close(self.open_start, offset)
            self.open_start = None
        if ends[-1] == length:
            self.open_start = int(starts[-1]) + offset
            starts, ends = starts[:-1], ends[:-1]
        keep = (ends - starts) >= self.min_length
        for s, e in zip(starts[keep], ends[keep]):
            self._close(int(s) + offset, int(e) + offset)

    def finish(self, end: int) -> None:
        if self.open_start is not None:
            self._close(self.open_start, end)
            self.open_start = None

    def _close(self, start: int, end: int) -> None:
        if end - start < self.min_length:
            return
        self.count += 1
        self.samples += end - start
        if len(self.runs) < self.max_events:
            self.runs.append((start, end))


class LevelsMeter:
    """Streaming meter for :class:`Levels`; feed blocks in order with :meth:`process`.

    Parameters
    ----------
    sample_rate : int
        Sampling rate in Hz.
    channels : int
        Channel count of the blocks.
    frames : int
        Total frames the file holds (every meter takes the same three arguments).
    overview_points : int
        Columns of the peak envelope kept for waveform pictures.
    """

    def __init__(self, sample_rate: int, channels: int, frames: int, *, overview_points: int = 1200):
        self.sr = sample_rate
        self.channels = channels
        self.frame_len = frame_length(sample_rate)
        self.offset = 0
        self.sound = 10 ** (SOUND_DBFS / 20)
        self.first_sound: int | None = None
        self.last_sound: int | None = None
        self.dc_sum = np.zeros(channels)
        self.overs = 0
        self.clips = [_RunTracker(CLIP_RUN, MAX_EVENTS) for _ in range(channels)]
        min_drop = max(8, round(DROPOUT_MIN_S * sample_rate))
        self.silence = _RunTracker(min_drop, 10_000)
        self.peaks: list[np.ndarray] = []
        self.powers: list[np.ndarray] = []
        self.end_len = max(1, round(END_WINDOW_S * sample_rate))
        self.end_buffer = np.zeros((channels, 0), np.float32)
        self.points = overview_points

    def process(self, block: np.ndarray) -> None:
        """Measure the next block, float32 of shape (channels, n)."""
        n = block.shape[1]
        if n == 0:
            return
        absx = np.abs(block)
        amax = absx.max(axis=0)
        loud = amax > self.sound
        if loud.any():
            if self.first_sound is None:
                self.first_sound = self.offset + int(np.argmax(loud))
            self.last_sound = self.offset + n - 1 - int(np.argmax(loud[::-1]))
        self.dc_sum += block.sum(axis=1, dtype=np.float64)
        top = float(amax.max())
        if top > 1.0:
            self.overs += int(np.count_nonzero(absx > 1.0))
        for ch, tracker in enumerate(self.clips):
            tracker.feed(absx[ch] >= CLIP_LEVEL if top >= CLIP_LEVEL else None, self.offset, n)
        self.silence.feed(amax <= DIGITAL_SILENCE, self.offset, n)
        peak, power = frame_stats(block, amax, self.frame_len)
        self.peaks.append(peak)
        self.powers.append(power)
        self.end_buffer = np.concatenate([self.end_buffer, block[:, -self.end_len :]], axis=1)[:, -self.end_len :]
        self.offset += n

    def result(self) -> Levels:
        """Finish the measurement and return :class:`Levels`."""
        sr = self.sr
        for tracker in self.clips:
            tracker.finish(self.offset)
        self.silence.finish(self.offset)
        power = np.concatenate(self.powers) if self.powers else np.zeros(0)
        clips = sorted(
            (Event(s / sr, e / sr, ch) for ch, t in enumerate(self.clips) for s, e in t.runs),
            key=lambda ev: ev.start_s,
        )[:MAX_EVENTS]
        head = None if self.first_sound is None else self.first_sound / sr
        tail = None if self.last_sound is None else (self.offset - self.last_sound - 1) / sr
        return Levels(
            head_s=head,
            tail_s=tail,
            clip_count=sum(t.count for t in self.clips),
            clipped_samples=sum(t.samples for t in self.clips),
            overs=self.overs,
            clips=clips,
            dc_offset=[float(v) for v in self.dc_sum / max(self.offset, 1)],
            dropouts=self._dropouts(power),
            end_level_db=self._end_level(power),
            noise_floor_dbfs=self._noise_floor(power),
            frame_s=self.frame_len / sr,
            envelope=self._envelope(),
            **self._ending(power),
        )

    def _ending(self, power: np.ndarray) -> dict:
        """Frame levels (dB) from ENDING_S before the last sound to the end of the file."""
        if self.last_sound is None:
            return {}
        first = max(0, (self.last_sound - round(ENDING_S * self.sr)) // self.frame_len)
        levels = 10 * np.log10(np.maximum(power[first:], 1e-12))
        return {"ending_start_s": first * self.frame_len / self.sr, "ending_db": [round(float(v), 1) for v in levels]}

    def _envelope(self) -> list[float]:
        """Peak level per column of a ``points``-column overview (for waveform pictures)."""
        peaks = np.concatenate(self.peaks) if self.peaks else np.zeros(1, np.float32)
        edges = np.linspace(0, len(peaks), min(self.points, len(peaks)) + 1).astype(int)
        return [round(float(v), 4) for v in np.maximum.reduceat(peaks, edges[:-1])]

    def _sounding(self, power: np.ndarray) -> np.ndarray:
        """Frame powers between the first and the last sound."""
        if self.first_sound is None:
            return power[:0]
        return power[self.first_sound // self.frame_len : self.last_sound // self.frame_len + 1]

    def _end_level(self, power: np.ndarray) -> float | None:
        sounding = self._sounding(power)
        sounding = sounding[sounding > self.sound**2]
        end_power = float(np.mean(np.square(self.end_buffer, dtype=np.float64)))
        if not len(sounding) or self.offset < 4 * self.end_len:
            return None
        return 10 * np.log10(max(end_power, 1e-20) / float(sounding.mean()))

    def _noise_floor(self, power: np.ndarray) -> float | None:
        sounding = self._sounding(power)
        windows = len(sounding) // 5
        if windows == 0:
            return None
        blocks = sounding[: windows * 5].reshape(windows, 5)
        blocks = blocks[(blocks > DIGITAL_SILENCE**2).all(axis=1)].mean(axis=1)
        if not len(blocks):
            return None
        return float(10 * np.log10(np.percentile(blocks, 2)))

    def _dropouts(self, power: np.ndarray) -> list[Event]:
        if self.first_sound is None:
            return []
        context = 10 ** (DROPOUT_CONTEXT_DBFS / 10)
        span = max(1, round(0.05 / (self.frame_len / self.sr)))
        found = []
        for start, end in self.silence.runs:
            if (end - start) / self.sr > DROPOUT_MAX_S:
                continue
            if start <= self.first_sound or end > self.last_sound:
                continue
            before = power[max(0, start // self.frame_len - span) : start // self.frame_len]
            after = power[end // self.frame_len + 1 : end // self.frame_len + 1 + span]
            if len(before) and len(after) and before.mean() > context and after.mean() > context:
                found.append(Event(start / self.sr, end / self.sr))
        return found[:MAX_EVENTS]
