"""Chords per section: a loop of chord degrees drawn from the chord model, and their voicings.

Conventions
-----------
- A chord is a scale degree 1-7 of the key: the diatonic triad on it (in minor, degree 5 is
  the major dominant, as in the chorales the model learned from). Pitches are MIDI numbers,
  pitch classes 0-11 with 0 = C.
- A section's harmony is a list of :class:`Span` (start and length in beats from the start of
  the section): the label's loop of :data:`LOOP_CHORDS` chords, one every
  ``harmonic_rhythm_beats`` (the mood's), repeated to fill the section. Intro, verse, chorus
  and outro loops start on the tonic (the key is stated where the music settles; a minor key
  that lingers on III is heard as its relative major); a build and a bridge start anywhere. A
  build ends on the dominant (5) and its bass holds the dominant throughout (``pedal`` in
  ``styles/sections.toml``), so a verse ends on a predominant (4 or 6) and the arrival of the
  dominant pedal is a change of harmony; an outro ends on the dominant or subdominant, so that
  the final hit on the tonic resolves it; other loops in minor end on 5 or 4 (:data:`MINOR_ENDS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import models

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
LOOP_CHORDS = 4
ENDS = {"build": ("5",), "outro": ("5", "4"), "verse": ("4", "6")}
MINOR_ENDS = ("5", "4")  # a minor loop ending on III (or VII-III) sounds like its relative major
STARTS = {"intro": ("1",), "verse": ("1",), "chorus": ("1",), "outro": ("1",)}


@dataclass(frozen=True)
class Span:
    """One chord of a section: ``degree`` from ``start`` for ``length`` beats."""

    start: float
    length: float
    degree: int


def scale(mode: str) -> tuple[int, ...]:
    """Semitone steps of the mode's scale from the tonic."""
    return MAJOR_SCALE if mode == "major" else MINOR_SCALE


def triad(degree: int, tonic_pc: int, mode: str) -> list[int]:
    """Pitch classes (root, third, fifth) of the triad on ``degree`` (1-7)."""
    steps = list(scale(mode))
    if mode == "minor" and degree == 5:
        steps[6] = 11  # harmonic minor: the major dominant
    return [(tonic_pc + steps[(degree - 1 + k) % 7]) % 12 for k in (0, 2, 4)]


def near(pitch_class: int, target: int) -> int:
    """The MIDI pitch of ``pitch_class`` nearest to ``target`` (ties go down)."""
    return target + (pitch_class - target + 6) % 12 - 6


def voicing(pcs: list[int], centre: int) -> list[int]:
    """A close voicing of ``pcs`` around ``centre`` (each pitch class at its nearest pitch)."""
    return sorted(near(pc, centre) for pc in pcs)


def loop(rng: np.random.Generator, mode: str, label: str) -> list[int]:
    """The label's chord loop: :data:`LOOP_CHORDS` degrees from the chord model, no degree twice
    in a row, with the label's start and end rules."""
    model = models.chords(mode)
    degrees: list[str] = []
    for k in range(LOOP_CHORDS):
        wanted = STARTS.get(label) if k == 0 else None
        if k == LOOP_CHORDS - 1:
            wanted = ENDS.get(label) or (MINOR_ENDS if mode == "minor" else None)

        def allow(token: str, wanted=wanted) -> bool:
            return token not in ("$", degrees[-1] if degrees else "") and (wanted is None or token in wanted)

        token = model.sample(rng, degrees, allow=allow)
        if wanted is not None and token not in wanted:
            token = wanted[0]
        degrees.append(token)
    return [int(d) for d in degrees]


def spans(degrees: list[int], beats: float, chord_beats: float) -> list[Span]:
    """The loop repeated over ``beats`` beats, one chord every ``chord_beats``; the section's last
    chord is the loop's last (so a build always ends on its dominant)."""
    starts = np.arange(0.0, beats - 1e-9, chord_beats)
    out = [Span(float(s), float(min(chord_beats, beats - s)), degrees[k % len(degrees)]) for k, s in enumerate(starts)]
    if out and out[-1].degree != degrees[-1]:
        out[-1] = Span(out[-1].start, out[-1].length, degrees[-1])
    return out
