"""The arrangement: every stem's notes over the plan, as one MIDI file with a track per stem.

Conventions
-----------
- Stems are named by role: ``chords``, ``pad``, ``bass``, ``lead``, ``drums`` (one instrument
  each, from ``--instruments`` or the genre's band; see ``styles/instruments.toml``). Stems the
  band has no instrument for are left out.
- Each label's material comes from its own seed (``plan.material_seeds``): its chord loop, its
  melody; repeats of a label play the same material, the melody's last bar varied per repeat.
  Nothing in one section depends on another's random draws, so re-seeding one label changes
  that label's sections only (``--regenerate``).
- Velocity: ``VELOCITY_BASE + VELOCITY_RANGE * energy`` plus the section's offset.
- The ending: the music stops at the final hit (``plan.final_hit_s``), a tonic chord on the
  instruments that decay by themselves (``decays``), the bass's tonic, kick and crash; held
  instruments stop there. The hit is released at :data:`RING_HOLD` of the ring-out, so its
  release has died away by the end of the file. Without any decaying instrument the held ones
  play the hit for one beat.
"""

from __future__ import annotations

import numpy as np
import pretty_midi

from . import styles
from .bass import bass
from .brief import Brief
from .drums import LEVELS, NOTES, drums
from .harmony import Span, loop, near, spans, triad, voicing
from .melody import melody
from .plan import Plan

ROLES = ("chords", "pad", "bass", "lead", "drums")
PAN = {"chords": 50, "pad": 64, "bass": 64, "lead": 78, "drums": 64}
VELOCITY_BASE, VELOCITY_RANGE = 62, 40
RING_HOLD = 0.6
CHORD_CENTRE, PAD_CENTRE = 62, 55
ACCENT_DOWNBEAT, ACCENT_BEAT, ACCENT_OFFBEAT = 12, 4, -16
SLOW_BPM = 112.0
"""Below this tempo the parts move in quarters, not eighths: arpeggios, off-beat chords (on the
beats instead), pulsing bass, and the drums drop their off-beat hits below the cymbals. Slow
even eighths make the pulse read at twice the tempo. Nor does a section end on a fill into a
louder one: a slow bar is long, and a fill in it is heard as the change a bar early; the new
section's downbeat is the change."""


def band(brief: Brief) -> dict[str, dict]:
    """Role -> the instrument playing it: ``name`` plus its fields in ``instruments.toml``."""
    table = styles.instruments()
    names = brief.instruments or tuple(styles.genres()[brief.genre]["instruments"])
    return {table[n]["role"]: {"name": n, **table[n]} for n in names}


def accent(beat: float, meter: int) -> int:
    """Velocity offset of a note at ``beat`` (beats from a bar line): the downbeat leads, the
    other beats follow, off-beats give way, so the pulse reads at the written tempo."""
    return ACCENT_DOWNBEAT if beat % meter == 0 else ACCENT_BEAT if beat % 1 == 0 else ACCENT_OFFBEAT


def _chord_notes(span: Span, style: str, tonic: int, mode: str, meter: int, slow: bool,
                 centre: int) -> list[tuple[float, float, list[int], int]]:
    """(start, length, pitches, accent) of the chord instrument over one span in ``style``,
    voiced around ``centre`` (in quarters when ``slow``, see :data:`SLOW_BPM`)."""
    pitches = voicing(triad(span.degree, tonic, mode), centre)
    end = span.start + span.length
    if style == "offbeat" and slow:
        style = "pulse"
    if style == "block":
        times, length = [span.start], span.length * 0.95
    elif style == "arpeggio":
        order = pitches + [pitches[0] + 12, pitches[1] + 12, pitches[2], pitches[1]]
        step = 1.0 if slow else 0.5
        return [(float(t), 0.9 * step, [order[i % len(order)]], accent(t, meter))
                for i, t in enumerate(np.arange(span.start, end - 1e-9, step))]
    elif style == "offbeat":  # the "and"s, and the downbeat, so the off-beats are heard as off-beats
        times, length = np.concatenate(([span.start], np.arange(span.start + 0.5, end - 1e-9, 1.0))), 0.4
    else:  # pulse
        times, length = np.arange(span.start, end - 1e-9, 1.0), 0.9
    return [(float(t), length, pitches, accent(t, meter)) for t in times]


def material(brief: Brief, plan: Plan, label: str) -> tuple[np.random.Generator, list[int]]:
    """The label's random generator (seeded by its material seed) after drawing its chord loop,
    and the loop (chord degrees)."""
    rng = np.random.default_rng(plan.material_seeds[label])
    return rng, loop(rng, brief.mode, label)


