"""A deterministic ground-truth corpus for the musical-analysis accuracy benchmark.

Two kinds of tracks, each written to the output folder as ``NAME.mid``, ``NAME.json`` (the
ground truth) and ``NAME.wav`` (44.1 kHz stereo float, rendered with TinySoundFont through a
General MIDI soundfont):

- ``song-NNN``: arranged songs generated from the seed: sections (intro, verse, chorus, bridge,
  outro; 4 or 8 bars) with drums, bass, chords and melody, in 3/4 or 4/4, a major or minor key on
  any of the 12 tonics, 70-160 BPM, a ring-out, fade or abrupt ending and a few milliseconds of
  humanised timing. Song ``i`` depends only on the seed and ``i``, not on how many are made.
- ``m21-NAME``: Bach chorales from music21's corpus played at a seeded tempo; the key is read
  from the score (key signature and final bass note), beats and downbeats from its measures.
  They have no section or ending truth (``null``).

Ground truth (``NAME.json``), times in seconds from the start of the audio:
``name``, ``source``, ``duration_s``, ``tempo_bpm``, ``meter`` (beats per bar, the beat being a
quarter note), ``beats``, ``downbeats`` (a subset of ``beats``), ``key`` (mir_eval's convention,
e.g. "Eb major"), ``sections`` [{``start``, ``end``, ``label``, ``group``}] contiguous from 0 to
``duration_s`` (``group`` letters mark repeated material) and ``ending`` {``type``: ring_out |
fade | abrupt, ``start`` (the last hit, the start of the fade, the cut), ``last_downbeat``}.

Rendering, and the soundfont lookup (``$SYNCREADY_SOUNDFONT`` or Debian's fluid-soundfont-gm,
``/usr/share/sounds/sf2/FluidR3_GM.sf2``), are the library's: :mod:`syncready.create.render`.
TinySoundFont has no reverb, so none is added.

Run: python bench/accuracy/corpus.py --out DIR --count N --seed S [--pieces M]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import zlib
from pathlib import Path

import numpy as np
import pretty_midi
import scipy.io.wavfile

from syncready.create.render import DEFAULT_SOUNDFONT, midi_bytes, render_midi, soundfont_path

SAMPLE_RATE = 44100
DEFAULT_OUT = Path(__file__).parent / ".corpus"
PEAK_DBFS = -3.0
FADE_DB = 40.0  # level drop over a fade, then silence
TSF_CC7_DB = 60.0  # TinySoundFont's channel volume: about 60 dB per decade of CC7 (measured)

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MINOR_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
# Four-bar progressions as 0-based scale degrees; in minor, degree 4 is the major dominant.
PROGRESSIONS = {
    "major": ((0, 5, 3, 4), (0, 3, 4, 0), (3, 4, 0, 5), (0, 4, 5, 3), (5, 3, 0, 4), (1, 4, 0, 0),
              (0, 3, 1, 4), (3, 0, 4, 4)),
    "minor": ((0, 5, 2, 6), (0, 3, 4, 0), (5, 6, 0, 0), (0, 6, 5, 4), (3, 4, 0, 5), (5, 3, 4, 4),
              (0, 3, 6, 2), (2, 6, 0, 4)),
}
FORMS = (
    ("intro", "verse", "chorus", "verse", "chorus", "bridge", "chorus", "outro"),
    ("intro", "verse", "verse", "chorus", "verse", "chorus", "outro"),
    ("intro", "chorus", "verse", "chorus", "bridge", "chorus", "outro"),
    ("verse", "chorus", "verse", "chorus", "outro"),
    ("intro", "verse", "chorus", "bridge", "chorus", "outro"),
    ("intro", "verse", "chorus", "verse", "chorus", "chorus", "outro"),
)
ENDINGS = ("ring_out", "fade", "abrupt")
# Section label -> (drum style, bass, melody, velocity).
ARRANGEMENT = {
    "intro": ("light", False, False, 70),
    "verse": ("groove", True, True, 82),
    "chorus": ("full", True, True, 100),
    "bridge": ("half", True, True, 88),
    "outro": ("light", True, False, 75),
}
KICK, SNARE, HAT, CRASH, TOM_HIGH, TOM_LOW = 36, 38, 42, 49, 48, 45
EIGHTHS = {3: (0, 0.5, 1, 1.5, 2, 2.5), 4: (0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5)}
DRUMS = {  # meter -> style -> {GM drum note: beats in the bar}
    3: {"light": {KICK: (0,), HAT: (0, 1, 2)},
        "half": {KICK: (0,), SNARE: (2,), HAT: (0, 1, 2)},
        "groove": {KICK: (0,), SNARE: (1, 2), HAT: EIGHTHS[3]},
        "full": {KICK: (0, 1.5), SNARE: (1, 2), HAT: EIGHTHS[3]}},
    4: {"light": {KICK: (0,), HAT: (0, 1, 2, 3)},
        "half": {KICK: (0,), SNARE: (2,), HAT: (0, 1, 2, 3)},
        "groove": {KICK: (0, 2), SNARE: (1, 3), HAT: EIGHTHS[4]},
        "full": {KICK: (0, 1.5, 2, 2.5), SNARE: (1, 3), HAT: EIGHTHS[4]}},
}
DRUM_NOTE_S = 0.05
DRUM_VELOCITY = {KICK: 105, SNARE: 95, HAT: 62, CRASH: 100, TOM_HIGH: 95, TOM_LOW: 100}
RHYTHMS = {  # meter -> one-bar melody rhythms (note lengths in beats)
    3: ((1, 1, 1), (2, 1), (1.5, 0.5, 1), (1, 0.5, 0.5, 1), (3,)),
    4: ((1, 1, 1, 1), (2, 1, 1), (1.5, 0.5, 2), (1, 0.5, 0.5, 2), (0.5, 0.5, 1, 2), (3, 1), (2, 2)),
}
CHORD_PROGRAMS = (0, 4, 24, 48, 89, 16)  # piano, e-piano, nylon guitar, strings, pad, organ
SUSTAINED_PROGRAMS = {48, 89, 16}
BASS_PROGRAMS = (32, 33, 34, 38)
LEAD_PROGRAMS = (73, 80, 56, 65, 11, 71)
RING_PROGRAMS = (0, 24, 46)  # piano, guitar, harp: decaying instruments for the last hit
CHORALES = ("bach/bwv66.6", "bach/bwv11.6", "bach/bwv10.7", "bach/bwv153.9", "bach/bwv140.7",
            "bach/bwv122.6", "bach/bwv126.6", "bach/bwv17.7", "bach/bwv144.6", "bach/bwv120.6",
            "bach/bwv178.7", "bach/bwv1.6")
CHORALE_PROGRAMS = (0, 6, 19, 48)  # piano, harpsichord, church organ, strings


def generator_version() -> str:
    """A digest of this generator's source: a corpus made by other code is stale."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def key_name(tonic_pc: int, mode: str) -> str:
    """mir_eval key string ("Eb major", "C# minor") for a tonic pitch class and mode."""
    names = MAJOR_NAMES if mode == "major" else MINOR_NAMES
    return f"{names[tonic_pc % 12]} {mode}"


