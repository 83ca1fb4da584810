"""How a track ends: ring-out, fade or abrupt stop.

Conventions
-----------
- Input is the end of the level curve kept by :class:`~syncready.analysis.levels.LevelsMeter`
  (``ending_db``: dB of mean square per ~10 ms frame, the 30 s before the last sound and
  everything after it). Times are seconds from the start of the file.
- The *reference level* is the 80th percentile of the 200 ms-smoothed level over that span:
  "music at level" near the end.
- ``abrupt``: the level falls by at least ``CUT_DROP_DB`` within ``CUT_S`` from within
  ``AT_LEVEL_DB`` of the reference, and stays down to the end (hard stop or digital silence,
  with or without noise after it), or the file simply ends at level. ``start`` is the time
  of the cut.
- Otherwise the *ending* begins where the smoothed level last stood within ``DECLINE_DB`` of
  the reference; what follows it is a ``fade`` when it lasts at least ``FADE_MIN_S`` and new
  attacks keep arriving (at least ``FADE_ATTACKS_PER_S``, or hits whose peaks sink by
  ``FADE_STEP_DB``: the band plays on while the level sinks) or when the level was held
  steady (within ``HELD_RANGE_DB`` for ``HELD_S``, ending ``SMOOTH_S`` before the decline)
  before it started to sink and, when the track has a beat grid, at least
  ``HELD_BEATS_AFTER`` beats go on in the decline (a dense, loud master hides the accent of
  its last hit, so a held level alone cannot tell a fade from a ring-out); a
  ``ring_out`` when it is the decay of the last hit. An *attack* is a rise
  of ``ATTACK_RISE_DB`` within ``ATTACK_SPAN_S`` of the level smoothed over ``ATTACK_SMOOTH_S``. ``start`` is the start of
  the fade, or the last attack of a ring-out (or the last beat before its decline when the
  beat went on after that attack: in a dense, loud master the last hit may not rise above
  the music before it).
- ``last_downbeat`` is the last given downbeat at or before ``start`` (None without downbeats).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .frames import moving_average
from .levels import Levels

SMOOTH_S = 0.2
CUT_S = 0.03
CUT_DROP_DB = 25.0
AT_LEVEL_DB = 20.0
DECLINE_DB = 3.0
FADE_MIN_S = 2.0
FADE_ATTACKS_PER_S = 0.75
FADE_STEP_DB = 6.0
HELD_S = 1.0
HELD_RANGE_DB = 3.0
HELD_BEATS_AFTER = 2  # beats after the decline begins that make a held-level decline a fade
ATTACK_RISE_DB = 6.0
ATTACK_SMOOTH_S = 0.05
ATTACK_SPAN_S = 0.1


@dataclass
class Ending:
    """The ending of a track (see the module docstring)."""

    type: str | None
    start: float | None
    last_downbeat: float | None


def _smooth(level_db: np.ndarray, frames: int) -> np.ndarray:
    """Moving average of power over ``frames`` frames (centred), back in dB."""
    return 10 * np.log10(np.maximum(moving_average(10 ** (level_db / 10), frames), 1e-12))


def _attacks(level_db: np.ndarray, span: int) -> np.ndarray:
    """Frames where the level rises by ATTACK_RISE_DB over the previous ``span`` frames' minimum.

    ``level_db`` should be smoothed over ATTACK_SMOOTH_S so that beating partials of one
    decaying chord do not count as new attacks.
    """
    if len(level_db) <= span:
        return np.zeros(0, int)
    windows = np.lib.stride_tricks.sliding_window_view(level_db, span)[:-1]
    rise = level_db[span:] - windows.min(axis=1)
    onset = rise >= ATTACK_RISE_DB
    starts = np.flatnonzero(onset & ~np.concatenate(([False], onset[:-1])))
    return starts + span


def classify(levels: Levels, duration_s: float, downbeats: Sequence[float] = (), beats: Sequence[float] = ()) -> Ending:
    """Classify the ending of a measured track.

    Parameters
    ----------
    levels : Levels
        The track's level measurement (needs ``ending_db``, ``tail_s``, ``frame_s``).
    duration_s : float
        Length of the file in seconds.
    downbeats : sequence of float
        Downbeat times in seconds, ascending (optional).
    beats : sequence of float
        Beat times in seconds, ascending (optional): with a beat grid, a decline from a held
        level is a fade only while beats go on in it (see :func:`_fading`).
    """
    if levels.tail_s is None or not levels.ending_db:
        return Ending(None, None, None)
    frame = levels.frame_s
    level = np.asarray(levels.ending_db, dtype=float)
    last = min(len(level), int(round((duration_s - levels.tail_s - levels.ending_start_s) / frame)) + 1)
    smooth = _smooth(level, max(1, round(SMOOTH_S / frame)))
    reference = float(np.percentile(smooth[:last], 80))
    start = _cut(level, reference, frame)
    ends_at_level = levels.tail_s < 2 * CUT_S and level[max(0, last - 5) : last].mean() >= reference - AT_LEVEL_DB
    if start is None and ends_at_level:
        start = last
    if start is not None:
        kind = "abrupt"
    else:
        begin = np.flatnonzero(smooth[:last] >= reference - DECLINE_DB)
        begin = int(begin[-1]) if len(begin) else 0
        bumpy = _smooth(level[:last], max(1, round(ATTACK_SMOOTH_S / frame)))
        attacks = _attacks(bumpy, max(1, round(ATTACK_SPAN_S / frame)))
        seconds = (last - begin) * frame
        held_frames, settle = round(HELD_S / frame), round(SMOOTH_S / frame)
        window = smooth[max(0, begin - settle - held_frames) : max(0, begin - settle)]
        held = len(window) == held_frames and np.ptp(window) <= HELD_RANGE_DB
        begin_s = levels.ending_start_s + begin * frame
        held = held and (not len(beats) or sum(b > begin_s + ATTACK_SPAN_S for b in beats) >= HELD_BEATS_AFTER)
        if seconds >= FADE_MIN_S and _fading(bumpy, attacks, begin, seconds, frame, held=held):
            kind, start = "fade", begin
        else:
            kind, start = "ring_out", int(attacks[-1]) if len(attacks) else begin
            grid = [t for t in (*beats, *downbeats) if start + ATTACK_SPAN_S / frame < (t - levels.ending_start_s) / frame <= begin]
            if grid:  # the beat went on after the last attack: the last beat before the decline was the last hit
                start = int(round((max(grid) - levels.ending_start_s) / frame))
    start_s = levels.ending_start_s + start * frame
    before = [d for d in downbeats if d <= start_s + 0.05]
    return Ending(kind, round(start_s, 3), before[-1] if before else None)


def _fading(level_db: np.ndarray, attacks: np.ndarray, begin: int, seconds: float, frame: float, *, held: bool) -> bool:
    """True when the decline from frame ``begin`` is a fade rather than the decay of a last hit.

    A fade: attacks keep arriving during the decline (FADE_ATTACKS_PER_S or more, or the
    hits peak lower and lower, by FADE_STEP_DB from the last full-level hit), or the music
    was ``held`` steady (within HELD_RANGE_DB for HELD_S) before it started to sink.
    """
    later = attacks[attacks > begin]
    if len(later) / seconds >= FADE_ATTACKS_PER_S:
        return True
    prior = attacks[attacks <= begin]
    if held:
        return True
    if not len(prior):
        return False
    span = max(1, round(0.2 / frame))
    peaks = [level_db[k : k + span].max() for k in (prior[-1], *later)]
    return len(peaks) >= 2 and peaks[-1] <= peaks[0] - FADE_STEP_DB


def _cut(level: np.ndarray, reference: float, frame: float) -> int | None:
    """Frame of the last hard stop from near the reference level, or None."""
    gap = max(1, round(CUT_S / frame))
    if len(level) <= gap:
        return None
    drop = level[:-gap] - level[gap:]
    tail_max = np.maximum.accumulate(level[::-1])[::-1]  # loudest level from each frame to the end
    candidates = np.flatnonzero(
        (level[:-gap] >= reference - AT_LEVEL_DB)
        & (drop >= CUT_DROP_DB)
        & (tail_max[gap:] <= level[:-gap] - CUT_DROP_DB + 5)
    )
    return int(candidates[-1]) + 1 if len(candidates) else None
