"""Frequency-content checks: effective bandwidth (a spectral cutoff well below Nyquist)."""

from __future__ import annotations

from ..analysis import Analysis
from .finding import Finding
from .profile import Profile


def bandwidth(a: Analysis, p: Profile) -> list[Finding]:
    """A top end that stops well below Nyquist says 'lossy or generator-limited source'."""
    s, limit = a.spectrum, p.signal.min_bandwidth_hz
    if s.bandwidth_hz is None:
        return []
    expected = f">= {limit / 1000:g} kHz"
    khz = s.bandwidth_hz / 1000
    if s.bandwidth_hz >= limit:
        return [Finding("spectrum.bandwidth", "pass", f"content up to {khz:.1f} kHz", round(s.bandwidth_hz), expected)]
    if s.cutoff_hz is None:
        message = f"the sample rate limits the top end to {khz:.1f} kHz"
    else:
        message = f"the top end stops at {khz:.1f} kHz: lossy or generator-limited source"
    return [Finding("spectrum.bandwidth", "warn", message, round(s.bandwidth_hz), expected, fix="export at full bandwidth from the generator; a cut top end cannot be restored (only faked)")]


CHECKS = [bandwidth]
