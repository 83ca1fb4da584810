"""The section plan: whole bars at the tempo plus a final hit that rings out to the exact end.

Plan rules
----------
- The tempo is the one a MIDI file can store (whole microseconds per beat, :func:`exact_bpm`);
  a bar lasts ``meter * 60 / bpm`` seconds.
- The first downbeat comes after :data:`~.brief.LEAD_IN_S` of silence (a downbeat on the
  file's very first sample has no onset before it to be heard by; the profile allows 100 ms).
- The music is ``N = floor((length - RING_MIN_S - LEAD_IN_S) / bar)`` whole bars; the final hit
  falls on the downbeat after them, at ``LEAD_IN_S + N * bar`` seconds, and rings out for the rest, between
  :data:`~.brief.RING_MIN_S` and one bar more, to exactly ``length`` seconds. The file has
  ``round(length * rate)`` frames.
- Without ``--sections`` the form is drawn (seeded) from :data:`FORMS`, richest first, among
  those whose sections average at least :data:`FORM_MIN_BARS` bars and whose lightest section
  gets at least :data:`SHORTEST_BARS` by weight; a long bed repeats the
  verse-build-chorus block so that sections stay under :data:`FORM_MAX_BARS` bars on average.
  Forms of four sections or more open with an intro, rise through a build before the chorus and
  close with an outro and the final hit.
- The bars are shared among the sections by their ``weight`` (``styles/sections.toml``),
  rounded to whole phrases (4 bars) when each section can have one, else to pairs of bars, never
  fewer than :data:`~.brief.MIN_SECTION_BARS`; the bars left over go to the outro (or the last
  section), so that every boundary before it stays on the phrase grid.
- Every label gets its own material seed (``material_seeds``): repeated sections share their
  label's material, and ``--regenerate LABEL`` changes that seed alone.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from . import styles
from .brief import LEAD_IN_S, MIN_SECTION_BARS, RING_MIN_S, Brief

FORMS = (
    ("intro", "verse", "build", "chorus", "verse", "build", "chorus", "bridge", "chorus", "outro"),
    ("intro", "verse", "build", "chorus", "verse", "chorus", "bridge", "chorus", "outro"),
    ("intro", "verse", "build", "chorus", "verse", "build", "chorus", "outro"),
    ("intro", "verse", "chorus", "verse", "chorus", "outro"),
    ("intro", "verse", "build", "chorus", "outro"),
    ("intro", "build", "chorus", "outro"),
    ("intro", "chorus", "outro"),
    ("intro", "chorus"),
    ("chorus",),
)
FORM_MIN_BARS = 4
SHORTEST_BARS = 2.5
FORM_MAX_BARS = 12
REPEAT_BLOCK = ("verse", "build", "chorus")


def exact_bpm(bpm: float) -> float:
    """The tempo a MIDI file actually stores for ``bpm`` (whole microseconds per beat)."""
    return 6e7 / round(6e7 / bpm)


@dataclass
class Section:
    """One section of the plan: ``bars`` bars from bar ``start_bar``; times in seconds."""

    label: str
    occurrence: int
    start_bar: int
    bars: int
    start_s: float
    end_s: float


@dataclass
class Plan:
    """The plan of a bed (see the module docstring); JSON round-trippable."""

    bpm: float
    meter: int
    bar_s: float
    length_s: float
    bars: int
    final_hit_s: float
    ring_s: float
    sections: list[Section]
    material_seeds: dict[str, int] = field(default_factory=dict)
    lead_in_s: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Plan:
        fields = dict(data)
        fields["sections"] = [Section(**s) for s in data["sections"]]
        return cls(**fields)

    @property
    def boundaries_s(self) -> list[float]:
        """Start times of every section after the first, seconds."""
        return [s.start_s for s in self.sections[1:]]


def _form(bars: int, rng: np.random.Generator) -> tuple[str, ...]:
    """A form for ``bars`` bars: drawn among the richest that fit (see the module docstring)."""
    weight = {label: v["weight"] for label, v in styles.sections().items()}
    fitting = [f for f in FORMS if bars / sum(weight[s] for s in f) * min(weight[s] for s in f) >= SHORTEST_BARS
               and bars / len(f) >= FORM_MIN_BARS]
    if not fitting:
        return next(f for f in reversed(FORMS) if bars >= MIN_SECTION_BARS * len(f))
    richest = [f for f in fitting[:2] if len(f) > 1] or fitting[:1]  # one section only when nothing else fits
    form = richest[int(rng.integers(len(richest)))]
    while bars / len(form) > FORM_MAX_BARS:
        cut = len(form) - 1 if form[-1] == "outro" else len(form)
        form = form[:cut] + REPEAT_BLOCK + form[cut:]
    return form


def _share(total: int, labels: tuple[str, ...]) -> list[int]:
    """Bars per section summing to ``total`` (see the module docstring)."""
    table = styles.sections()
    weights = np.array([table[s]["weight"] for s in labels], float)
    ideal = total * weights / weights.sum()
    unit = max((u for u in (4, 2, 1) if total >= max(u, MIN_SECTION_BARS) * len(labels)), default=1)
    floor = max(unit, MIN_SECTION_BARS)
    bars = [max(floor, int(round(i / unit)) * unit) for i in ideal]
    while sum(bars) > total:  # take a unit from the section furthest over its share
        over = max((k for k in range(len(bars)) if bars[k] - unit >= floor), key=lambda k: bars[k] - ideal[k], default=None)
        if over is None:
            over = int(np.argmax(bars))
            bars[over] -= 1
        else:
            bars[over] -= unit
    while total - sum(bars) >= unit:
        bars[int(np.argmax(ideal - np.array(bars)))] += unit
    last = labels.index("outro") if "outro" in labels else len(labels) - 1
    bars[last] += total - sum(bars)
    return bars


def make_plan(brief: Brief, material_seeds: dict[str, int] | None = None) -> Plan:
    """The plan of ``brief`` (see the module docstring); ``material_seeds`` keeps given seeds."""
    genre = styles.genres()[brief.genre]
    meter = int(genre["meter"])
    bpm = exact_bpm(brief.bpm)
    bar = meter * 60.0 / bpm
    total = math.floor((brief.length_s - RING_MIN_S - LEAD_IN_S) / bar + 1e-9)
    rng = np.random.default_rng([brief.seed, 1])
    labels = brief.sections or _form(total, rng)
    counts = _share(total, tuple(labels))
    sections, start, seen = [], 0, {}
    for label, bars in zip(labels, counts):
        seen[label] = seen.get(label, -1) + 1
        sections.append(Section(label, seen[label], start, bars, round(LEAD_IN_S + start * bar, 6),
                                round(LEAD_IN_S + (start + bars) * bar, 6)))
        start += bars
    seeds = {label: int(np.random.default_rng([brief.seed, 2, *label.encode()]).integers(2**31)) for label in seen}
    seeds.update({k: v for k, v in (material_seeds or {}).items() if k in seeds})
    hit = LEAD_IN_S + total * bar
    return Plan(bpm, meter, bar, brief.length_s, total, round(hit, 6), round(brief.length_s - hit, 6), sections, seeds,
                LEAD_IN_S)
