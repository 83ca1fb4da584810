"""Seamless loops: exactly N bars of the song at its analysed tempo, crossfaded at the seam.

Conventions
-----------
- A loop of ``bars`` bars is ``round(bars * meter * 60 / tempo * rate)`` frames of the source
  from a downbeat ``s`` on. The ``LOOP_FADE_S`` of music that follows the loop in the song (the
  *overflow*) is crossfaded into the loop's head with :func:`syncready.produce.edit.crossfade`,
  so the wrap from the loop's end to its start plays the song's own continuation and turns into
  the loop's first bar (for repeating material the crossfade is equal-gain by itself).
- The start is the downbeat whose loop jumps back best: the bar grid's ``jump_cost`` from the
  boundary after the loop to its first (the bar after the loop resembles the loop's first bar,
  the loop's last bar the one before its start), plus ``NOT_PHRASE_COST`` off the phrase grid
  and the spread of the loop's bar levels over ``ENERGY_DB_SCALE``. The analysis' loop
  candidates of that length are the pool when it has any, else every downbeat.
- The written loop is re-read and checked as a circle: its length within ``LENGTH_TOL_S`` of
  the bars at the tempo; at the wrap, the largest sample step (:func:`~syncready.produce.
  cutdown.join_step_db`) no more than ``CLICK_EXCESS_MAX_DB`` above the song's own at the
  places joined, and the level step (RMS of the first ``SEAM_WINDOW_S`` less the RMS of the
  last, dB) within ``LEVEL_STEP_MAX_DB`` of the song's own step into the downbeat after the
  loop. A loop that misses is deleted and ``ContractError`` raised. ``seam_click_db`` reports
  :func:`~syncready.produce.cutdown.splice_click_db` at the wrap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import audio
from ..analysis import Analysis
from ..errors import ContractError, UsageError
from .bars import ENERGY_DB_SCALE, EditSource, open_source
from .cutdown import CLICK_EXCESS_MAX_DB, join_step_db, natural_step_db, rms, sounding, splice_click_db, to_db
from .edit import crossfade, frames
from .files import write_edit

LOOP_FADE_S = 0.05
NOT_PHRASE_COST = 0.15
SEAM_WINDOW_S = 0.1
LENGTH_TOL_S = 0.005
LEVEL_STEP_MAX_DB = 3.0


@dataclass
class LoopPlan:
    """Where a loop comes from: ``length`` frames from source frame ``start`` (downbeat ``boundary``)."""

    bars: int
    boundary: int
    start: int
    length: int
    fade: int


@dataclass
class LoopResult:
    """A written loop. ``seam_level_step_db``: level of its first 100 ms less its last 100 ms."""

    path: str
    bars: int
    duration_s: float
    start_s: float
    seam_click_db: float
    seam_level_step_db: float


def plan_loop(source: EditSource, bars: int) -> LoopPlan:
    """Choose the loop's start (see the module notes).

    Raises
    ------
    UsageError
        No tempo, a bar count below 1, or a song too short for the loop.
    """
    grid = source.grid
    if grid is None:
        raise UsageError(f"{source.path}: no steady tempo: cannot make a bar-exact loop")
    if bars < 1:
        raise UsageError(f"{source.path}: a loop needs at least one bar, not {bars}")
    rate = source.rate
    length = round(bars * grid.meter * grid.beat_s * rate)
    fade = frames(LOOP_FADE_S, rate)
    total = source.sound.frames
    usable = [i for i in range(len(grid.times) - bars)
              if grid.frames[i] + length + fade <= total and sounding(source.sound.samples, int(grid.frames[i]), rate)]
    if not usable:
        raise UsageError(f"{source.path}: too short for a {bars}-bar loop ({len(grid.times) - 1} bars of music)")
    suggested = {grid.index(c.start) for c in source.analysis.music.loops if c.bars == bars}
    pool = [i for i in usable if i in suggested] or usable

    def cost(i: int) -> float:
        steadiness = np.std(grid.energy_db[i : i + bars]) / ENERGY_DB_SCALE
        return grid.jump_cost[i + bars, i] + NOT_PHRASE_COST * (grid.phrase_pos[i] % 4 != 0) + steadiness

    best = min(pool, key=cost)
    return LoopPlan(bars, best, int(grid.frames[best]), length, fade)


def render_loop(source: EditSource, plan: LoopPlan) -> np.ndarray:
    """The loop's samples, ``(channels, plan.length)`` float32, its head crossfaded from the overflow."""
    samples = source.sound.samples
    start, end = plan.start, plan.start + plan.length
    out = samples[:, start:end].copy()
    out[:, : plan.fade] = crossfade(samples[:, end : end + plan.fade], samples[:, start : start + plan.fade])
    return out


def seam(samples: np.ndarray, rate: int, at: int | None = None) -> tuple[float, float, float]:
    """Click (:func:`splice_click_db`), largest step (:func:`join_step_db`) and level step, dB,
    where a loop wraps.

    With ``at``, the same measures of ``samples`` (a song) at frame ``at`` instead: what the
    music itself does there.
    """
    w = frames(SEAM_WINDOW_S, rate)
    if at is None:
        samples, at = np.concatenate([samples[:, -w:], samples[:, :w]], axis=1), w
    step = to_db(rms(samples[:, at : at + w])) - to_db(rms(samples[:, at - w : at]))
    return splice_click_db(samples, rate, [at])[0], join_step_db(samples, rate, [at])[0], round(step, 2)


def make_loop(path: str | Path, bars: int, out: str | Path, *, overwrite: bool = False,
              analysis: Analysis | None = None) -> LoopResult:
    """Write a verified seamless loop of ``bars`` bars of ``path`` to ``out`` (24-bit WAV).

    Raises
    ------
    BadInputError
        Unreadable, silent or too short a song.
    UsageError
        No tempo, a bad bar count, or ``out`` exists (without ``overwrite``) or is the input.
    ContractError
        The written loop missed its contract (it was deleted).
    """
    source = open_source(path, analysis=analysis, action="loop")
    plan = plan_loop(source, bars)
    rate = source.rate
    write_edit(render_loop(source, plan), source.sound, out, protect=[path], overwrite=overwrite)
    written = audio.load(out)
    click, jump, step = seam(written.samples, rate)
    end = plan.start + plan.length
    _, _, natural_step = seam(source.sound.samples, rate, end)
    natural_jump = natural_step_db(source.sound.samples, rate, [(end, plan.start)])[0]
    expected = bars * source.grid.meter * source.grid.beat_s
    broken = []
    if abs(written.duration_s - expected) > LENGTH_TOL_S:
        broken.append(f"it is {written.duration_s:.4f} s long, not {expected:.4f} s")
    if jump - natural_jump > CLICK_EXCESS_MAX_DB:
        broken.append(f"the seam clicks ({jump - natural_jump:.1f} dB more than the music has there)")
    if abs(step - natural_step) > LEVEL_STEP_MAX_DB:
        broken.append(f"the level jumps {step:+.1f} dB at the seam (the music: {natural_step:+.1f} dB)")
    if broken:
        Path(out).unlink(missing_ok=True)
        raise ContractError(f"{out}: the loop missed its contract and was not kept: {'; '.join(broken)}")
    return LoopResult(str(out), bars, round(written.duration_s, 4), round(plan.start / rate, 3), click, step)
