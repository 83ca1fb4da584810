"""Head, tail and ending checks (top and tail; a hard stop at the end)."""

from __future__ import annotations

from ..analysis import Analysis
from .finding import Finding, at_most
from .profile import Profile

_TRIM = "syncready trim IN -o OUT.wav"


def head(a: Analysis, p: Profile) -> list[Finding]:
    """Time from the start of the file to the first sound."""
    value, limit = a.levels.head_s, p.signal.head_max_s
    return at_most(
        "timing.head", value, limit, f"<= {limit:g} s",
        ok=f"music starts at {value or 0:.3f} s",
        bad=f"{value or 0:.2f} s of silence before the music starts",
        where=(0.0, round(value or 0, 3)), fix=_TRIM,
    )


def tail(a: Analysis, p: Profile) -> list[Finding]:
    """Silence after the last sound."""
    value, limit, end = a.levels.tail_s, p.signal.tail_silence_max_s, a.source.duration_s
    return at_most(
        "timing.tail", value, limit, f"<= {limit:g} s",
        ok=f"{value or 0:.2f} s of silence after the last sound",
        bad=f"{value or 0:.1f} s of silence after the last sound",
        where=(round(end - (value or 0), 3), round(end, 3)), fix=_TRIM,
    )


def hard_stop(a: Analysis, p: Profile) -> list[Finding]:
    """The last 50 ms should be well below the track's level: no cut-off at full level."""
    value, limit, end = a.levels.end_level_db, p.signal.end_level_max_db, a.source.duration_s
    return at_most(
        "timing.hard_stop", value, limit, f"<= {limit:g} dB re the track's RMS",
        ok=f"the last 50 ms sit {-(value or 0):.0f} dB below the track",
        bad=f"hard stop: the last 50 ms are only {-(value or 0):.1f} dB below the track's level",
        where=(round(max(0.0, end - 0.05), 3), round(end, 3)), fix="syncready end IN -o OUT.wav", digits=1,
    )


CHECKS = [head, tail, hard_stop]
