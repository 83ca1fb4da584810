"""The brief of ``syncready create``: what the human chose, validated before anything is made.

Conventions
-----------
- Tempo in BPM (quarter-note beats), between :data:`BPM_MIN` and :data:`BPM_MAX`; length in
  seconds, between :data:`LENGTH_MIN_S` and :data:`LENGTH_MAX_S`.
- Keys are written "TONIC MODE" ("D major", "F# minor"); a tonic alone takes the mood's mode.
  Sharps and flats are accepted (``#``/``b``); the key is kept in mir_eval's spelling.
- Every section needs at least :data:`MIN_SECTION_BARS` bars and the final hit
  :data:`RING_MIN_S` seconds of ring-out, so a length holds a limited number of sections at a
  tempo: an impossible brief is refused with what can be done instead
  (:class:`~syncready.errors.UsageError`, exit code 2).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

from ..errors import UsageError
from . import styles

BPM_MIN, BPM_MAX = 50.0, 200.0
LENGTH_MIN_S, LENGTH_MAX_S = 8.0, 600.0
MIN_SECTION_BARS = 2
RING_MIN_S = 2.5
"""Shortest ring-out of the final hit, seconds (the plan's ring lasts this to one bar more)."""
LEAD_IN_S = 0.05
"""Silence before the first downbeat, seconds (see :mod:`.plan`)."""
PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MINOR_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
MODES = {"major": "major", "maj": "major", "minor": "minor", "min": "minor", "m": "minor"}
_KEY = re.compile(r"^\s*([A-Ga-g])\s*([#b♯♭]?)\s*(major|maj|minor|min|m)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Brief:
    """A validated brief.

    Attributes
    ----------
    mood, genre : str
        Names from ``styles/moods.toml`` and ``styles/genres.toml``.
    bpm : float
        Tempo, BPM.
    key : str
        "TONIC MODE" in mir_eval's spelling ("Eb major", "C# minor").
    length_s : float
        Exact length of the bed, seconds.
    sections : tuple of str or None
        Section labels in order (None: the plan chooses a form for the length).
    instruments : tuple of str or None
        Instrument names (None: the genre's band).
    seed : int
        Seed of every random choice.
    title : str
        Title of the bed (names the rights record).
    """

    mood: str
    genre: str
    bpm: float
    key: str
    length_s: float
    sections: tuple[str, ...] | None
    instruments: tuple[str, ...] | None
    seed: int
    title: str

    @property
    def tonic_pc(self) -> int:
        """Pitch class of the tonic, 0 = C."""
        return parse_key(self.key, "major")[0]

    @property
    def mode(self) -> str:
        """"major" or "minor"."""
        return parse_key(self.key, "major")[1]

    def to_dict(self) -> dict:
        """JSON-ready fields (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> Brief:
        """Inverse of :meth:`to_dict` (validated again)."""
        return make_brief(**{k: data.get(k) for k in ("mood", "genre", "bpm", "key", "length_s", "sections",
                                                      "instruments", "seed", "title")})


def key_name(tonic_pc: int, mode: str) -> str:
    """mir_eval key string ("Eb major", "C# minor") for a tonic pitch class and mode."""
    names = MAJOR_NAMES if mode == "major" else MINOR_NAMES
    return f"{names[tonic_pc % 12]} {mode}"


def parse_key(text: str, default_mode: str) -> tuple[int, str]:
    """(tonic pitch class, mode) of a key like "D major", "f# minor", "Bbm" or "A".

    Raises
    ------
    UsageError
        Not a key; the message shows how to write one.
    """
    match = _KEY.match(str(text))
    if match is None:
        raise UsageError(f"unknown key {text!r}: write a tonic C, C#, Db, D ... B and major or minor, "
                         "e.g. --key \"D major\" or --key \"F# minor\"")
    letter, accidental, mode = match.groups()
    pc = PITCH_CLASSES[letter.upper()] + {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental, 0)
    return pc % 12, MODES[mode.lower()] if mode else default_mode


def bar_s(bpm: float, meter: int) -> float:
    """Length of one bar, seconds."""
    return meter * 60.0 / bpm


def _choice(kind: str, value: str, known: dict) -> str:
    name = str(value).strip().lower()
    if name not in known:
        raise UsageError(f"unknown {kind} {value!r}: choose one of {', '.join(sorted(known))}")
    return name


def _names(kind: str, text, known: dict) -> tuple[str, ...] | None:
    if text is None:
        return None
    items = text if isinstance(text, (list, tuple)) else str(text).split(",")
    names = tuple(n.strip().lower() for n in items if n.strip())
    if not names:
        raise UsageError(f"--{kind} is empty: name at least one of {', '.join(sorted(known))}")
    for name in names:
        _choice(kind.rstrip("s"), name, known)
    return names


def _check_instruments(names: tuple[str, ...] | None) -> None:
    if names is None:
        return
    table = styles.instruments()
    roles = [table[n]["role"] for n in names]
    doubled = sorted({r for r in roles if roles.count(r) > 1})
    if doubled:
        raise UsageError(f"--instruments names two instruments for the {doubled[0]} part; one per part "
                         "(chords, pad, bass, lead, drums)")
    if not {"chords", "pad"} & set(roles):
        chordal = sorted(n for n, v in table.items() if v["role"] in ("chords", "pad"))
        raise UsageError(f"--instruments has nothing to play the harmony: add one of {', '.join(chordal)}")


def _check_fit(length_s: float, bpm: float, meter: int, sections: tuple[str, ...] | None) -> None:
    """Refuse a length that cannot hold the sections at the tempo, saying what would."""
    bar = bar_s(bpm, meter)
    count = len(sections) if sections else 1
    ending = RING_MIN_S + LEAD_IN_S
    need = count * MIN_SECTION_BARS * bar + ending
    if length_s + 1e-9 >= need:
        return
    fits = max(0, math.floor((length_s - ending) / (MIN_SECTION_BARS * bar) + 1e-9))
    what = f"{count} section{'s' if count > 1 else ''}" if sections else "one section"
    instead = [f"--length {math.ceil(need)} or more"]
    if sections and fits >= 1:
        instead.append(f"at most {fits} section{'s' if fits > 1 else ''} (e.g. --sections {','.join(_shorter(sections, fits))})")
    fast = count * MIN_SECTION_BARS * meter * 60.0 / max(length_s - ending, 1e-9)
    if fast <= BPM_MAX:
        instead.append(f"--bpm {math.ceil(fast)} or faster")
    raise UsageError(f"{length_s:g} s cannot hold {what} at {bpm:g} BPM: each needs {MIN_SECTION_BARS} bars "
                     f"({MIN_SECTION_BARS * bar:.1f} s) and the ending {RING_MIN_S:g} s of ring-out, {need:.1f} s in all; "
                     f"ask for {' or '.join(instead)}")


def _shorter(sections: tuple[str, ...], count: int) -> list[str]:
    """The first ``count`` sections, keeping the last one (the ending) when there is room."""
    if count == 1:
        return [sections[-1]]
    return list(sections[: count - 1]) + [sections[-1]]


def make_brief(*, mood: str, genre: str, bpm: float | None = None, key: str | None = None, length_s: float = 60.0,
               sections=None, instruments=None, seed: int | None = 0, title: str | None = None) -> Brief:
    """Validate a brief; None for ``bpm`` or ``key`` takes the mood's (the key's tonic from the seed).

    Raises
    ------
    UsageError
        An unknown mood, genre, key, section or instrument; a tempo or length out of range; a
        length too short for the sections (each message says what can be done instead).
    """
    mood = _choice("mood", mood, styles.moods())
    genre = _choice("genre", genre, styles.genres())
    style, band = styles.moods()[mood], styles.genres()[genre]
    seed = 0 if seed is None else int(seed)
    if seed < 0:
        raise UsageError(f"--seed {seed} is negative; use 0 or more")
    if bpm is None:
        low, high = band["bpm"]
        bpm = float(min(max(style["bpm"], low), high))
    bpm = float(bpm)
    if not math.isfinite(bpm) or not BPM_MIN <= bpm <= BPM_MAX:
        hint = ""
        if math.isfinite(bpm) and bpm > BPM_MAX and BPM_MIN <= bpm / 2 <= BPM_MAX:
            hint = f"; for that pulse ask for half time, --bpm {bpm / 2:g}"
        elif math.isfinite(bpm) and bpm < BPM_MIN and bpm * 2 <= BPM_MAX:
            hint = f"; for that pulse ask for double time, --bpm {bpm * 2:g}"
        raise UsageError(f"--bpm {bpm:g} is outside {BPM_MIN:g}-{BPM_MAX:g} BPM{hint}")
    if key is None:
        tonic = [0, 2, 4, 5, 7, 9, 10][seed % 7]
        key = key_name(tonic, style["mode"])
    else:
        key = key_name(*parse_key(key, style["mode"]))
    length_s = float(length_s)
    sections = _names("sections", sections, styles.sections())
    instruments = _names("instruments", instruments, styles.instruments())
    _check_instruments(instruments)
    if math.isfinite(length_s) and length_s <= LENGTH_MAX_S:
        _check_fit(length_s, bpm, band["meter"], sections)
    if not math.isfinite(length_s) or not LENGTH_MIN_S <= length_s <= LENGTH_MAX_S:
        raise UsageError(f"--length {length_s:g} s is outside {LENGTH_MIN_S:g}-{LENGTH_MAX_S:g} s; for a shorter "
                         "sting make a bed and cut it (syncready sting), for a longer one loop it (syncready loop)")
    if title is None:
        title = f"{mood.title()} {genre.title()} {bpm:g} BPM {seed}"
    title = " ".join(str(title).split())
    if not title:
        raise UsageError("--title is empty")
    return Brief(mood, genre, bpm, key, length_s, sections, instruments, seed, title)