def exact_tempo_bpm(bpm: float) -> float:
    """The tempo a MIDI file actually stores for ``bpm`` (whole microseconds per beat)."""
    return 6e7 / round(6e7 / bpm)


def _song_plan(index: int, seed: int) -> dict:
    """Seeded choices for song ``index``: key, meter, tempo, ending, form and bar counts."""
    combos = np.random.default_rng(seed).permutation(24)  # all tonic/mode pairs, in turn
    tonic_pc, minor = divmod(int(combos[index % 24]), 2)
    rng = np.random.default_rng([seed, index])
    meter = 3 if rng.random() < 0.35 else 4
    tempo_bpm = exact_tempo_bpm(round(rng.uniform(70, 160), 1))
    ending = ENDINGS[(index + seed) % 3]
    bar_s = meter * 60 / tempo_bpm
    for _ in range(100):
        form = list(FORMS[rng.integers(len(FORMS))])
        if ending == "abrupt" and form[-1] == "outro":
            form.pop()  # a generator cut off mid-chorus
        bars = [4 if label in ("intro", "outro") else int(rng.choice((4, 8))) for label in form]
        if 30 <= sum(bars) * bar_s + 4 <= 115:
            break
    else:
        raise RuntimeError(f"no form fits 30-120 s for song {index}")
    return dict(rng=rng, tonic_pc=tonic_pc, mode="minor" if minor else "major", meter=meter,
                tempo_bpm=tempo_bpm, ending=ending, form=form, bars=bars,
                lead_s=float(rng.uniform(0.05, 0.4)))


