"""Head, tail and ending checks (top and tail; a hard stop at the end)."""

from __future__ import annotations

from ..analysis import Analysis
from .finding import Finding
from .profile import Profile


def head(a: Analysis, p: Profile) -> list[Finding]:
    """Time from the start of the file to the first sound."""
    value, limit = a.levels.head_s, p.signal.head_max_s
    if value is None:
        return []
    expected = f"<= {limit:g} s"
    if value <= limit:
        return [Finding("timing.head", "pass", f"music starts at {value:.3f} s", round(value, 3), expected)]
    return [Finding("timing.head", "fail", f"{value:.2f} s of silence before the music starts", round(value, 3), expected, 0.0, round(value, 3), fix="syncready trim IN -o OUT.wav")]


def tail(a: Analysis, p: Profile) -> list[Finding]:
    """Silence after the last sound."""
    value, limit = a.levels.tail_s, p.signal.tail_silence_max_s
    if value is None:
        return []
    expected = f"<= {limit:g} s"
    end = a.source.duration_s
    if value <= limit:
        return [Finding("timing.tail", "pass", f"{value:.2f} s of silence after the last sound", round(value, 3), expected)]
    return [Finding("timing.tail", "fail", f"{value:.1f} s of silence after the last sound", round(value, 3), expected, round(end - value, 3), round(end, 3), fix="syncready trim IN -o OUT.wav")]


def hard_stop(a: Analysis, p: Profile) -> list[Finding]:
    """The last 50 ms should be well below the track's level: no cut-off at full level."""
    value, limit = a.levels.end_level_db, p.signal.end_level_max_db
    if value is None:
        return []
    expected = f"<= {limit:g} dB re the track's RMS"
    end = a.source.duration_s
    if value <= limit:
        return [Finding("timing.hard_stop", "pass", f"the last 50 ms sit {-value:.0f} dB below the track", round(value, 1), expected)]
    return [Finding("timing.hard_stop", "fail", f"hard stop: the last 50 ms are only {-value:.1f} dB below the track's level", round(value, 1), expected, round(max(0.0, end - 0.05), 3), round(end, 3), fix="syncready end IN -o OUT.wav")]


CHECKS = [head, tail, hard_stop]
