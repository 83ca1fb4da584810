"""``syncready ideas chords|melody|drums|bass``: a quick MIDI sketch of one part, for a DAW.

The part is made exactly as ``create`` makes it for one section (label ``chorus``: its chord
loop starts on the tonic) of ``bars`` bars, from the same models and style tables, and written
as a one-track Standard MIDI File at the brief's tempo, starting at 0 with no final hit.
"""

from __future__ import annotations

from pathlib import Path

import pretty_midi

from ..errors import UsageError
from ..outputs import atomic_path
from .arrange import arrange_part, band
from .brief import Brief, make_brief
from .plan import Plan, Section, exact_bpm
from .render import midi_bytes
from . import styles

KINDS = {"chords": "chords", "melody": "lead", "drums": "drums", "bass": "bass"}
MAX_BARS = 64
LABEL = "chorus"


def idea(kind: str, brief: Brief, bars: int) -> pretty_midi.PrettyMIDI:
    """The MIDI of one part (``chords``, ``melody``, ``drums`` or ``bass``) over ``bars`` bars."""
    if kind not in KINDS:
        raise UsageError(f"unknown idea {kind!r}: choose one of {', '.join(KINDS)}")
    if not 1 <= bars <= MAX_BARS:
        raise UsageError(f"--bars {bars}: ask for 1 to {MAX_BARS} bars")
    meter = int(styles.genres()[brief.genre]["meter"])
    bpm = exact_bpm(brief.bpm)
    bar_s = meter * 60.0 / bpm
    seed = int(brief.seed)
    plan = Plan(bpm, meter, bar_s, bars * bar_s, bars, bars * bar_s, 0.0,
                [Section(LABEL, 0, 0, bars, 0.0, round(bars * bar_s, 6))], {LABEL: seed})
    role = KINDS[kind]
    instrument = band(brief).get(role) or {"name": role, "program": 0}
    return arrange_part(brief, plan, role, instrument["program"])


def write_idea(kind: str, path: str | Path, *, key: str | None, bars: int, mood: str, genre: str,
               bpm: float | None, seed: int, overwrite: bool = False) -> Path:
    """Write the idea to ``path`` (.mid), atomically; returns the path."""
    path = Path(path)
    if path.suffix.lower() not in (".mid", ".midi"):
        raise UsageError(f"{path}: ideas are MIDI files; name the output *.mid")
    brief = make_brief(mood=mood, genre=genre, bpm=bpm, key=key, length_s=60.0, seed=seed)
    midi = idea(kind, brief, bars)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(midi_bytes(midi))
    return path