def _jitter_s(rng: np.random.Generator) -> float:
    """A humanised timing offset: Gaussian, 4 ms deviation, clipped to +-10 ms."""
    return float(np.clip(rng.normal(0, 0.004), -0.01, 0.01))


def _chord_pitches(degree: int, mode: str, tonic_pc: int) -> list[int]:
    """Pitch classes (root, third, fifth) of the triad on a scale degree."""
    scale = list(MAJOR_SCALE if mode == "major" else MINOR_SCALE)
    if mode == "minor" and degree == 4:
        scale[6] = 11  # harmonic minor: major dominant
    return [(tonic_pc + scale[(degree + step) % 7]) % 12 for step in (0, 2, 4)]


def _near(pitch_class: int, target: int) -> int:
    """The MIDI pitch of ``pitch_class`` nearest to ``target``."""
    return target + (pitch_class - target + 6) % 12 - 6


def _melody(rng: np.random.Generator, chords: list[list[int]], scale_pcs: list[int],
            meter: int) -> list[tuple[float, float, int]]:
    """(start beat, length in beats, pitch) of a melody over one chord per bar."""
    notes, pitch = [], 72
    for bar, chord in enumerate(chords):
        beat = 0.0
        for length in RHYTHMS[meter][rng.integers(len(RHYTHMS[meter]))]:
            if beat == 0:
                pitch = min((_near(pc, pitch) for pc in chord), key=lambda p: abs(p - pitch))
            else:
                pool = sorted(_near(pc, pitch + o) for pc in scale_pcs for o in (-12, 0, 12))
                here = pool.index(pitch) if pitch in pool else int(np.searchsorted(pool, pitch))
                pitch = pool[int(np.clip(here + rng.choice((-2, -1, 1, 2)), 0, len(pool) - 1))]
            pitch = int(np.clip(pitch, 64, 84))
            if rng.random() > 0.1:
                notes.append((bar * meter + beat, float(length), pitch))
            beat += length
    return notes


def _drum_bar(style: str, meter: int, fill: str | None) -> list[tuple[float, int, float]]:
    """(beat, GM drum note, velocity scale) hits of one bar, the last beat replaced by a fill."""
    hits = [(beat, note, 1.0 if beat % 1 == 0 else 0.8)
            for note, beats in DRUMS[meter][style].items() for beat in beats
            if fill is None or beat < meter - 1]
    if fill == "snare":
        hits += [(meter - 1 + k / 4, SNARE, 0.6 + 0.1 * k) for k in range(4)]
    elif fill == "toms":
        hits += [(meter - 1 + k / 4, note, 0.9)
                 for k, note in enumerate((TOM_HIGH, TOM_HIGH, TOM_LOW, TOM_LOW))]
    return hits


