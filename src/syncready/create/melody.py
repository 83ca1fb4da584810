"""The lead melody of a section: learned rhythms and scale-degree steps, shaped into phrases.

Conventions
-----------
- A note is ``(start, length, pitch)``: beats from the start of the section, beats, MIDI pitch.
- Phrases of :data:`PHRASE_BARS` bars: bars 1-2 are the motif, bar 3 answers it, bar 4 ends
  the phrase with a sparser rhythm (density times :data:`CADENCE_DENSITY`; a bar of one long
  note would stand out from its section like a new one). The second phrase repeats the motif and
  answers it anew; the section then repeats these two phrases (its chord loop repeats too).
- Rhythms are drawn from the model's one-bar patterns, weighted by count and by closeness to
  the mood's density (``energy``, scaled down by ``bpm / DENSE_BPM`` under :data:`DENSE_BPM`,
  where only rhythms with at most one note between the beats are used); pitches from the melody model, weighted toward chord tones
  on strong beats (the downbeat, mid-bar, a chord change), toward steps (``step_bias``) and kept
  within :data:`RANGE_BELOW` / :data:`RANGE_ABOVE` semitones of the home tonic (the tonic near
  MIDI 72 moved by the mood's ``register``). A note is left out with the mood's ``melody_rest``.
- ``variation`` > 0 (a repeat of the section) draws the last bar's pitches again from a seed of
  its own: the repeat is recognisably the same melody with a different turn at the end.
"""

from __future__ import annotations

import math

import numpy as np

from . import models
from .harmony import Span, near, scale, triad

PHRASE_BARS = 4
HOME = 72
RANGE_BELOW, RANGE_ABOVE = 8, 10
LEGATO = 0.9
CADENCE_DENSITY = 0.6
DENSE_BPM = 112.0  # below this tempo the rhythms thin out: slow even eighths read as the beat


def _rhythm(rng: np.random.Generator, patterns: dict[str, int], density: float, meter: int, slow: bool) -> str:
    target = 1 + density * (2 * meter - 2) * 0.6
    names = sorted(patterns)
    if slow:  # at most one note between the beats
        names = [p for p in names if p[1::2].count("x") <= 1] or names
    weights = np.array([patterns[p] * math.exp(-abs(p.count("x") - target)) for p in names], float)
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def _onsets(pattern: str) -> list[tuple[float, float]]:
    """(start, length) in beats of each onset of a pattern on the eighth-note grid."""
    hits = [i for i, c in enumerate(pattern) if c == "x"]
    return [(i / 2, (j - i) / 2) for i, j in zip(hits, hits[1:] + [len(pattern)])]


def _chord_at(spans: list[Span], beat: float) -> Span:
    return next((s for s in reversed(spans) if s.start <= beat + 1e-9), spans[0])


def _pitch(rng, model, history, prev, beat, spans, meter, tonic, mode, style, home) -> tuple[int, str]:
    span = _chord_at(spans, beat)
    tones = set(triad(span.degree, tonic, mode))
    strong = abs(beat - span.start) < 1e-9 or beat % meter in (0, meter / 2)
    steps = list(scale(mode))

    def realise(token: str) -> int:
        pc = (tonic + steps[int(token) - 1]) % 12
        if mode == "minor" and token == "7" and 11 in {(t - tonic) % 12 for t in tones}:
            pc = (tonic + 11) % 12  # the leading tone under a dominant
        p = near(pc, prev)
        return p - 12 if p > home + RANGE_ABOVE else p + 12 if p < home - RANGE_BELOW else p

    def bias(token: str) -> float:
        p = realise(token)
        weight = (4.0 if p % 12 in tones else 0.3) if strong else 1.0
        return weight * math.exp(-style["step_bias"] * max(0, abs(p - prev) - 2) / 2)

    token = model.sample(rng, history[-2:], allow=lambda t: t != models.END, bias=bias)
    return realise(token), token


def melody(seed: int, spans: list[Span], bars: int, meter: int, tonic: int, mode: str, style: dict, bpm: float,
           variation: int = 0) -> list[tuple[float, float, int]]:
    """The melody of a section of ``bars`` bars over ``spans`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    model, patterns = models.melody(mode), models.rhythms(meter)
    home = near(tonic, HOME + int(style["register"]))
    density = style["energy"] * min(1.0, bpm / DENSE_BPM)
    slow = bpm < DENSE_BPM
    motif = [_rhythm(rng, patterns, density, meter, slow) for _ in range(3)]
    cadence = _rhythm(rng, patterns, density * CADENCE_DENSITY, meter, slow)
    bar_rhythms = [motif[0], motif[1], motif[2], cadence]
    cycle = 2 * PHRASE_BARS
    cycle_notes: dict[int, list[tuple[float, float, int]]] = {}
    history, prev = ["^"], home
    for bar in range(min(bars, cycle)):
        phrase_bar = bar % PHRASE_BARS
        if bar >= PHRASE_BARS and phrase_bar < 2:  # the second phrase repeats the motif
            cycle_notes[bar] = [(s + PHRASE_BARS * meter, n, p) for s, n, p in cycle_notes[phrase_bar]]
            continue
        cycle_notes[bar] = []
        for start, length in _onsets(bar_rhythms[phrase_bar]):
            beat = bar * meter + start
            prev, token = _pitch(rng, model, history, prev, beat, spans, meter, tonic, mode, style, home)
            history.append(token)
            if rng.random() >= style["melody_rest"] or phrase_bar == 0 and start == 0:
                cycle_notes[bar].append((beat, LEGATO * length, prev))
    notes = []
    for bar in range(bars):
        source = bar % cycle
        shift = (bar - source) * meter
        notes += [(s + shift, n, p) for s, n, p in cycle_notes[source]]
    if variation:
        notes = _vary(notes, np.random.default_rng([seed, variation]), model, spans, bars, meter, tonic, mode, style, home)
    return notes


def _vary(notes, rng, model, spans, bars, meter, tonic, mode, style, home):
    """Draw the last bar's pitches again (see the module docstring)."""
    last = (bars - 1) * meter
    kept = [n for n in notes if n[0] < last - 1e-9]
    history, prev = ["^"], kept[-1][2] if kept else home
    for start, length, _ in (n for n in notes if n[0] >= last - 1e-9):
        prev, token = _pitch(rng, model, history, prev, start, spans, meter, tonic, mode, style, home)
        history.append(token)
        kept.append((start, length, prev))
    return kept
