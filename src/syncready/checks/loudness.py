"""Loudness checks (ITU-R BS.1770-4 / EBU R 128 measures against the profile's targets)."""

from __future__ import annotations

import numpy as np

from ..analysis import Analysis
from .finding import Finding, show
from .profile import Profile

_MASTER = "syncready master IN --profile {profile} -o OUT.wav"


def integrated(a: Analysis, p: Profile) -> list[Finding]:
    """Integrated loudness within target +- tolerance."""
    target, tol = p.loudness.integrated_lufs, p.loudness.integrated_tolerance_lu
    value = a.loudness.integrated_lufs
    if value is None:
        return [Finding("loudness.integrated", "fail", "integrated loudness is undefined: no 400 ms block above the -70 LUFS gate (silence or too short)", None, show(target, "LUFS"))]
    if target is None:
        return [Finding("loudness.integrated", "info", f"integrated loudness {show(value, 'LUFS')}", round(value, 2))]
    expected = f"{target:g} +- {tol:g} LUFS"
    off = value - target
    if abs(off) <= tol:
        return [Finding("loudness.integrated", "pass", f"integrated loudness {show(value, 'LUFS')}", round(value, 2), expected)]
    word = "too loud" if off > 0 else "too quiet"
    return [Finding("loudness.integrated", "fail", f"{word}: {show(value, 'LUFS')} is {abs(off):.1f} LU {'above' if off > 0 else 'below'} the {target:g} LUFS target", round(value, 2), expected, fix=_MASTER.format(profile=p.name))]


def true_peak(a: Analysis, p: Profile) -> list[Finding]:
    """True peak (4x+ oversampled) at or below the ceiling; stricter when louder than the target."""
    ceiling = p.loudness.true_peak_max_dbtp
    value = a.loudness.true_peak_dbtp
    if ceiling is None or value is None:
        return []
    integrated, target = a.loudness.integrated_lufs, p.loudness.integrated_lufs
    loud_ceiling = p.loudness.loud_true_peak_max_dbtp
    note = ""
    if loud_ceiling is not None and integrated is not None and target is not None and integrated > target:
        ceiling, note = loud_ceiling, f" (louder than {target:g} LUFS)"
    expected = f"<= {ceiling:g} dBTP{note}"
    if value <= ceiling:
        return [Finding("loudness.true_peak", "pass", f"true peak {show(value, 'dBTP')}", round(value, 2), expected)]
    over = " with inter-sample peaks over 0 dBTP (will clip after conversion to MP3/AAC)" if value > 0 else ""
    return [Finding("loudness.true_peak", "fail", f"true peak {show(value, 'dBTP')} is above {ceiling:g} dBTP{over}", round(value, 2), expected, fix=_MASTER.format(profile=p.name))]


def sample_peak(a: Analysis, p: Profile) -> list[Finding]:
    """Sample peak inside the profile's window (premasters need headroom)."""
    low, high = p.loudness.sample_peak_min_dbfs, p.loudness.sample_peak_max_dbfs
    value = a.loudness.sample_peak_dbfs
    if value is None or (low is None and high is None):
        return []
    expected = f"{low if low is not None else '-inf'} to {high if high is not None else 0} dBFS"
    if (low is not None and value < low) or (high is not None and value > high):
        return [Finding("loudness.sample_peak", "fail", f"sample peak {show(value, 'dBFS')} is outside {expected}", round(value, 2), expected, fix=_MASTER.format(profile=p.name))]
    return [Finding("loudness.sample_peak", "pass", f"sample peak {show(value, 'dBFS')}", round(value, 2), expected)]


def _maximum(check: str, what: str, value: float | None, series: list, limit: float | None, hop: float, profile: str) -> list[Finding]:
    if limit is None or value is None:
        return []
    expected = f"<= {limit:g} LUFS"
    if value <= limit:
        return [Finding(check, "pass", f"max {what} loudness {show(value, 'LUFS')}", round(value, 2), expected)]
    values = np.array([v if v is not None else -np.inf for v in series])
    over = np.flatnonzero(values > limit)
    start, end = (over[0] * hop, (over[-1] + 1) * hop) if len(over) else (None, None)
    return [Finding(check, "fail", f"max {what} loudness {show(value, 'LUFS')} is above {limit:g} LUFS", round(value, 2), expected, start, end, fix=_MASTER.format(profile=profile))]