def song(index: int, seed: int) -> tuple[pretty_midi.PrettyMIDI, dict]:
    """Generate arranged song ``index`` of the corpus with ``seed``.

    Notes are shifted by up to 10 ms (Gaussian, 4 ms deviation) and kept apart by more than twice
    that, so a note-off never cuts the next note of the same pitch.

    Returns
    -------
    midi : pretty_midi.PrettyMIDI
        The arrangement, notes humanised by a few milliseconds.
    truth : dict
        Ground truth (see the module docstring).
    """
    plan = _song_plan(index, seed)
    rng, meter, mode, tonic_pc = plan["rng"], plan["meter"], plan["mode"], plan["tonic_pc"]
    beat_s = 60 / plan["tempo_bpm"]
    bar_s = meter * beat_s
    lead_s, form, ending = plan["lead_s"], plan["form"], plan["ending"]
    scale = MAJOR_SCALE if mode == "major" else MINOR_SCALE
    scale_pcs = [(tonic_pc + step) % 12 for step in scale]
    labels_in_order = list(dict.fromkeys(form))
    picks = rng.permutation(len(PROGRESSIONS[mode]))[:len(labels_in_order)]
    progression = {label: PROGRESSIONS[mode][p] for label, p in zip(labels_in_order, picks)}
    melody_seed = {label: int(rng.integers(2**31)) for label in labels_in_order}

    midi = pretty_midi.PrettyMIDI(initial_tempo=plan["tempo_bpm"], resolution=960)
    midi.time_signature_changes.append(pretty_midi.TimeSignature(meter, 4, lead_s))
    midi.key_signature_changes.append(
        pretty_midi.KeySignature(tonic_pc + 12 * (mode == "minor"), 0))
    chords_program = int(rng.choice(CHORD_PROGRAMS))
    parts = {name: pretty_midi.Instrument(program, is_drum=name == "drums", name=name)
             for name, program in (("chords", chords_program),
                                   ("bass", int(rng.choice(BASS_PROGRAMS))),
                                   ("melody", int(rng.choice(LEAD_PROGRAMS))),
                                   ("ring", int(rng.choice(RING_PROGRAMS))), ("drums", 0))}
    fill_kind = str(rng.choice(("snare", "toms")))

    def add(part: str, start_s: float, length_s: float, pitch: int, velocity: float) -> None:
        start_s += _jitter_s(rng)
        vel = int(np.clip(velocity + rng.integers(-6, 7), 1, 127))
        parts[part].notes.append(
            pretty_midi.Note(vel, pitch, max(start_s, 0.0), start_s + length_s))

    last = len(form) - 1
    bar_starts, section_starts, bar = [], [], 0
    for number, (label, n_bars) in enumerate(zip(form, plan["bars"])):
        style, has_bass, has_melody, velocity = ARRANGEMENT[label]
        section_starts.append(lead_s + bar * bar_s)
        chords = [_chord_pitches(progression[label][k % 4], mode, tonic_pc) for k in range(n_bars)]
        melody = _melody(np.random.default_rng(melody_seed[label]), chords, scale_pcs, meter)
        for k, chord in enumerate(chords):
            t0 = lead_s + (bar + k) * bar_s
            bar_starts.append(t0)
            if ending == "ring_out" and number == last and k == n_bars - 1:
                break  # the last bar is the final hit, written below
            sustained = chords_program in SUSTAINED_PROGRAMS or style in ("light", "half")
            hits = [(0.0, meter - 0.1)] if sustained else [(b, 0.9) for b in range(meter)]
            for beat, length in hits:
                for pc in chord:
                    add("chords", t0 + beat * beat_s, length * beat_s, _near(pc, 62), velocity - 15)
            if has_bass:
                bass_beats = (EIGHTHS[meter] if style == "full" else
                              (0, 2) if style == "groove" else (0,))
                for beat, step in zip(bass_beats, np.diff(bass_beats + (meter,))):
                    pc = chord[2] if style == "groove" and beat == 2 and meter == 4 else chord[0]
                    add("bass", t0 + beat * beat_s, 0.8 * step * beat_s, _near(pc, 40), velocity)
            fill = fill_kind if k == n_bars - 1 and number < last and style != "light" else None
            drums = _drum_bar(style, meter, fill)
            if k == 0 and (label == "chorus" or number > 0 and style != "light"):
                drums.append((0, CRASH, 1.0))
            for beat, note, scale in drums:
                add("drums", t0 + beat * beat_s, DRUM_NOTE_S, note,
                    DRUM_VELOCITY[note] * scale * velocity / 100)
        if has_melody:
            for beat, length, pitch in melody:
                add("melody", section_starts[-1] + beat * beat_s, 0.85 * length * beat_s,
                    pitch, velocity)
        bar += n_bars

    music_end_s = lead_s + bar * bar_s
    last_downbeat = bar_starts[-1]
    beats = [lead_s + k * beat_s for k in range(bar * meter)]
    if ending == "ring_out":
        ring_s = float(np.clip(2 * bar_s, 3.0, 6.0))
        parts["melody"].notes = [n for n in parts["melody"].notes if n.start < last_downbeat - 0.05]
        tonic = _chord_pitches(0, mode, tonic_pc)
        for pitch in [_near(pc, 60) for pc in tonic] + [_near(tonic_pc, 48), _near(tonic_pc, 72)]:
            add("ring", last_downbeat, ring_s, pitch, 100)
        add("bass", last_downbeat, ring_s, _near(tonic_pc, 40), 100)
        for note in (KICK, CRASH):
            add("drums", last_downbeat, DRUM_NOTE_S, note, DRUM_VELOCITY[note])
        ending_start, duration_s = last_downbeat, last_downbeat + ring_s + 1.5
        beats = [b for b in beats if b <= last_downbeat + 1e-9]
    elif ending == "fade":
        fade_bars = min(4, max(2, math.ceil(4.0 / bar_s)))
        ending_start = music_end_s - fade_bars * bar_s
        fractions = np.arange(0, fade_bars * meter * 4 + 1) / (fade_bars * meter * 4)
        volumes = [round(100 * 10 ** (-FADE_DB * f / TSF_CC7_DB)) for f in fractions[:-1]] + [0]
        for part in parts.values():
            part.control_changes += [
                pretty_midi.ControlChange(7, int(volume), ending_start + f * fade_bars * bar_s)
                for f, volume in zip(fractions, volumes)]
        duration_s = music_end_s + 1.0
    else:
        cut_beat = float(rng.choice(np.arange(1, meter, 0.5))) + 0.1  # between two hits
        ending_start = last_downbeat + cut_beat * beat_s
        for part in parts.values():
            part.notes = [n for n in part.notes if n.start < ending_start]
            for note in part.notes:
                note.end = min(note.end, ending_start)
        duration_s = ending_start + float(rng.choice((0.0, 0.5, 1.0)))
        beats = [b for b in beats if b < ending_start]
    for part, pan in zip(parts.values(), (40, 64, 84, 64, 64)):
        part.control_changes[:0] = [pretty_midi.ControlChange(7, 100, 0.0),
                                    pretty_midi.ControlChange(10, pan, 0.0)]
    midi.instruments = [part for part in parts.values() if part.notes]

    bounds = [0.0] + section_starts[1:] + [duration_s]
    groups = {label: chr(ord("A") + n) for n, label in enumerate(labels_in_order)}
    truth = _truth(f"song-{index:03d}", "generated", duration_s, plan["tempo_bpm"], meter, beats,
                   beats[::meter], key_name(tonic_pc, mode))
    truth["sections"] = [dict(start=round(a, 6), end=round(b, 6), label=label, group=groups[label])
                         for a, b, label in zip(bounds, bounds[1:], form)]
    truth["ending"] = dict(type=ending, start=round(ending_start, 6),
                           last_downbeat=round(last_downbeat, 6))
    return midi, truth


