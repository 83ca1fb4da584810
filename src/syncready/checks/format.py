"""Checks on the file itself: container, sample rate, bit depth, lossy source, duration."""

from __future__ import annotations

from ..analysis import Analysis
from .finding import Finding
from .profile import Profile

_CONVERT = "syncready master IN --profile {profile} -o OUT.wav"


def delivery_format(a: Analysis, p: Profile) -> list[Finding]:
    """The file's container, rate and depth against the profile's delivery format."""
    src, want = a.source, p.delivery
    fix = _CONVERT.format(profile=p.name)
    found = []
    pairs = [
        ("format.container", src.container, want.container, "container"),
        ("format.sample_rate", src.sample_rate, want.sample_rate, "sample rate"),
        ("format.bit_depth", src.bit_depth, want.bit_depth, "bit depth"),
    ]
    for check, have, expected, what in pairs:
        if have == expected:
            found.append(Finding(check, "pass", f"{what} is {have}", have, str(expected)))
        else:
            found.append(Finding(check, "fail", f"{what} is {have or 'unknown'}, the profile delivers {expected}", have, str(expected), fix=fix))
    return found


def lossy_source(a: Analysis, p: Profile) -> list[Finding]:
    """A lossy source (MP3, AAC...) cannot become a lossless master by conversion."""
    if not a.source.lossy:
        return [Finding("format.lossy", "pass", f"lossless source ({a.source.codec})", a.source.codec, "lossless")]
    severity = "fail" if p.delivery.lossless else "warn"
    return [Finding(
        "format.lossy", severity,
        f"lossy source ({a.source.codec}): ask the generator for a WAV or FLAC export",
        a.source.codec, "lossless",
        fix="re-export lossless from the generator; converting a lossy file does not restore it",
    )]


def duration(a: Analysis, p: Profile) -> list[Finding]:
    """Files shorter than a 400 ms gating block have no defined loudness."""
    seconds = a.source.duration_s
    limit = p.signal.min_duration_s
    if seconds < limit:
        return [Finding("format.duration", "fail", f"only {seconds:.3f} s long: too short to measure loudness (needs {limit} s)", round(seconds, 3), f">= {limit} s")]
    return [Finding("format.duration", "pass", f"{seconds:.1f} s long", round(seconds, 3), f">= {limit} s")]


CHECKS = [duration, delivery_format, lossy_source]