def short_term_max(a: Analysis, p: Profile) -> list[Finding]:
    """Maximum short-term loudness (3 s window) under the profile's limit (R 128 s1)."""
    L = a.loudness
    return _maximum("loudness.max_short_term", "short-term", L.max_short_term_lufs, L.short_term_lufs, p.loudness.max_short_term_lufs, L.hop_s, p.name)


def momentary_max(a: Analysis, p: Profile) -> list[Finding]:
    """Maximum momentary loudness (400 ms window) under the profile's limit."""
    L = a.loudness
    return _maximum("loudness.max_momentary", "momentary", L.max_momentary_lufs, L.momentary_lufs, p.loudness.max_momentary_lufs, L.hop_s, p.name)


def loudness_range(a: Analysis, p: Profile) -> list[Finding]:
    """Loudness range (EBU Tech 3342), reported; checked when the profile sets a maximum."""
    value, limit = a.loudness.lra_lu, p.loudness.lra_max_lu
    if value is None:
        return [Finding("loudness.range", "info", "loudness range undefined (shorter than 3 s or silent)")]
    if limit is not None and value > limit:
        return [Finding("loudness.range", "warn", f"loudness range {show(value, 'LU')} is wider than {limit:g} LU", round(value, 2), f"<= {limit:g} LU")]
    return [Finding("loudness.range", "info", f"loudness range {show(value, 'LU')}", round(value, 2))]


def level_jumps(a: Analysis, p: Profile) -> list[Finding]:
    """Sudden level jumps: short-term loudness changing by more than the limit within a window.

    A deliberate ending (a ring-out or a fade) is meant to fall away: only windows that end
    before it starts count.
    """
    L, limit, window = a.loudness, p.signal.level_jump_max_lu, p.signal.level_jump_window_s
    steps = max(1, round(window / L.hop_s))
    series = np.array([np.nan if v is None else v for v in L.short_term_lufs], dtype=float)
    ending = a.music.ending
    if ending.type in ("ring_out", "fade") and ending.start is not None:
        series = series[: max(0, int(ending.start / L.hop_s))]
    if len(series) <= steps:
        return []
    change = series[steps:] - series[:-steps]
    if np.all(np.isnan(change)):
        return []
    i = int(np.nanargmax(np.abs(change)))
    jump = float(change[i])
    start, end = _locate_step(L.momentary_lufs, i - round(3.0 / L.hop_s), i + steps, jump, L.hop_s)
    expected = f"<= {limit:g} LU within {window:g} s"
    if abs(jump) <= limit:
        return [Finding("loudness.level_jump", "pass", f"largest short-term change {abs(jump):.1f} LU within {window:g} s", round(abs(jump), 2), expected)]
    word = "jumps up" if jump > 0 else "drops"
    return [Finding("loudness.level_jump", "warn", f"level {word} by {abs(jump):.1f} LU within {window:g} s", round(abs(jump), 2), expected, round(start, 2), round(end, 2), fix="check the arrangement there; ride the level or re-render the section")]


def _locate_step(momentary: list, first: int, last: int, sign: float, hop: float) -> tuple[float, float]:
    """Time range (s) of the steepest 400 ms momentary change of ``sign``'s direction.

    ``first``/``last`` bound the search in series indices; value ``k`` of the momentary
    series is the window ending at ``(k + 1) * hop``.
    """
    span = round(0.4 / hop)
    m = np.array([np.nan if v is None else v for v in momentary], dtype=float)
    lo, hi = max(0, first), min(len(m) - span, last)
    if hi <= lo:
        return (max(0, first) + 1) * hop, (last + 1) * hop
    delta = (m[lo + span : hi + span] - m[lo:hi]) * np.sign(sign)
    k = lo + int(np.nanargmax(np.nan_to_num(delta, nan=-np.inf)))
    return (k + 1) * hop, (k + 1 + span) * hop


CHECKS = [integrated, true_peak, sample_peak, short_term_max, momentary_max, loudness_range, level_jumps]
