"""Stingers: a strong hit of the song followed by its ending, a few seconds long.

Conventions
-----------
- The *hit* is the first downbeat of a section. Sections whose mean bar level lies within
  ``HIT_LEVEL_DB`` of the loudest come first, the one with the largest onset at its first
  downbeat leading (onset: the rise of each band's log energy into the downbeat over the
  ``ONSET_S`` before it, summed over bands); the other sections follow by level.
- A sting is a cut-down (:mod:`syncready.produce.cutdown`) that must start on the hit (a
  lead-in of whole beats allowed): the same path search, ending, rendering and checks. The
  first of the ``HIT_TRIES`` best hits with a path that fits the length is used. Without a
  beat grid, or when no hit fits, it is an ordinary cut-down of that length.
- ``hit_s`` is where the hit falls in the sting, seconds (None when the sting has no hit).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..analysis import Analysis
from .bars import EditSource, open_source
from .cutdown import EditPlan, Measured, check_length, plan_bars, plan_cut, write_checked

HIT_LEVEL_DB = 1.5
HIT_TRIES = 4
ONSET_S = 0.1


@dataclass
class StingResult:
    """A written sting (times in seconds of the sting)."""

    path: str
    duration_s: float
    hit_s: float | None
    splices: list[float]
    notes: list[str]
    measured: Measured


def hits(source: EditSource) -> list[int]:
    """Section-start boundaries of a song with a beat grid, strongest hit first (see the module notes)."""
    grid = source.grid
    starts = grid.section_starts
    bounds = np.append(starts, len(grid.times) - 1)
    level = np.array([grid.energy_db[a:b].mean() if b > a else -np.inf for a, b in zip(bounds[:-1], bounds[1:])])
    onset = np.array([_onset(source, grid.times[a]) for a in starts])
    loud = level >= level.max() - HIT_LEVEL_DB
    order = sorted(range(len(starts)), key=lambda k: (not loud[k], -onset[k] if loud[k] else -level[k]))
    return [int(starts[k]) for k in order]


def _onset(source: EditSource, t: float) -> float:
    """Summed rise of the log band energies into time ``t`` (seconds) from the ``ONSET_S`` before it."""
    spectra = source.spectra
    i = int(round(t / spectra.hop_s))
    back = max(1, round(ONSET_S / spectra.hop_s))
    if i - back < 0 or i + 2 > spectra.bands.shape[1]:
        return 0.0
    before = np.log10(spectra.bands[:, i - back : i].mean(axis=1) + 1e-10)
    after = np.log10(spectra.bands[:, i : i + 2].max(axis=1) + 1e-10)
    return float(np.maximum(after - before, 0).sum())


def plan_sting(source: EditSource, length_s: float) -> tuple[EditPlan, int | None]:
    """The sting's plan and its hit boundary (None when it has none).

    Raises
    ------
    UsageError
        A length out of range (:func:`~syncready.produce.cutdown.check_length`).
    """
    check_length(source, length_s, what="sting")
    if source.grid is not None:
        for hit in hits(source)[:HIT_TRIES]:
            plan = plan_bars(source, length_s, starts={hit: 0.0})
            if plan is not None:
                plan.notes.insert(0, f"hit: the first downbeat of the section at {source.grid.times[hit]:.2f} s")
                return plan, hit
    return plan_cut(source, length_s), None


def make_sting(path: str | Path, out: str | Path, *, length_s: float = 5.0, overwrite: bool = False,
               analysis: Analysis | None = None) -> StingResult:
    """Write a verified sting of ``length_s`` seconds made from ``path`` to ``out`` (24-bit WAV).

    Raises
    ------
    BadInputError
        Unreadable, silent or too short a song.
    UsageError
        A length out of range, or ``out`` exists (without ``overwrite``) or is the input.
    ContractError
        The written sting missed its contract (it was deleted).
    """
    source = open_source(path, analysis=analysis, action="sting")
    plan, hit = plan_sting(source, length_s)
    measured = write_checked(source, plan, out, overwrite=overwrite)
    return StingResult(str(out), measured.duration_s, None if hit is None else round(plan.lead / plan.rate, 3),
                       [round(j / plan.rate, 3) for j in plan.joins], plan.notes, measured)