def section_parts(brief: Brief, plan: Plan, index: int) -> dict[str, list[tuple[float, float, int, int]]]:
    """Role -> notes ``(start beat, length in beats, pitch, velocity)`` of section ``index``."""
    section = plan.sections[index]
    rules = styles.sections()[section.label]
    mood, genre = styles.moods()[brief.mood], styles.genres()[brief.genre]
    tonic, mode, meter = brief.tonic_pc, brief.mode, plan.meter
    slow = plan.bpm < SLOW_BPM
    rng, degrees = material(brief, plan, section.label)
    chords = spans(degrees, section.bars * meter, float(mood["harmonic_rhythm_beats"]))
    velocity = int(np.clip(VELOCITY_BASE + VELOCITY_RANGE * mood["energy"] + rules["velocity"], 20, 120))
    players = band(brief)
    parts: dict[str, list] = {role: [] for role in players}
    if "chords" in players:
        for span in chords:
            for start, length, pitches, stress in _chord_notes(span, genre["chord_style"], tonic, mode, meter, slow,
                                                               CHORD_CENTRE + rules["register"]):
                parts["chords"] += [(start, length, p, velocity - 12 + stress) for p in pitches]
    if "pad" in players and (rules["pad"] or "chords" not in players):
        for span in chords:
            parts["pad"] += [(span.start, span.length, p, velocity - 20)
                             for p in voicing(triad(span.degree, tonic, mode), PAD_CENTRE)]
    if "bass" in players and rules["bass"]:
        under = [Span(c.start, c.length, rules["pedal"]) for c in chords] if rules["pedal"] else chords
        parts["bass"] = [(s, n, p, velocity + accent(s, meter) // 2) for s, n, p in bass(under, genre["bass_style"], tonic, mode, slow=slow)]
    if "lead" in players and rules["lead"]:
        lifted = mood | {"register": mood["register"] + rules["register"]}
        notes = melody(int(rng.integers(2**31)), chords, section.bars, meter, tonic, mode, lifted, plan.bpm, section.occurrence)
        parts["lead"] = [(s, n, p, velocity - 4 + accent(s, meter) // 2) for s, n, p in notes]
    if "drums" in players:
        following = plan.sections[index + 1].label if index + 1 < len(plan.sections) else None
        level = rules["drums"]
        louder = following is not None and LEVELS.index(styles.sections()[following]["drums"]) > LEVELS.index(level)
        scale = (0.55 + 0.45 * mood["energy"]) * velocity / 100
        hits = drums(genre["drums"], level, section.bars, meter, scale, fill=louder and level != "build" and not slow,
                     crash=section.label == "chorus", sparse=slow)
        parts["drums"] = [(s, 0.1, note, v) for s, note, v in hits]
    return parts


def final_hit(brief: Brief, plan: Plan) -> dict[str, list[tuple[float, float, int, int]]]:
    """Role -> notes (start in seconds, length in seconds, pitch, velocity) of the final hit,
    played at the level of the last section."""
    players, tonic, mode = band(brief), brief.tonic_pc, brief.mode
    rules = styles.sections()[plan.sections[-1].label]
    velocity = int(np.clip(VELOCITY_BASE + VELOCITY_RANGE * styles.moods()[brief.mood]["energy"] + rules["velocity"], 20, 120))
    hold = RING_HOLD * plan.ring_s
    decaying = {role for role, inst in players.items() if inst["decays"]}
    if not decaying - {"drums"}:
        decaying |= set(players) - {"drums"}
        hold = 60.0 / plan.bpm
    chord = triad(1, tonic, mode)
    pitches = {"chords": voicing(chord, CHORD_CENTRE) + [near(tonic, CHORD_CENTRE - 12)],
               "pad": voicing(chord, PAD_CENTRE), "bass": [near(tonic, 40)], "lead": [near(tonic, 72)]}
    hit: dict[str, list] = {}
    for role in decaying:
        if role == "drums":
            hit[role] = [(plan.final_hit_s, hold, NOTES[n], velocity) for n in ("kick", "crash")]
        else:
            hit[role] = [(plan.final_hit_s, hold, p, velocity) for p in pitches[role]]
    return hit


def _score(brief: Brief, plan: Plan) -> pretty_midi.PrettyMIDI:
    """An empty MIDI file with the plan's tempo, meter and the brief's key."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=plan.bpm, resolution=960)
    midi.time_signature_changes.append(pretty_midi.TimeSignature(plan.meter, 4, 0.0))
    midi.key_signature_changes.append(pretty_midi.KeySignature(brief.tonic_pc + 12 * (brief.mode == "minor"), 0.0))
    return midi


def _tracks(brief: Brief, plan: Plan, programs: dict[str, int]) -> dict[str, pretty_midi.Instrument]:
    """Role -> its MIDI track with every section's notes (no final hit), for the roles asked."""
    beat_s = 60.0 / plan.bpm
    tracks = {role: pretty_midi.Instrument(programs[role], is_drum=role == "drums", name=role)
              for role in ROLES if role in programs}
    for index, section in enumerate(plan.sections):
        for role, notes in section_parts(brief, plan, index).items():
            if role in tracks:
                tracks[role].notes += [pretty_midi.Note(int(v), int(p), section.start_s + s * beat_s,
                                                        section.start_s + (s + n) * beat_s) for s, n, p, v in notes]
    for role, track in tracks.items():
        track.control_changes[:0] = [pretty_midi.ControlChange(7, 100, 0.0), pretty_midi.ControlChange(10, PAN[role], 0.0)]
    return tracks


def arrange_part(brief: Brief, plan: Plan, role: str, program: int) -> pretty_midi.PrettyMIDI:
    """One stem's notes over the plan, alone in a MIDI file, without the final hit."""
    midi = _score(brief, plan)
    midi.instruments = list(_tracks(brief, plan, {role: program}).values())
    return midi


def arrange(brief: Brief, plan: Plan) -> pretty_midi.PrettyMIDI:
    """The whole bed as MIDI: one instrument per stem, named by role, with the final hit."""
    midi = _score(brief, plan)
    tracks = _tracks(brief, plan, {role: inst["program"] for role, inst in band(brief).items()})
    for role, notes in final_hit(brief, plan).items():
        tracks[role].notes += [pretty_midi.Note(v, p, s, s + n) for s, n, p, v in notes]
    midi.instruments = [t for t in tracks.values() if t.notes]
    return midi