def _truth(name: str, source: str, duration_s: float, tempo_bpm: float, meter: int,
           beats: list[float], downbeats: list[float], key: str) -> dict:
    """Ground-truth dict with times rounded to microseconds and no section or ending truth."""
    return dict(name=name, source=source, duration_s=round(duration_s, 6),
                tempo_bpm=round(tempo_bpm, 6), meter=meter, beats=[round(b, 6) for b in beats],
                downbeats=[round(b, 6) for b in downbeats], key=key, sections=None, ending=None)


def chorale(path: str, seed: int) -> tuple[pretty_midi.PrettyMIDI, dict]:
    """A chorale from music21's corpus as MIDI at a seeded tempo, with its ground truth.

    The key is the key signature's major key when the final bass note is its tonic, or its
    relative minor when the final bass note is that; other (modal) chorales raise ValueError.
    """
    from music21 import corpus

    score = corpus.parse(path)
    meters = {ts.ratioString for ts in score.recurse().getElementsByClass("TimeSignature")}
    sharps = {ks.sharps for ks in score.recurse().getElementsByClass("KeySignature")}
    if meters not in ({"3/4"}, {"4/4"}) or len(sharps) != 1:
        raise ValueError(f"{path}: not one key signature and one 3/4 or 4/4 meter")
    meter = int(meters.pop().split("/")[0])
    major_pc = sharps.pop() * 7 % 12
    final = score.parts[-1].flatten().notes[-1]
    final_pc = (final.pitches[0] if final.isChord else final.pitch).pitchClass
    if final_pc not in (major_pc, (major_pc + 9) % 12):
        raise ValueError(f"{path}: modal ending, no major/minor key")
    key = key_name(final_pc, "major" if final_pc == major_pc else "minor")

    rng = np.random.default_rng([seed, zlib.crc32(path.encode())])
    end_ql = float(score.highestTime)
    tempo_bpm = exact_tempo_bpm(round(rng.uniform(max(60, end_ql / 2), min(100, end_ql * 2)), 1))
    beat_s, lead_s = 60 / tempo_bpm, float(rng.uniform(0.05, 0.4))
    midi = pretty_midi.PrettyMIDI(initial_tempo=tempo_bpm, resolution=960)
    program = int(rng.choice(CHORALE_PROGRAMS))
    for part in score.parts:
        instrument = pretty_midi.Instrument(program, name=part.partName or "part")
        for element in part.stripTies().flatten().notes:
            start_s = lead_s + float(element.offset) * beat_s + _jitter_s(rng)
            end_s = lead_s + float(element.offset + element.quarterLength) * beat_s
            for pitch in element.pitches:
                if end_s > start_s:
                    instrument.notes.append(
                        pretty_midi.Note(int(rng.integers(72, 90)), pitch.midi, start_s, end_s))
        midi.instruments.append(instrument)
    first_measure = score.parts[0].getElementsByClass("Measure")[0]
    pickup_ql = float(first_measure.duration.quarterLength) % meter
    beats_ql = np.arange(pickup_ql % 1, end_ql - 1e-9, 1.0)
    downbeats_ql = np.arange(pickup_ql, end_ql - 1e-9, meter)
    midi.time_signature_changes.append(
        pretty_midi.TimeSignature(meter, 4, lead_s + pickup_ql * beat_s))
    name = "m21-" + path.split("/")[-1].replace(".", "-")
    truth = _truth(name, f"music21:{path}", lead_s + end_ql * beat_s + 2.0, tempo_bpm, meter,
                   list(lead_s + beats_ql * beat_s), list(lead_s + downbeats_ql * beat_s), key)
    return midi, truth


