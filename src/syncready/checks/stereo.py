"""Stereo checks: phase correlation, mono compatibility, left/right balance."""

from __future__ import annotations

from ..analysis import Analysis
from ..analysis.stereo import WINDOW_S
from .finding import Finding
from .profile import Profile


def correlation(a: Analysis, p: Profile) -> list[Finding]:
    """Overall and worst-window phase correlation of the front pair."""
    s, lim = a.stereo, p.signal
    if s is None or s.correlation is None:
        return [Finding("stereo.correlation", "info", "mono file: no stereo checks")] if s is None else []
    found = []
    if s.correlation < lim.correlation_min:
        found.append(Finding("stereo.correlation", "fail", f"left and right are out of phase overall (correlation {s.correlation:+.2f})", round(s.correlation, 3), f">= {lim.correlation_min:+g}", fix="flip the polarity of one channel in the mix"))
    elif s.min_correlation is not None and s.min_correlation < lim.window_correlation_min:
        start = s.min_correlation_s or 0.0
        found.append(Finding("stereo.correlation", "warn", f"phase trouble: correlation falls to {s.min_correlation:+.2f} at {start:.1f} s", round(s.min_correlation, 3), f">= {lim.window_correlation_min:+g} in every {WINDOW_S:g} s window", round(start, 2), round(start + WINDOW_S, 2), fix="check wideners and phase effects in that passage"))
    else:
        found.append(Finding("stereo.correlation", "pass", f"phase correlation {s.correlation:+.2f}", round(s.correlation, 3), f">= {lim.correlation_min:+g}"))
    return found


def mono_drop(a: Analysis, p: Profile) -> list[Finding]:
    """Loudness lost when the mix is folded down to mono."""
    s, limit = a.stereo, p.signal.mono_drop_max_db
    if s is None or s.mono_drop_db is None:
        return []
    expected = f"drop <= {limit:g} dB"
    if -s.mono_drop_db <= limit:
        return [Finding("stereo.mono_drop", "pass", f"mono fold-down loses {-s.mono_drop_db:.1f} dB", round(s.mono_drop_db, 2), expected)]
    return [Finding("stereo.mono_drop", "warn", f"mono fold-down loses {-s.mono_drop_db:.1f} dB: parts cancel on mono speakers", round(s.mono_drop_db, 2), expected, fix="narrow the stereo wideners or check polarity")]


def balance(a: Analysis, p: Profile) -> list[Finding]:
    """Level difference between left and right."""
    s, limit = a.stereo, p.signal.balance_max_db
    if s is None or s.balance_db is None:
        return []
    expected = f"|L-R| <= {limit:g} dB"
    if abs(s.balance_db) <= limit:
        return [Finding("stereo.balance", "pass", f"left/right balance {s.balance_db:+.1f} dB", round(s.balance_db, 2), expected)]
    side = "left" if s.balance_db > 0 else "right"
    return [Finding("stereo.balance", "warn", f"the mix leans {side}: {abs(s.balance_db):.1f} dB louder", round(s.balance_db, 2), expected, fix="re-balance the mix")]


CHECKS = [correlation, mono_drop, balance]
