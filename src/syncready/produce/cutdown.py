"""Cut-downs: a song edited to an exact length (60/30/15/6 s), joined at bars, ending on its ending.

Conventions
-----------
- Times in seconds, positions in source frames unless a name says otherwise; an edit is
  ``target_frames = round(target_s * rate)`` frames long, exactly.
- *Bar method* (the song has a beat grid, :mod:`syncready.produce.bars`): an edit is a lead-in
  of whole beats (half-beats where a beat is longer than the tail's range) taken from before
  its first downbeat, whole bars in *segments* of consecutive source bars, and a *tail* of
  ``TAIL_MIN_S..TAIL_MAX_S`` after its final downbeat. The edit starts at the song's first
  downbeat, a section start (``START_COST``) or, as a last resort, any downbeat
  (``START_ANYWHERE_COST``); segments run forward through the song and are joined at
  downbeats, so every join keeps the bar position. The path is the
  cheapest by dynamic programming over (bars played, boundary): each jump costs the bar
  grid's ``jump_cost`` plus ``JUMP_COST``, plus ``PHRASE_SHIFT_COST`` when both sides sit at
  the same non-zero place in their phrase (bars from the section start, modulo 4) or
  ``PHRASE_BREAK_COST`` when they differ; a segment shorter than ``GOOD_SEGMENT_BARS`` costs
  ``SHORT_SEGMENT_COST`` per missing bar and none is shorter than ``MIN_SEGMENT_BARS`` (one
  bar when the whole edit holds at most ``SHORT_EDIT_BARS``). Bar counts whose length can be
  met by a lead-in and a tail are tried, cheapest path first; each lead-in beat costs
  ``LEAD_BEAT_COST``.
- Ending: when the analysis reads the song's ending as a ``ring_out``, the final downbeat is its
  ``last_downbeat`` and the tail is the song's own decay; otherwise the final downbeat is a
  phrase close at least ``HOLD_BEATS`` of a beat before the abrupt stop or the fade (a close
  ``LATE_CLOSE_BARS`` or more bars before the last one costs ``LATE_CLOSE_COST``, nearer ones
  proportionally less) and the tail is :func:`syncready.produce.ending.ring_out` of the chord
  struck there. The path either plays into the final downbeat or jumps to it (a "button"
  ending). Either tail decays to ``ending.DECAY_FLOOR_DB`` and ends in silence.
- *Energy-minima method* (no beat grid): the song's start up to a point ``a`` is joined to the
  song's end from a point ``b``, at the pair where the 1-s smoothed level is lowest and the
  timbre on both sides is closest, with an ``ENERGY_FADE_S`` crossfade; an end at level is
  faded out.
- Joins are :func:`syncready.produce.edit.splice` crossfades of ``SPLICE_FADE_S``; splice
  times are reported in seconds of the output. The first ``EDGE_FADE_S`` is faded in.
- Every written edit is re-read and measured (:func:`measure`): length within
  ``LENGTH_TOL_S`` of the target, head silence under ``HEAD_MAX_S`` (sound as in
  :mod:`syncready.analysis.levels`), last ``END_WINDOW_S`` at least ``-END_MAX_DB`` dB below
  the edit's RMS, final downbeat at most ``LAST_DOWNBEAT_MAX_S`` before the end, and no click
  at a splice: the largest sample-to-sample step within ``CLICK_NEAR_S`` of the join
  (:func:`join_step_db`) at most ``CLICK_EXCESS_MAX_DB`` above the larger of the source's own
  at the two places joined. (Songs, rendered ones above all, have steps of their own at note
  onsets, which fall on the downbeats the joins are made at; a crossfade of two signals stays
  within a few dB of the larger, a butt splice in smooth material is 10-20 dB above it.)
  :func:`splice_click_db`, the join's step against the music around it in the edit, is
  reported too. An edit that misses is deleted and :class:`~syncready.errors.ContractError`
  raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import audio
from ..analysis import Analysis
from ..analysis.frames import moving_average
from ..analysis.levels import SOUND_DBFS
from ..errors import ContractError, UsageError
from ..outputs import guard
from .bars import ENERGY_DB_SCALE, BarGrid, EditSource, open_source, window
from .edit import EDGE_FADE_S, SPLICE_FADE_S, fade_in, fade_out, frames, splice
from .ending import DECAY_FLOOR_DB, HOLD_BEATS, ring_out
from .files import write_edit

TAIL_MIN_S, TAIL_MAX_S = 0.75, 1.5
MIN_TARGET_S = 2.0
NO_BEAT_BAR_S = 2.0  # stands in for a bar in the length limit of a song without a beat grid
MIN_SEGMENT_BARS = 2
SHORT_EDIT_BARS = 5
GOOD_SEGMENT_BARS = 4
SHORT_SEGMENT_COST = 0.1
JUMP_COST = 0.25
PHRASE_SHIFT_COST = 0.15
PHRASE_BREAK_COST = 0.6
START_COST = 0.4
START_ANYWHERE_COST = 2.0  # any other downbeat: a last resort
LATE_CLOSE_COST = 0.8
LATE_CLOSE_BARS = 16
LEAD_BEAT_COST = 0.05
MAX_TRIES = 64  # candidate paths checked for an exact lead-in and tail
ENERGY_FADE_S = 0.25
ENERGY_SMOOTH_S = 1.0
ENERGY_MIN_PART_S = 1.0
ENERGY_END_FADE_S = 1.0

LENGTH_TOL_S = 0.01
HEAD_MAX_S = 0.01
END_WINDOW_S = 0.05
END_MAX_DB = -20.0
LAST_DOWNBEAT_MAX_S = 1.5
CLICK_EXCESS_MAX_DB = 6.0
CLICK_NEAR_S = 0.002
CLICK_CONTEXT_S = 0.1
CLICK_PERCENTILE = 99.9


@dataclass
class Tail:
    """What follows an edit's final downbeat: ``length`` frames from source frame ``at``.

    ``own``: the song's own decay (its ring-out ending); else a ring-out of the chord at ``at``.
    """

    at: int
    length: int
    own: bool


@dataclass
class EditPlan:
    """An edit, as source pieces and a tail (see the module notes).

    Attributes
    ----------
    rate : int
        Sample rate, Hz.
    target_frames : int
        Exact length of the edit, frames.
    method : str
        ``"bars"`` or ``"energy-minima"``.
    pieces : list of (int, int)
        Source frame ranges played in order; the first includes the lead-in.
    tail : Tail or None
        The ending after the final downbeat (bar method only).
    overlap : int
        Crossfade length at each join, frames.
    lead : int
        Lead-in before the first downbeat, frames.
    end_fade : int
        Frames faded out at the end (energy-minima method, when the song ends at level).
    cost : float
        Path cost (lower is better).
    notes : list of str
        What was done, for people.
    """

    rate: int
    target_frames: int
    method: str
    pieces: list[tuple[int, int]]
    tail: Tail | None
    overlap: int
    lead: int = 0
    end_fade: int = 0
    cost: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def carries_tail(self) -> bool:
        """Whether the last piece plays straight into the tail (no join before it)."""
        return self.tail is not None and self.pieces[-1][1] == self.tail.at

    @property
    def joins(self) -> list[int]:
        """Join positions, frames of the output."""
        ends = np.cumsum([b - a for a, b in self.pieces]).tolist()
        return ends if self.tail is not None and not self.carries_tail else ends[:-1]

    @property
    def joined(self) -> list[tuple[int, int]]:
        """For each join, the source frames it connects: (where the music leaves, where it goes on)."""
        ends = [b for _, b in self.pieces]
        starts = [a for a, _ in self.pieces[1:]]
        if self.tail is not None and not self.carries_tail:
            starts.append(self.tail.at)
        return list(zip(ends, starts))

    @property
    def final_downbeat(self) -> int | None:
        """The final downbeat, frames of the output (None for the energy-minima method)."""
        return None if self.tail is None else self.target_frames - self.tail.length

    @property
    def segments_s(self) -> list[tuple[float, float]]:
        """Source ranges played, seconds (the tail included; a ring-out counts as its chord's range)."""
        ranges = [(a, b) for a, b in self.pieces]
        if self.tail is not None:
            if self.carries_tail:
                ranges[-1] = (ranges[-1][0], self.tail.at + self.tail.length)
            else:
                ranges.append((self.tail.at, self.tail.at + self.tail.length))
        return [(round(a / self.rate, 3), round(b / self.rate, 3)) for a, b in ranges]


@dataclass
class Measured:
    """What an edit measured after it was written (see :func:`measure`).

    ``click_excess_db``: each splice's :func:`join_step_db` less the larger of the source's
    own at the two places joined.
    """

    duration_s: float
    head_silence_s: float
    end_level_db: float
    last_downbeat_gap_s: float | None
    splice_click_db: list[float]
    click_excess_db: list[float]


@dataclass
class Cut:
    """One written cut-down.

    ``splices`` are seconds of the output, ``segments`` source ranges in seconds.
    """

    path: str
    target_s: float
    duration_s: float
    splices: list[float]
    method: str
    notes: list[str]
    segments: list[tuple[float, float]]
    measured: Measured


# --------------------------------------------------------------------------- planning


def check_length(source: EditSource, target_s: float, *, what: str = "cut-down") -> None:
    """Refuse an edit length below ``MIN_TARGET_S`` or above the music less one bar.

    Raises
    ------
    UsageError
        Naming the file, the length asked for and the song's length.
    """
    if not math.isfinite(target_s) or target_s < MIN_TARGET_S:
        raise UsageError(f"{source.path}: no {target_s:g} s {what}: the shortest edit is {MIN_TARGET_S:g} s")
    span = source.music_end_s - source.music_start_s
    bar = source.grid.bar_s if source.grid is not None else NO_BEAT_BAR_S
    if target_s > span - bar:
        raise UsageError(
            f"{source.path}: no {target_s:g} s {what}: the song has only {span:.1f} s of music "
            f"and an edit must be at least a bar ({bar:.1f} s) shorter")


def plan_cut(source: EditSource, target_s: float) -> EditPlan:
    """Plan a cut-down of ``target_s`` seconds: the bar method, or energy minima without a beat grid.

    Raises
    ------
    UsageError
        See :func:`check_length`.
    """
    check_length(source, target_s)
    plan = plan_bars(source, target_s) if source.grid is not None else None
    if plan is not None:
        return plan
    why = "no bar path fits this length" if source.grid is not None else "no steady beat"
    return plan_energy(source, target_s, why)


def plan_bars(source: EditSource, target_s: float, *, starts: dict[int, float] | None = None) -> EditPlan | None:
    """The cheapest bar-method edit of ``target_s`` seconds, or None when no path fits.

    Parameters
    ----------
    source : EditSource
        A song with a beat grid.
    target_s : float
        Length, seconds.
    starts : dict or None
        Boundaries the edit may start at, with their costs; default: the first downbeat (free)
        and every section start (``START_COST``).
    """
    grid = source.grid
    rate = source.rate
    target = round(target_s * rate)
    split = 1  # lead-in steps per beat: halves where a beat is longer than the tail's range
    while grid.beat_s / split > TAIL_MAX_S - TAIL_MIN_S:
        split *= 2
    leads = [k * grid.beat_s / split for k in range(grid.meter * split)]
    if starts is None:
        starts = {i: START_ANYWHERE_COST for i in range(len(grid.times) - 1)}
        starts.update({int(s): (0.0 if s == 0 else START_COST) for s in grid.section_starts})
    closes, own = _closes(source, grid)
    counts = {lead_s: _bar_counts(target_s - lead_s, grid.bar_s) for lead_s in leads}
    most = max((max(c) for c in counts.values() if c), default=0)
    if not closes or not most:
        return None
    min_seg = 1 if most <= SHORT_EDIT_BARS else MIN_SEGMENT_BARS
    ranked = []
    for lead_s in leads:
        lead = round(lead_s * rate)
        usable = {a: cost for a, cost in starts.items() if sounding(source.sound.samples, int(grid.frames[a]) - lead, rate)}
        if usable and counts[lead_s]:
            extra = LEAD_BEAT_COST * lead_s / grid.beat_s
            ranked += [(cost + extra, lead, segments, final)
                       for cost, segments, final in _cheapest_paths(grid, counts[lead_s], usable, closes, min_seg)]
    ranked.sort(key=lambda item: item[0])
    for cost, lead, segments, final in ranked[:MAX_TRIES]:
        pieces = [(int(grid.frames[a]), int(grid.frames[b])) for a, b in segments]
        tail = target - lead - sum(b - a for a, b in pieces)
        if TAIL_MIN_S * rate <= tail <= TAIL_MAX_S * rate:
            pieces[0] = (pieces[0][0] - lead, pieces[0][1])
            plan = EditPlan(rate, target, "bars", pieces, Tail(int(grid.frames[final]), tail, own),
                            frames(SPLICE_FADE_S, rate), lead=lead, cost=round(float(cost), 3))
            plan.notes = _bar_notes(source, grid, segments, final, plan)
            return plan
    return None


def _bar_counts(music_s: float, bar_s: float) -> list[int]:
    """Bar counts (at least one) that leave a tail of ``TAIL_MIN_S..TAIL_MAX_S`` out of ``music_s``."""
    return list(range(max(1, math.ceil((music_s - TAIL_MAX_S) / bar_s)), math.floor((music_s - TAIL_MIN_S) / bar_s) + 1))


def _closes(source: EditSource, grid: BarGrid) -> tuple[dict[int, float], bool]:
    """Boundaries the edit may end on (with costs), and whether the tail is the song's own."""
    ending = source.analysis.music.ending
    if ending.type == "ring_out" and ending.last_downbeat is not None:
        return {grid.index(ending.last_downbeat): 0.0}, True
    stop = ending.start if ending.type in ("abrupt", "fade") and ending.start is not None else source.music_end_s
    limit = min(stop, source.sound.duration_s) - HOLD_BEATS * grid.beat_s
    found = [int(c) for c in grid.closes if c >= 1 and grid.times[c] <= limit]
    if not found:
        return {}, False
    last = grid.times[found[-1]]
    return {c: LATE_CLOSE_COST * min(1.0, (last - grid.times[c]) / (LATE_CLOSE_BARS * grid.bar_s)) for c in found}, False


def _phrase_penalty(phrase_pos: np.ndarray) -> np.ndarray:
    """``(K, K)`` cost of a jump between two boundaries' places in their phrases."""
    place = phrase_pos % 4
    same = place[:, None] == place[None, :]
    cost = np.where(same, PHRASE_SHIFT_COST, PHRASE_BREAK_COST)
    cost[np.ix_(place == 0, place == 0)] = 0.0
    return cost


def _cheapest_paths(grid: BarGrid, counts: list[int], starts: dict[int, float], closes: dict[int, float],
                    min_seg: int) -> list[tuple[float, list[tuple[int, int]], int]]:
    """Paths of ``counts`` bars from a start to a close, cheapest first.

    Dynamic programming over (bars played ``n``, boundary): ``best[n, k]`` is the cheapest way to
    have played ``n`` bars with the current segment ending at ``k``; ``arrive[n, j]`` the cheapest
    way to jump to ``j`` after ``n`` bars. Returns (cost, segments as boundary pairs, final
    downbeat boundary).
    """
    size = len(grid.times)
    most = max(counts)
    jump = grid.jump_cost + JUMP_COST + _phrase_penalty(grid.phrase_pos)
    jump[np.tril_indices(size)] = np.inf  # forward jumps only
    seg_cost = SHORT_SEGMENT_COST * np.maximum(0, GOOD_SEGMENT_BARS - np.arange(most + 1))
    seg_cost[:min_seg] = np.inf
    best = np.full((most + 1, size), np.inf)
    seg_start = np.zeros((most + 1, size), int)
    from_start = np.zeros((most + 1, size), bool)
    arrive = np.full((most + 1, size), np.inf)
    came_from = np.zeros((most + 1, size), int)
    for a, cost in starts.items():
        lengths = np.arange(min_seg, min(most, size - 1 - a) + 1)
        for length in lengths:
            c = cost + seg_cost[length]
            if c < best[length, a + length]:
                best[length, a + length], seg_start[length, a + length], from_start[length, a + length] = c, a, True
    columns = np.arange(size)
    for n in range(1, most + 1):
        total = best[n][:, None] + jump
        came_from[n] = np.argmin(total, axis=0)
        arrive[n] = total[came_from[n], columns]
        for length in range(min_seg, most - n + 1):
            cand = arrive[n, : size - length] + seg_cost[length]
            better = np.flatnonzero(cand < best[n + length, length:])
            best[n + length, length + better] = cand[better]
            seg_start[n + length, length + better] = better
            from_start[n + length, length + better] = False

    def walk(n: int, k: int) -> list[tuple[int, int]]:
        segments = []
        while True:
            j = int(seg_start[n, k])
            segments.append((j, k))
            if from_start[n, k]:
                return segments[::-1]
            n -= k - j
            k = int(came_from[n, j])

    ranked = []
    for n in counts:
        for f, close_cost in closes.items():
            if np.isfinite(best[n, f]):
                ranked.append((best[n, f] + close_cost, n, f, False))
            if np.isfinite(arrive[n, f]):
                ranked.append((arrive[n, f] + close_cost, n, f, True))
    ranked.sort()
    return [(cost, walk(n, int(came_from[n, f]) if jumped else f), f) for cost, n, f, jumped in ranked[:MAX_TRIES]]


def sounding(samples: np.ndarray, start: int, rate: int) -> bool:
    """Whether there is sound (above ``SOUND_DBFS``) within ``HEAD_MAX_S / 2`` of ``start``."""
    if start < 0:
        return False
    head = samples[:, start : start + max(1, frames(HEAD_MAX_S / 2, rate))]
    return head.size > 0 and float(np.abs(head).max()) > 10 ** (SOUND_DBFS / 20)


def _bar_notes(source: EditSource, grid: BarGrid, segments: list[tuple[int, int]], final: int, plan: EditPlan) -> list[str]:
    """Human-readable account of a bar-method plan."""
    notes = [f"{len(segments) - 1 + (not plan.carries_tail)} join(s) at downbeats"]
    if plan.lead:
        notes.append(f"lead-in of {round(2 * plan.lead / source.rate / grid.beat_s) / 2:g} beat(s)")
    first = segments[0][0]
    if first in grid.section_starts[1:]:
        notes.append(f"starts at the section at {grid.times[first]:.2f} s")
    elif first != 0:
        notes.append(f"starts at bar {first + 1} ({grid.times[first]:.2f} s): no path from a section start fits")
    at = grid.times[final]
    if plan.tail.own:
        notes.append(f"ends on the song's own ring-out from {at:.2f} s")
    else:
        kind = source.analysis.music.ending.type or "unclear"
        notes.append(f"ends on a ring-out of the chord at {at:.2f} s (the song's ending is {kind})")
    return notes


def plan_energy(source: EditSource, target_s: float, why: str) -> EditPlan:
    """A two-piece edit joined at phrase-level energy minima (see the module notes)."""
    rate = source.rate
    spectra = source.spectra
    hop = spectra.hop_s
    level = 10 * np.log10(moving_average(spectra.power, max(1, round(ENERGY_SMOOTH_S / hop))) + 1e-12)
    timbre = np.log10(spectra.bands + 1e-10)
    timbre = (timbre - timbre.mean(axis=1, keepdims=True)) / (timbre.std(axis=1, keepdims=True) + 1e-6)
    timbre /= np.linalg.norm(timbre, axis=0, keepdims=True) + 1e-9
    start, end = source.music_start_s, source.music_end_s
    part = min(ENERGY_MIN_PART_S, target_s / 4)
    cut = np.arange(start + part, start + target_s - part, hop)  # where the start piece stops
    resume = cut - start + end - target_s  # where the end piece starts: the lengths add up
    i = np.minimum(np.round(cut / hop).astype(int), len(level) - 1)
    j = np.minimum(np.round(resume / hop).astype(int), len(level) - 1)
    median = float(np.median(level))
    cost = (level[i] + level[j] - 2 * median) / ENERGY_DB_SCALE + 0.5 * (1 - np.sum(timbre[:, i] * timbre[:, j], axis=0))
    best = int(np.argmin(cost))
    target = round(target_s * rate)
    first, last = frames(start, rate), frames(end, rate)
    a = frames(cut[best], rate)
    b = a - first + last - target
    samples = source.sound.samples
    tail = samples[:, max(0, last - frames(END_WINDOW_S, rate)) : last]
    at_level = to_db(rms(tail) / rms(samples[:, first:last])) > END_MAX_DB - 6
    return EditPlan(
        rate, target, "energy-minima", [(first, a), (b, last)], None, frames(ENERGY_FADE_S, rate),
        end_fade=frames(min(ENERGY_END_FADE_S, target_s / 4), rate) if at_level else 0,
        cost=round(float(cost[best]), 3),
        notes=[f"{why}: joined {cut[best]:.2f} s to {resume[best]:.2f} s at phrase-level energy minima "
               f"({ENERGY_FADE_S * 1000:.0f} ms crossfade)"]
        + (["faded out: the song ends at level"] if at_level else []),
    )


# --------------------------------------------------------------------------- rendering


def render(source: EditSource, plan: EditPlan) -> np.ndarray:
    """The edit's samples, ``(channels, plan.target_frames)`` float32.

    The pieces (and the tail, after the real audio that leads into its final downbeat) are
    laid out with ``overlap // 2`` frames of their source surroundings, so
    :func:`~syncready.produce.edit.splice` crossfades every join with the right material.
    """
    samples, rate = source.sound.samples, source.rate
    pad = plan.overlap // 2 + 1
    tail = _tail_audio(source, plan.tail) if plan.tail is not None else None
    chunks, spans, pos = [], [], 0
    for k, (a, b) in enumerate(plan.pieces):
        carried = plan.carries_tail and k == len(plan.pieces) - 1
        chunk = window(samples, a - pad, b if carried else b + pad)
        length = b - a
        if carried:
            chunk = np.concatenate([chunk, tail], axis=1)
            length += tail.shape[1]
        chunks.append(chunk)
        spans.append((pos + pad, pos + pad + length))
        pos += chunk.shape[1]
    if tail is not None and not plan.carries_tail:
        chunks.append(np.concatenate([window(samples, plan.tail.at - pad, plan.tail.at), tail], axis=1))
        spans.append((pos + pad, pos + pad + tail.shape[1]))
    out, _ = splice(np.concatenate(chunks, axis=1), spans, plan.overlap)
    out = fade_in(out, frames(EDGE_FADE_S, rate))
    if plan.end_fade:
        out = fade_out(out, plan.end_fade, floor_db=DECAY_FLOOR_DB)
    return out


def _tail_audio(source: EditSource, tail: Tail) -> np.ndarray:
    """The tail's samples: the song's own decay faded like a ring-out, or a ring-out of the chord."""
    samples = source.sound.samples
    if tail.own:
        return fade_out(window(samples, tail.at, tail.at + tail.length), tail.length, floor_db=DECAY_FLOOR_DB)
    return ring_out(samples, source.rate, tail.at, seconds=tail.length / source.rate, beat_s=source.grid.beat_s)


# --------------------------------------------------------------------------- checking


def rms(x: np.ndarray) -> float:
    """Root mean square of all of ``x`` (0 when empty)."""
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def to_db(ratio: float) -> float:
    """An amplitude ratio in dB (floored at -200 dB)."""
    return 20 * math.log10(max(ratio, 1e-10))


def splice_click_db(samples: np.ndarray, rate: int, at_frames: list[int]) -> list[float]:
    """How much each join stands out as a click, dB.

    The largest first difference (over channels) within ``CLICK_NEAR_S`` of the join, against
    the ``CLICK_PERCENTILE`` percentile of first differences within ``CLICK_CONTEXT_S`` of it.
    Transients in the music have many large differences and stay near or below 0 dB; a step in
    smooth material is one huge difference and reads many dB above it.
    """
    near, context = max(1, frames(CLICK_NEAR_S, rate)), frames(CLICK_CONTEXT_S, rate)
    found = []
    for at in at_frames:
        lo, hi = max(0, at - context), min(samples.shape[1], at + context)
        step = np.abs(np.diff(samples[:, lo:hi], axis=1)).max(axis=0)
        if not len(step):
            found.append(0.0)
            continue
        local = step[max(0, at - near - lo) : at + near - lo].max(initial=0.0)
        found.append(round(to_db(local / max(float(np.percentile(step, CLICK_PERCENTILE)), 1e-10)), 2))
    return found


def join_step_db(samples: np.ndarray, rate: int, at_frames: list[int]) -> list[float]:
    """The largest sample-to-sample step (over channels) within ``CLICK_NEAR_S`` of each frame, dBFS."""
    near = max(1, frames(CLICK_NEAR_S, rate))
    found = []
    for at in at_frames:
        part = samples[:, max(0, at - near) : at + near + 1]
        found.append(round(to_db(float(np.abs(np.diff(part, axis=1)).max(initial=0.0))), 2))
    return found


def natural_step_db(samples: np.ndarray, rate: int, joined: list[tuple[int, int]]) -> list[float]:
    """For each pair of source frames joined, the larger :func:`join_step_db` the source has there."""
    if not joined:
        return []
    return np.maximum(*(join_step_db(samples, rate, list(side)) for side in zip(*joined))).tolist()


def measure(samples: np.ndarray, rate: int, joins: list[int], final_downbeat: int | None,
            natural_db: list[float]) -> Measured:
    """Measure an edit as written: length, head silence, end level, final downbeat, splice clicks.

    ``natural_db`` holds the source's own step at each join (:func:`natural_step_db`).
    """
    loud = np.flatnonzero((np.abs(samples) > 10 ** (SOUND_DBFS / 20)).any(axis=0))
    n = samples.shape[1]
    end = rms(samples[:, -frames(END_WINDOW_S, rate) :])
    return Measured(
        duration_s=n / rate,
        head_silence_s=float(loud[0] if len(loud) else n) / rate,
        end_level_db=round(to_db(end / max(rms(samples), 1e-10)), 2),
        last_downbeat_gap_s=None if final_downbeat is None else round((n - final_downbeat) / rate, 4),
        splice_click_db=splice_click_db(samples, rate, joins),
        click_excess_db=[round(c - n, 2) for c, n in zip(join_step_db(samples, rate, joins), natural_db)],
    )


def broken_promises(measured: Measured, target_s: float) -> list[str]:
    """The contract items an edit misses (empty when it is good)."""
    broken = []
    if abs(measured.duration_s - target_s) > LENGTH_TOL_S:
        broken.append(f"it is {measured.duration_s:.3f} s long, not {target_s:g} s")
    if measured.head_silence_s >= HEAD_MAX_S:
        broken.append(f"it starts with {measured.head_silence_s * 1000:.0f} ms of silence")
    if measured.end_level_db > END_MAX_DB:
        broken.append(f"its last 50 ms are only {-measured.end_level_db:.1f} dB below its level")
    gap = measured.last_downbeat_gap_s
    if gap is not None and gap > LAST_DOWNBEAT_MAX_S:
        broken.append(f"its final downbeat is {gap:.2f} s before the end")
    clicks = [c for c in measured.click_excess_db if c > CLICK_EXCESS_MAX_DB]
    if clicks:
        broken.append(f"a splice clicks ({max(clicks):.1f} dB more than the music has there)")
    return broken


def write_checked(source: EditSource, plan: EditPlan, out: str | Path, *, overwrite: bool) -> Measured:
    """Render ``plan``, write it as 24-bit WAV at the source's rate, re-read and check it.

    Raises
    ------
    ContractError
        The written edit missed its contract; the file has been deleted.
    UsageError
        ``out`` is the input, or exists and ``overwrite`` is False.
    """
    write_edit(render(source, plan), source.sound, out, protect=[source.path], overwrite=overwrite)
    written = audio.load(out)
    natural = natural_step_db(source.sound.samples, source.rate, plan.joined)
    measured = measure(written.samples, written.sample_rate, plan.joins, plan.final_downbeat, natural)
    broken = broken_promises(measured, plan.target_frames / plan.rate)
    if broken:
        Path(out).unlink(missing_ok=True)
        raise ContractError(f"{out}: the edit missed its contract and was not kept: {'; '.join(broken)}")
    return measured


def cut_name(path: str | Path, target_s: float) -> str:
    """File name of a cut-down: ``<stem>-cut<target>.wav`` (``song-cut30.wav``)."""
    return f"{Path(path).stem}-cut{target_s:g}.wav"


def cutdowns(path: str | Path, targets: list[float], out_dir: str | Path, *, overwrite: bool = False,
             analysis: Analysis | None = None) -> list[Cut]:
    """Write a verified cut-down of ``path`` for each length in ``targets`` into ``out_dir``.

    Every target is planned and every destination checked before anything is written.

    Parameters
    ----------
    path : str or Path
        The song.
    targets : list of float
        Lengths, seconds (duplicates are made once).
    out_dir : str or Path
        Destination folder (created if missing); files are named by :func:`cut_name`.
    overwrite : bool
        Replace existing files.
    analysis : Analysis or None
        The song's analysis if already known.

    Raises
    ------
    BadInputError
        Unreadable, silent or too short a song.
    UsageError
        A length out of range, or a destination that exists (without ``overwrite``).
    ContractError
        A written edit missed its contract (it was deleted; earlier ones are kept).
    """
    source = open_source(path, analysis=analysis, action="cut")
    targets = list(dict.fromkeys(float(t) for t in targets))
    plans = [plan_cut(source, t) for t in targets]
    outs = [guard(Path(out_dir) / cut_name(path, t), [path], overwrite=overwrite) for t in targets]
    cuts = []
    for target_s, plan, out in zip(targets, plans, outs):
        measured = write_checked(source, plan, out, overwrite=overwrite)
        cuts.append(Cut(str(out), target_s, measured.duration_s, [round(j / plan.rate, 3) for j in plan.joins],
                        plan.method, plan.notes, plan.segments_s, measured))
    return cuts