def render(midi: pretty_midi.PrettyMIDI, duration_s: float, soundfont: Path,
           cut_s: float | None = None) -> np.ndarray:
    """Render ``midi`` to (2, frames) float32 audio at 44.1 kHz, peak-normalised to -3 dBFS.

    Events are applied at their exact sample (:func:`syncready.create.render.render_midi`);
    ``cut_s`` silences everything from there on (a hard stop at level, without the synth's
    release tails).
    """
    audio = render_midi(midi, duration_s, soundfont, sample_rate=SAMPLE_RATE)
    if cut_s is not None:
        audio[:, round(cut_s * SAMPLE_RATE):] = 0.0
    peak = float(np.max(np.abs(audio)))
    if peak > 0:
        audio *= 10 ** (PEAK_DBFS / 20) / peak
    return audio


def tracks(count: int, seed: int, pieces: int) -> list[tuple[pretty_midi.PrettyMIDI, dict]]:
    """The corpus: ``count`` arranged songs and the first ``pieces`` usable chorales."""
    out = [song(index, seed) for index in range(count)]
    for path in CHORALES:
        if len(out) >= count + pieces:
            break
        try:
            out.append(chorale(path, seed))
        except ValueError:
            continue
    return out


def build(out: Path, count: int = 40, seed: int = 0, pieces: int = 8) -> list[str]:
    """Write every track's MIDI, ground truth and audio into ``out``, and ``corpus.json``.

    Returns the track names. Raises FileNotFoundError when no soundfont is installed.
    """
    soundfont = soundfont_path()
    if soundfont is None:
        raise FileNotFoundError(f"no soundfont: install fluid-soundfont-gm ({DEFAULT_SOUNDFONT}) "
                                "or set $SYNCREADY_SOUNDFONT")
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for midi, truth in tracks(count, seed, pieces):
        name = truth["name"]
        (out / f"{name}.mid").write_bytes(midi_bytes(midi))
        (out / f"{name}.json").write_text(json.dumps(truth, indent=1) + "\n")
        ending = truth["ending"]
        cut_s = ending["start"] if ending and ending["type"] == "abrupt" else None
        audio = render(midi, truth["duration_s"], soundfont, cut_s)
        # scipy writes no PEAK chunk (libsndfile's carries a timestamp): same seed, same bytes.
        scipy.io.wavfile.write(out / f"{name}.wav", SAMPLE_RATE, audio.T)
        names.append(name)
        print(f"{name}: {truth['duration_s']:.1f} s, {truth['key']}, {truth['meter']}/4, "
              f"{truth['tempo_bpm']:.1f} BPM", file=sys.stderr)
    manifest = dict(count=count, seed=seed, pieces=pieces, generator=generator_version(),
                    tracks=names)
    (out / "corpus.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--count", type=int, default=40, help="arranged songs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pieces", type=int, default=8, help="music21 chorales")
    args = parser.parse_args()
    build(args.out, args.count, args.seed, args.pieces)


if __name__ == "__main__":
    main()
