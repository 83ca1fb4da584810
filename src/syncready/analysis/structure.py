"""Sections (with repeated-material groups and labels), energy per bar and loop candidates.

Conventions
-----------
- Everything is measured per *bar*: bar ``i`` runs from downbeat ``i`` to downbeat ``i + 1``
  (the last bar to the end of the music). Times are seconds.
- Bar features: mean chroma (harmony) and mean log band energies (timbre), each standardised
  per dimension over the song, and RMS level in dB (energy). Bar similarity is the mean cosine
  of the two, mapped to 0..1 (0.5: unrelated).
- Boundaries come from a Foote novelty curve over the bar self-similarity matrix (checkerboard
  kernel of ``KERNEL_BARS`` bars on each side) with a bonus on the ``PHRASE_BARS``-bar phrase
  grid: local maxima above mean + ``PEAK_STD`` standard deviations, at least
  ``MIN_SECTION_BARS`` apart. They fall on downbeats by construction; the
  first section starts at 0 s (it takes in any pickup).
- ``group`` letters mark repeated material: a section joins the earliest group whose first
  section it matches bar by bar with similarity >= ``GROUP_SIMILARITY``, else opens a new letter
  (A, B, C... in order of first appearance).
- ``label``: the first/last section is the ``intro``/``outro`` when it is a one-off or sits
  ``EDGE_QUIET_DB`` below the median section; ``chorus`` is the loudest repeated group (ties:
  the more repeated); ``verse`` any other repeated group or a one-off in the first half;
  ``bridge`` a one-off in the second half.
- Loops: a passage of 4, 8 or 16 bars loops seamlessly when the bar after it resembles its first
  bar (so the jump back sounds like the music going on) and its level stays steady; ``score``
  is in 0..1.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

KERNEL_BARS = 3
PEAK_STD = 0.25
PHRASE_BARS = 4
PHRASE_BONUS = 1.0
MIN_SECTION_BARS = 2
GROUP_SIMILARITY = 0.80
EDGE_QUIET_DB = 3.0
LOOP_BARS = (4, 8, 16)
LOOPS_PER_LENGTH = 3


@dataclass
class Section:
    """One section of the song."""

    start: float
    end: float
    label: str
    group: str


@dataclass
class Loop:
    """A loop candidate of ``bars`` bars from ``start`` to ``end`` seconds."""

    start: float
    end: float
    bars: int
    score: float


@dataclass
class Structure:
    """Sections, energy per bar (dB) and loop candidates."""

    sections: list[Section]
    bar_energy_db: list[float]
    loops: list[Loop]


def bar_features(frame_times: np.ndarray, chroma: np.ndarray, bands: np.ndarray, power: np.ndarray,
                 bar_starts: np.ndarray, end_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average frame features over bars.

    Parameters
    ----------
    frame_times : np.ndarray
        Centre time (s) of each feature frame, ascending, shape (F,).
    chroma : np.ndarray
        (12, F) pitch-class energies.
    bands : np.ndarray
        (B, F) band energies (linear power).
    power : np.ndarray
        (F,) mean-square level per frame.
    bar_starts : np.ndarray
        Downbeat times (s), ascending; the last bar ends at ``end_s``.

    Returns
    -------
    harmony (bars, 12), timbre (bars, B), energy_db (bars,)
    """
    last = len(frame_times) - 1
    edges = np.minimum(np.searchsorted(frame_times, np.append(bar_starts, end_s)), last)
    harmony, timbre, energy = [], [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        hi = max(hi, lo + 1)  # a bar shorter than a frame still gets its nearest frame
        harmony.append(chroma[:, lo:hi].mean(axis=1))
        timbre.append(np.log10(bands[:, lo:hi].mean(axis=1) + 1e-10))
        energy.append(10 * np.log10(power[lo:hi].mean() + 1e-12))
    harmony, timbre = np.array(harmony), np.array(timbre)
    return _standardise(harmony), _standardise(timbre), np.array(energy)


def _standardise(features: np.ndarray) -> np.ndarray:
    """Remove the song's mean and scale each dimension to unit spread (bars on axis 0)."""
    return (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-6)


def self_similarity(harmony: np.ndarray, timbre: np.ndarray) -> np.ndarray:
    """Bar-by-bar similarity in 0..1 (0.5: unrelated): mean cosine of the standardised features."""
    cosines = []
    for features in (harmony, timbre):
        unit = features / (np.linalg.norm(features, axis=1, keepdims=True) + 1e-9)
        cosines.append(unit @ unit.T)
    return 0.25 * (cosines[0] + cosines[1]) + 0.5


def novelty(similarity: np.ndarray, half: int = KERNEL_BARS) -> np.ndarray:
    """Foote novelty at each bar start (value i: change between bars before i and from i on).

    Near the ends the kernel is cut to the matrix and rescaled, so edges add no false peaks.
    """
    n = len(similarity)
    offsets = np.arange(-half, half) + 0.5
    taper = np.exp(-0.5 * (offsets / half) ** 2)
    kernel = np.outer(taper, taper) * np.sign(offsets)[:, None] * np.sign(offsets)[None, :]
    curve = np.zeros(n + 1)
    for i in range(1, n):
        lo, hi = max(0, i - half), min(n, i + half)
        part = kernel[lo - i + half : hi - i + half, lo - i + half : hi - i + half]
        cross = part < 0
        within = similarity[lo:hi, lo:hi]
        # mean similarity inside the two blocks minus mean similarity across them
        curve[i] = np.average(within[~cross], weights=part[~cross]) - np.average(within[cross], weights=-part[cross])
    return curve


def boundaries(curve: np.ndarray, min_bars: int = MIN_SECTION_BARS) -> list[int]:
    """Bar indices where sections start (0 and the bar count included), from novelty peaks.

    Phrases run in ``PHRASE_BARS``-bar units: the bars of the phrase grid (the offset whose
    bars carry the most novelty) get ``PHRASE_BONUS`` standard deviations extra before the
    peaks above mean + ``PEAK_STD`` standard deviations are taken.
    """
    n = len(curve) - 1
    if n < 2 * min_bars:
        return [0, n]
    spread = curve[1:n].std()
    offset = max(range(PHRASE_BARS), key=lambda o: curve[o::PHRASE_BARS].sum())
    curve = curve.copy()
    curve[offset::PHRASE_BARS] += PHRASE_BONUS * spread
    inner = curve[1:n]
    threshold = inner.mean() + PEAK_STD * inner.std()
    chosen = [0, n]
    for i in np.argsort(curve)[::-1]:
        if curve[i] < threshold:
            break
        if 0 < i < n and all(abs(i - c) >= min_bars for c in chosen):
            if curve[i] >= curve[i - 1] and curve[i] >= curve[i + 1]:
                chosen.append(int(i))
    return sorted(chosen)


def _match(similarity: np.ndarray, a: tuple[int, int], b: tuple[int, int]) -> float:
    """Mean bar-by-bar similarity of two sections aligned at their starts."""
    length = min(a[1] - a[0], b[1] - b[0])
    return float(np.mean([similarity[a[0] + k, b[0] + k] for k in range(length)]))


def group_sections(similarity: np.ndarray, spans: list[tuple[int, int]]) -> list[str]:
    """A group letter per section (see the module docstring)."""
    letters: list[str] = []
    first_of: dict[str, tuple[int, int]] = {}
    for span in spans:
        best, score = None, GROUP_SIMILARITY
        for letter, ref in first_of.items():
            s = _match(similarity, span, ref)
            if s >= score:
                best, score = letter, s
        if best is None:
            best = chr(ord("A") + len(first_of)) if len(first_of) < 26 else "Z"
            first_of[best] = span
        letters.append(best)
    return letters


def label_sections(groups: list[str], energy: list[float]) -> list[str]:
    """Intro/verse/chorus/bridge/outro labels from groups and section energies (dB)."""
    counts = Counter(groups)
    loudness = {g: np.mean([e for gg, e in zip(groups, energy) if gg == g]) for g in counts}
    repeated = [g for g in counts if counts[g] > 1]
    chorus = max(repeated, key=lambda g: (loudness[g], counts[g])) if repeated else None
    quiet = float(np.median(energy)) - EDGE_QUIET_DB
    n = len(groups)
    labels = []
    for i, g in enumerate(groups):
        edge = n > 1 and (counts[g] == 1 or energy[i] <= quiet)
        if i == 0 and edge:
            labels.append("intro")
        elif i == n - 1 and edge:
            labels.append("outro")
        elif g == chorus:
            labels.append("chorus")
        elif counts[g] > 1 or i < n / 2:
            labels.append("verse")
        else:
            labels.append("bridge")
    return labels


def loops(similarity: np.ndarray, energy: np.ndarray, bar_times: np.ndarray) -> list[Loop]:
    """The best loop candidates for each length in LOOP_BARS (``bar_times`` has bars + 1 edges)."""
    found = []
    n = len(energy)
    for bars in LOOP_BARS:
        scored = []
        for a in range(0, n - bars):
            continuity = similarity[a, a + bars]
            steadiness = np.exp(-np.std(energy[a : a + bars]) / 3.0)
            scored.append((float(continuity * steadiness), a))
        for score, a in sorted(scored, reverse=True)[:LOOPS_PER_LENGTH]:
            found.append(Loop(round(float(bar_times[a]), 3), round(float(bar_times[a + bars]), 3), bars, round(score, 3)))
    return found


def analyze_structure(frame_times: np.ndarray, chroma: np.ndarray, bands: np.ndarray, power: np.ndarray,
                      downbeats: list[float], end_s: float) -> Structure:
    """Sections, energy per bar and loops from frame features and the downbeats."""
    starts = np.asarray(downbeats, dtype=float)
    starts = starts[starts < end_s]
    if len(starts) < 2:
        return Structure([], [], [])
    harmony, timbre, energy = bar_features(frame_times, chroma, bands, power, starts, end_s)
    similarity = self_similarity(harmony, timbre)
    edges = boundaries(novelty(similarity))
    spans = list(zip(edges[:-1], edges[1:]))
    groups = group_sections(similarity, spans)
    section_energy = [float(np.mean(energy[a:b])) for a, b in spans]
    labels = label_sections(groups, section_energy)
    bar_times = np.append(starts, end_s)
    edges_s = bar_times.copy()
    edges_s[0] = 0.0  # the first section takes in any pickup or lead-in
    sections = [
        Section(round(float(edges_s[a]), 3), round(float(edges_s[b]), 3), label, group)
        for (a, b), label, group in zip(spans, labels, groups)
    ]
    return Structure(sections, [round(float(e), 2) for e in energy], loops(similarity, energy, bar_times))
