"""The documented parameter sets of ``syncready create``: moods, genres, instruments, sections.

Each is a TOML file beside this module (the comments at their top say what every field
means); they are read once and handed out as plain dicts keyed by name.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

HERE = Path(__file__).parent


@functools.cache
def table(name: str) -> dict[str, dict]:
    """The parsed ``NAME.toml`` of this folder: moods, genres, instruments or sections."""
    return tomllib.loads((HERE / f"{name}.toml").read_text(encoding="utf-8"))


def moods() -> dict[str, dict]:
    """Mood name -> mode, bpm, energy, harmonic_rhythm_beats, melody_rest, register, step_bias."""
    return table("moods")


def genres() -> dict[str, dict]:
    """Genre name -> meter, bpm range, instruments, chord_style, bass_style, drums."""
    return table("genres")


def instruments() -> dict[str, dict]:
    """Instrument name -> role, program, gain_db, decays."""
    return table("instruments")


def sections() -> dict[str, dict]:
    """Section label -> drums, bass, pad, lead, velocity, weight, phrase, register, pedal."""
    return table("sections")
