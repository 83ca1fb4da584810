"""The bass line of a section, from its chords and the genre's bass style.

Conventions: a note is ``(start, length, pitch)`` in beats from the start of the section and a
MIDI pitch; the bass sits around :data:`CENTRE` (E2..D#3). Styles (``bass_style`` in
``styles/genres.toml``): ``root`` one note per chord, ``pulse`` eighths on the root, ``octaves``
eighths alternating root and its octave, ``walk`` quarters through root, fifth, third and a
step into the next chord.
"""

from __future__ import annotations

from .harmony import Span, near, triad

CENTRE = 40
STACCATO = 0.85


def bass(spans: list[Span], style: str, tonic: int, mode: str, *, slow: bool = False) -> list[tuple[float, float, int]]:
    """The bass notes over ``spans`` in ``style`` (see the module docstring); ``slow`` turns
    the eighths of ``pulse`` and ``octaves`` into quarters."""
    notes = []
    for k, span in enumerate(spans):
        root, third, fifth = triad(span.degree, tonic, mode)
        low = near(root, CENTRE)
        if style == "root":
            notes.append((span.start, span.length * STACCATO, low))
            continue
        step = 0.5 if style in ("pulse", "octaves") and not slow else 1.0
        count = max(1, round(span.length / step))
        following = spans[k + 1] if k + 1 < len(spans) else span
        for i in range(count):
            if style == "octaves":
                pitch = low + 12 * (i % 2)
            elif style == "walk":
                cycle = (low, near(fifth, low + 5), near(third, low + 3))
                approach = near(triad(following.degree, tonic, mode)[0], low) - 1
                pitch = approach if i == count - 1 and count > 1 else cycle[i % 3]
            else:
                pitch = low
            notes.append((span.start + i * step, step * STACCATO, pitch))
    return notes
