"""The drum part of a section: the genre's bar patterns at the section's level, fills and crashes.

Conventions: a hit is ``(start, GM drum note, velocity)`` with ``start`` in beats from the start
of the section. Levels (``drums`` in ``styles/sections.toml``): ``none``, ``light``, ``groove``,
``full`` (the genre's patterns in ``styles/genres.toml``) and ``build``: the groove's drums
without its cymbals (:data:`METAL`), a kick on every beat, and a snare roll over the last two
beats, eighths then sixteenths, rising in velocity; the roll stays inside the build's last bar, so
the chorus's downbeat (crash, cymbals, pad and lead back) is where the texture changes. A section
whose next section is louder ends on a light fill (two snare eighths on the last beat), a chorus
opens with a crash. Below a slow tempo the caller asks for ``sparse`` patterns (:func:`thin`, and cymbals
between the beats at :data:`OFFBEAT_SPARSE`). Velocities
are the base velocities of :data:`VELOCITY` scaled by the level ``scale``.
"""

from __future__ import annotations

NOTES = {"kick": 36, "rim": 37, "snare": 38, "clap": 39, "hat": 42, "open-hat": 46, "low-tom": 45,
         "high-tom": 48, "crash": 49, "ride": 51, "tambourine": 54, "shaker": 70}
VELOCITY = {"kick": 110, "rim": 80, "snare": 100, "clap": 95, "hat": 70, "open-hat": 70, "low-tom": 100,
            "high-tom": 95, "crash": 100, "ride": 75, "tambourine": 60, "shaker": 55}
LEVELS = ("none", "light", "groove", "build", "full")
METAL = frozenset({"hat", "open-hat", "ride", "crash", "tambourine", "shaker"})
OFFBEAT = 0.6  # velocity scale of hits between the beats: the pulse stays on the beat
OFFBEAT_SPARSE = 0.35  # the same for cymbals in sparse (slow) patterns
ROLL_BEATS = 2  # the build's snare roll: eighths then sixteenths over the bar's last two beats


def drums(patterns: dict[str, dict[str, list[float]]], level: str, bars: int, meter: int, scale: float, *,
          fill: bool, crash: bool, sparse: bool = False) -> list[tuple[float, int, int]]:
    """The hits of a section of ``bars`` bars (see the module docstring)."""
    if level == "none":
        return [(0.0, NOTES["crash"], _velocity("crash", scale))] if crash else []
    bar_pattern = build_pattern(patterns["groove"], meter) if level == "build" else patterns[level]
    if sparse:
        bar_pattern = thin(bar_pattern)
    hits = []
    for bar in range(bars):
        last = bar == bars - 1
        roll = level == "build" and last
        cut = meter - ROLL_BEATS if roll else meter - 1 if fill and last else meter
        for name, beats in bar_pattern.items():
            weak = OFFBEAT_SPARSE if sparse and name in METAL else OFFBEAT
            hits += [(bar * meter + b, NOTES[name], _velocity(name, scale * (weak if b % 1 else 1.0)))
                     for b in beats if b < cut]
        if roll:
            start = bar * meter + meter - ROLL_BEATS
            hits += [(start + k / 2, NOTES["snare"], _velocity("snare", scale * (0.5 + 0.1 * k))) for k in range(2)]
            hits += [(start + 1 + k / 4, NOTES["snare"], _velocity("snare", scale * (0.7 + 0.075 * k))) for k in range(4)]
        elif fill and last:
            hits += [(bar * meter + meter - 1 + k / 2, NOTES["snare"], _velocity("snare", scale * (0.5 + 0.1 * k)))
                     for k in range(2)]
    if crash:
        hits.append((0.0, NOTES["crash"], _velocity("crash", scale)))
    return sorted(hits)


def build_pattern(groove: dict[str, list[float]], meter: int) -> dict[str, list[float]]:
    """The build's bar: the groove's drums without its cymbals, a kick on every beat (a driving
    pulse that is neither the verse's groove nor the chorus's full kit)."""
    kept = {name: beats for name, beats in groove.items() if name not in METAL}
    return kept | {"kick": sorted(set(kept.get("kick", [])) | set(range(meter)))}


def thin(pattern: dict[str, list[float]]) -> dict[str, list[float]]:
    """The pattern without the off-beat hits of the drums that sound below the cymbals
    (:data:`METAL` are kept): at slow tempi off-beat kicks, snares and toms make the pulse
    read at twice the tempo."""
    return {name: [b for b in beats if name in METAL or b % 1 == 0] for name, beats in pattern.items()}


def _velocity(name: str, scale: float) -> int:
    return int(min(127, max(1, round(VELOCITY[name] * scale))))
