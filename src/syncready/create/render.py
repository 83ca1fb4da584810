"""MIDI to audio through a General MIDI soundfont (TinySoundFont), whole or one stem at a time.

Conventions
-----------
- Audio is float32 of shape ``(2, frames)`` (stereo), at the rate asked for, not normalised:
  what the synthesiser makes at full channel volume.
- ``frames = round(duration_s * sample_rate)`` exactly; events after the end are dropped, notes
  still sounding at the end are cut there (callers plan endings that have died away by then).
- Every MIDI event is applied at its exact sample (note-offs before controller changes before
  note-ons at the same sample), so two renders of the same MIDI are identical.
- The soundfont is ``$SYNCREADY_SOUNDFONT`` or Debian's ``fluid-soundfont-gm``
  (:data:`DEFAULT_SOUNDFONT`, MIT licence), installed by ``make install`` as root.

TinySoundFont (MIT, a single-file C synthesiser) is used rather than FluidSynth because it
ships as a wheel and renders sample-exactly without a realtime driver; it has no reverb or
chorus, so none is added.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

import numpy as np

from ..errors import UsageError

DEFAULT_SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
DRUM_CHANNEL = 9
RESET_CONTROLLERS = 121  # MIDI "reset all controllers"
FLUSH_S = 0.1  # rendered and dropped after silencing a reused synthesiser
INSTALL_HINT = (f"no General MIDI soundfont: install one with `make install` as root (Debian package "
                f"fluid-soundfont-gm, {DEFAULT_SOUNDFONT}) or point $SYNCREADY_SOUNDFONT at a .sf2 file")


def soundfont_path() -> Path | None:
    """The General MIDI soundfont to render with, or None when none is installed."""
    path = Path(os.environ.get("SYNCREADY_SOUNDFONT", DEFAULT_SOUNDFONT))
    return path if path.is_file() else None


def require_soundfont() -> Path:
    """The soundfont path; :class:`~syncready.errors.UsageError` saying how to install one."""
    path = soundfont_path()
    if path is None:
        raise UsageError(INSTALL_HINT)
    return path


def midi_bytes(midi) -> bytes:
    """The Standard MIDI File bytes of a ``pretty_midi.PrettyMIDI``."""
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


def _events(instruments, sample_rate: int, synth, sfid: int) -> list[tuple[int, int, str, tuple]]:
    """(sample, order, synth method, args) of every event; the channels are set up on ``synth``."""
    events = []
    melodic = iter(c for c in range(16) if c != DRUM_CHANNEL)
    for instrument in instruments:
        channel = DRUM_CHANNEL if instrument.is_drum else next(melodic)
        synth.program_select(channel, sfid, 128 if instrument.is_drum else 0, instrument.program, instrument.is_drum)
        for cc in instrument.control_changes:
            events.append((round(cc.time * sample_rate), 1, "control_change", (channel, cc.number, cc.value)))
        for note in instrument.notes:
            events.append((round(note.start * sample_rate), 2, "noteon", (channel, note.pitch, note.velocity)))
            events.append((round(note.end * sample_rate), 0, "noteoff", (channel, note.pitch)))
    return sorted(events)


@functools.lru_cache(maxsize=2)
def _synth(soundfont: str, sample_rate: int):
    """A synthesiser with ``soundfont`` loaded (loading a GM soundfont takes seconds), reused:
    every render starts by silencing and resetting all 16 channels."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=sample_rate)
    return synth, synth.sfload(soundfont)


def render_instruments(instruments, duration_s: float, soundfont: str | Path, *, sample_rate: int) -> np.ndarray:
    """Render ``pretty_midi.Instrument`` objects together (at most 15 melodic plus drums).

    Returns
    -------
    numpy.ndarray
        float32 ``(2, round(duration_s * sample_rate))``.
    """
    synth, sfid = _synth(str(soundfont), int(sample_rate))
    for channel in range(16):
        synth.sounds_off(channel)
        synth.control_change(channel, RESET_CONTROLLERS, 0)
    flush = np.zeros((round(FLUSH_S * sample_rate), 2), np.float32)
    synth.generate_simple(len(flush), memoryview(flush).cast("B"))  # the fast release of what was left
    frames = round(duration_s * sample_rate)
    audio = np.zeros((frames, 2), np.float32)
    position = 0
    for sample, _, method, args in _events(instruments, sample_rate, synth, sfid):
        if sample >= frames:
            break
        if sample > position:
            synth.generate_simple(sample - position, memoryview(audio[position:sample]).cast("B"))
            position = sample
        getattr(synth, method)(*args)
    if frames > position:
        synth.generate_simple(frames - position, memoryview(audio[position:]).cast("B"))
    return np.ascontiguousarray(audio.T)


def render_midi(midi, duration_s: float, soundfont: str | Path, *, sample_rate: int) -> np.ndarray:
    """Render a whole ``pretty_midi.PrettyMIDI`` (see :func:`render_instruments`)."""
    return render_instruments(midi.instruments, duration_s, soundfont, sample_rate=sample_rate)


def render_stems(midi, duration_s: float, soundfont: str | Path, *, sample_rate: int) -> dict[str, np.ndarray]:
    """Render each instrument of ``midi`` alone, keyed by its name: the stems.

    Each stem is rendered alone from silence, so their sum is the mix without voice stealing
    between instruments.
    """
    return {instrument.name: render_instruments([instrument], duration_s, soundfont, sample_rate=sample_rate)
            for instrument in midi.instruments}
