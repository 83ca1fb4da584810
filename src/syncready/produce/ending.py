"""Ending repair: end an abruptly cut (or faded) song on a phrase with a natural ring-out.

Conventions
-----------
- Times in seconds from the start of the source, frames are source sample indices.
- A *phrase close* is a downbeat that starts a section, or lies a multiple of
  ``PHRASE_BARS`` bars after a section start: the end of bar 4, 8, 16... of that section.
- The default repair (``ringout``) keeps the song up to the last phrase close before the
  cut (or before a fade begins), lets the chord struck there sound for most of a beat and
  then decays it to silence over ``ring_s`` (:func:`ring_out`). When the song has an outro,
  that phrase close normally lies inside it and the ending uses the song's own outro
  material; otherwise the decay is built on the last chord.
- ``fade`` (only when asked) fades the song out over up to ``FADE_BARS`` bars ending at the
  cut, with an exponential (linear in dB) curve.
- Without a beat grid the ring-out starts on the strongest attack in the last seconds
  before the cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.signal

from ..analysis import Analysis
from ..analysis.music import Music
from ..analysis.structure import Section
from ..errors import UsageError
from .edit import crossfade, fade_out, frames
from .files import load_track, write_edit, write_unchanged
from .trim import FRAME_S, level_db
from .verify import verified

MODES = ("ringout", "fade")
MIN_KEEP_S = 2.0  # a song must keep at least this much before its new ending
END_LEVEL_MAX_DB = -20.0  # the last 50 ms re the track's RMS, as the sync profiles require

PHRASE_BARS = 4
HOLD_BEATS = 0.75  # real audio kept after the final downbeat before the decay takes over
ATTACK_SKIP_S = 0.06  # the freeze spectrum is measured after the attack of the final chord
DECAY_FLOOR_DB = -60.0
RING_BARS = 2  # length of a ring-out, clamped to RING_MIN_S..RING_MAX_S
RING_MIN_S, RING_MAX_S = 2.0, 4.0
FADE_BARS = 4  # length of an asked-for fade, clamped to FADE_MIN_S..FADE_MAX_S
FADE_MIN_S, FADE_MAX_S = 3.0, 10.0
NO_BEAT_S = 0.5  # beat length assumed when the song has no beat grid
NO_BEAT_SEARCH_S = 8.0
FREEZE_WINDOW_S = 0.085
FREEZE_SEED = 0
FREEZE_RANGE_DB = -40.0  # partials kept: within this of the loudest
FREEZE_PARTIALS = 48


@dataclass
class EndPlan:
    """Where and how the repaired ending goes.

    Attributes
    ----------
    mode : str
        ``"ringout"`` or ``"fade"``.
    cut_s : float
        Where the source's music stops being used (the abrupt stop, or the start of its fade).
    end_at_s : float
        The final downbeat the ring-out starts on (ringout), or the end of the fade.
    tail_s : float
        Length of the ring-out after ``end_at_s`` (0 for a fade).
    material : str
        ``"outro"`` (the song's own outro), ``"last chord"`` or ``"fade"``.
    beat_s : float
        Beat length used, seconds.
    """

    mode: str
    cut_s: float
    end_at_s: float
    tail_s: float
    material: str
    beat_s: float

    @property
    def duration_s(self) -> float:
        """Length of the repaired song."""
        return self.end_at_s + self.tail_s


def beat_length(music: Music) -> float:
    """Seconds per beat from the analysed tempo (``NO_BEAT_S`` without one)."""
    return 60.0 / music.tempo_bpm if music.tempo_bpm else NO_BEAT_S


def section_starts(downbeats: np.ndarray, section_starts_s: list[float]) -> np.ndarray:
    """Indices of the downbeats nearest to the section starts (0 always included), unique, ascending."""
    found = {0} | {int(np.argmin(np.abs(downbeats - s))) for s in section_starts_s[1:]}
    return np.array(sorted(found), dtype=int)


def phrase_positions(downbeats: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Bars from the start of each downbeat's section (``starts`` from :func:`section_starts`)."""
    index = np.arange(len(downbeats))
    return index - starts[np.searchsorted(starts, index, side="right") - 1]


def phrase_closes(music: Music, before_s: float) -> list[float]:
    """Downbeats at or before ``before_s`` that close a phrase (see the module notes), ascending."""
    downbeats = np.asarray(music.downbeats, dtype=float)
    if not len(downbeats):
        return []
    position = phrase_positions(downbeats, section_starts(downbeats, [s.start for s in music.sections]))
    return [float(d) for d, k in zip(downbeats, position) if d <= before_s and k % PHRASE_BARS == 0]


def _section_at(sections: list[Section], t: float) -> Section | None:
    for s in sections:
        if s.start <= t < s.end:
            return s
    return None


def plan(music: Music, duration_s: float, mode: str, envelope_db: np.ndarray, frame_s: float) -> EndPlan | None:
    """Decide the repair, or None when the song already ends well for ``mode``.

    ``envelope_db`` is the track's level per ``frame_s`` (dB), used only without a beat grid.
    An abrupt ending is always repaired; a fade is replaced by a ring-out when ``mode`` is
    ``"ringout"``; a ring-out is left alone.
    """
    ending = music.ending
    beat = beat_length(music)
    if ending.type == "abrupt":
        cut = ending.start if ending.start is not None else duration_s
    elif ending.type == "fade" and mode == "ringout":
        cut = ending.start
    else:
        return None
    if mode == "fade":
        return EndPlan("fade", cut, cut, 0.0, "fade", beat)
    bar = beat * (music.meter or 4)
    ring = float(np.clip(RING_BARS * bar, RING_MIN_S, RING_MAX_S))
    latest = cut - HOLD_BEATS * beat
    closes = phrase_closes(music, latest)
    if closes:
        at = closes[-1]
    else:
        at = _last_attack(envelope_db, frame_s, latest)
    outro = _section_at(music.sections, at + 0.25 * beat)
    material = "outro" if outro is not None and outro.label == "outro" else "last chord"
    return EndPlan("ringout", cut, round(at, 4), ring, material, beat)


def _last_attack(envelope_db: np.ndarray, frame_s: float, before_s: float) -> float:
    """Time of the steepest level rise within ``NO_BEAT_SEARCH_S`` before ``before_s``."""
    last = min(len(envelope_db), int(before_s / frame_s))
    first = max(0, last - int(NO_BEAT_SEARCH_S / frame_s))
    span = max(1, int(round(0.05 / frame_s)))
    window = envelope_db[first:last]
    if len(window) <= span:
        return max(0.0, before_s - NO_BEAT_S)
    rise = window[span:] - window[:-span]
    return (first + span + int(np.argmax(rise))) * frame_s - 0.01


def render(samples: np.ndarray, sample_rate: int, p: EndPlan) -> np.ndarray:
    """The song with its ending repaired by plan ``p``, ``(channels, frames)`` float32."""
    if p.mode == "fade":
        stop = frames(p.cut_s, sample_rate)
        bar = p.beat_s * 4
        length = frames(float(np.clip(FADE_BARS * bar, FADE_MIN_S, FADE_MAX_S)), sample_rate)
        return fade_out(samples[:, :stop], min(length, stop // 3), floor_db=DECAY_FLOOR_DB)
    at = frames(p.end_at_s, sample_rate)
    tail = ring_out(samples, sample_rate, at, seconds=p.tail_s, beat_s=p.beat_s)
    return np.concatenate([samples[:, :at], tail], axis=1)


def ring_out(samples: np.ndarray, sample_rate: int, at: int, *, seconds: float, beat_s: float) -> np.ndarray:
    """The chord struck at frame ``at``, held and decaying to silence over ``seconds``.

    The first ``HOLD_BEATS`` of a beat is the real audio (the final hit and its attack);
    it crossfades into a *freeze* of that chord: the partials of the median magnitude
    spectrum of the audio after the attack (the median keeps the sustained partials and
    drops drum hits) resynthesised as steady sines (see :func:`_freeze`). The whole tail decays exponentially from 0 dB to
    ``DECAY_FLOOR_DB`` and ends with a short fade to zero.

    Returns
    -------
    numpy.ndarray
        ``(channels, frames(seconds))`` float32.
    """
    n = frames(seconds, sample_rate)
    hold = max(1, min(frames(HOLD_BEATS * beat_s, sample_rate), samples.shape[1] - at, n))
    real = samples[:, at : at + hold]
    freeze = _freeze(samples, sample_rate, at, hold, n)
    out = freeze.copy()
    half = hold // 2
    out[:, :half] = real[:, :half]
    out[:, half:hold] = crossfade(real[:, half:hold], freeze[:, half:hold])
    return fade_out(out, n, floor_db=DECAY_FLOOR_DB)


def _freeze(samples: np.ndarray, sample_rate: int, at: int, hold: int, n: int) -> np.ndarray:
    """``n`` frames of the chord in ``samples[:, at + attack : at + hold]``, sustained.

    The partials are the peaks of the median magnitude spectrum (frequency refined on the
    parabola through the log magnitudes) within ``FREEZE_RANGE_DB`` of the loudest, at most
    ``FREEZE_PARTIALS`` of them; they are resynthesised as steady sines with random start
    phases shared by all channels, and the result is matched to the region's RMS per channel.
    Steady sines give the smooth envelope of a held chord (random-phase noise would flicker,
    and a flickering tail reads as a fade).
    """
    nfft = 1 << int(np.ceil(np.log2(FREEZE_WINDOW_S * sample_rate)))
    begin = at + min(frames(ATTACK_SKIP_S, sample_rate), hold // 4)
    region = samples[:, begin : max(at + hold, begin + nfft)].astype(np.float64)
    if region.shape[1] < nfft:
        region = np.pad(region, ((0, 0), (0, nfft - region.shape[1])))
    _, _, spec = scipy.signal.stft(region, nperseg=nfft, noverlap=nfft * 3 // 4, boundary=None, padded=False)
    magnitude = np.median(np.abs(spec), axis=-1)  # (channels, bins)
    total = magnitude.sum(axis=0)
    log = np.log(np.maximum(total, 1e-12))
    peaks, _ = scipy.signal.find_peaks(log[1:-1])
    peaks = peaks + 1
    peaks = peaks[log[peaks] >= log.max() + FREEZE_RANGE_DB / 20 * np.log(10)]
    peaks = peaks[np.argsort(log[peaks])[::-1][:FREEZE_PARTIALS]]
    a, b, c = log[peaks - 1], log[peaks], log[peaks + 1]
    shift = 0.5 * (a - c) / np.where(a - 2 * b + c < 0, a - 2 * b + c, -1e-12)
    freq = (peaks + np.clip(shift, -0.5, 0.5)) * sample_rate / nfft
    rng = np.random.default_rng(FREEZE_SEED)
    phase = 2 * np.pi * rng.random(len(peaks))
    t = np.arange(n) / sample_rate
    partials = np.sin(2 * np.pi * freq[:, None] * t[None] + phase[:, None])  # (partials, n)
    sound = magnitude[:, peaks] @ partials
    target = np.sqrt(np.mean(region**2, axis=1, keepdims=True))
    have = np.sqrt(np.mean(sound**2, axis=1, keepdims=True))
    return (sound * np.divide(target, have, out=np.zeros_like(target), where=have > 0)).astype(np.float32)


@dataclass
class EndResult:
    """What ``syncready end`` did (times in seconds)."""

    path: str
    changed: bool
    mode: str
    material: str | None
    cut_s: float | None
    end_at_s: float | None
    duration_s: float
    ending_before: str | None
    ending_after: str | None
    note: str


def end(path: str | Path, out: str | Path, *, mode: str = "ringout", overwrite: bool = False) -> EndResult:
    """Repair the ending of ``path`` into ``out`` (see the module notes) and verify it.

    A song that already ends as asked is delivered unchanged (``changed`` False).

    Raises
    ------
    UsageError
        Unknown ``mode``, or a song too short to end on a phrase.
    BadInputError
        Unreadable or silent input.
    ContractError
        The written file still ends abruptly, or at level.
    """
    if mode not in MODES:
        raise UsageError(f"unknown ending mode {mode!r}; use {' or '.join(MODES)}")
    sound, analysis = load_track(path, action="end")
    music = analysis.music
    p = plan(music, sound.duration_s, mode, level_db(sound.samples, sound.sample_rate), FRAME_S)
    before = music.ending.type
    if p is None:
        write_unchanged(path, sound, out, overwrite=overwrite)
        return EndResult(str(out), False, mode, None, None, None, sound.duration_s, before, before,
                         f"the song already ends with a {before or 'clean'} ending; left alone")
    if p.end_at_s < MIN_KEEP_S:
        raise UsageError(f"{path}: the music stops {p.cut_s:.1f} s in; too short to end on a phrase")
    write_edit(render(sound.samples, sound.sample_rate, p), sound, out, protect=[path], overwrite=overwrite)
    # A decay without a beat grid around it cannot be told from a fast fade: accept either.
    wanted = ("ring_out",) if mode == "ringout" and music.downbeats else ("fade", "ring_out")

    def contract(a: Analysis) -> list[str]:
        broken = []
        if a.music.ending.type not in wanted:
            broken.append(f"the new ending reads as {a.music.ending.type}, not {' or '.join(wanted)}")
        if a.levels.end_level_db is not None and a.levels.end_level_db > END_LEVEL_MAX_DB:
            broken.append(f"the last 50 ms are only {-a.levels.end_level_db:.1f} dB below the track")
        return broken

    after = verified(out, contract)
    where = f"on the phrase at {p.end_at_s:.2f} s" if p.mode == "ringout" else f"fading out to {p.cut_s:.2f} s"
    return EndResult(str(out), True, mode, p.material, round(p.cut_s, 3), round(p.end_at_s, 3),
                     round(after.source.duration_s, 3), before, after.music.ending.type,
                     f"{before} ending at {p.cut_s:.2f} s replaced: ends {where} ({p.material})")
