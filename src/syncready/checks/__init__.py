"""Rules that judge an :class:`~syncready.analysis.Analysis` against a delivery profile.

Each check is a small function ``(Analysis, Profile) -> list[Finding]`` living in the module
of its concern (format, loudness, signal, timing, spectrum, stereo, music). No target is a literal
inside a check: every limit comes from the :class:`~syncready.checks.profile.Profile`.
"""

from __future__ import annotations

from ..analysis import Analysis
from . import format, loudness, music, signal, spectrum, stereo, timing
from .finding import Finding, Report
from .profile import Profile

CHECKS = [*format.CHECKS, *signal.CHECKS, *loudness.CHECKS, *timing.CHECKS, *spectrum.CHECKS, *stereo.CHECKS, *music.CHECKS]


def run(analysis: Analysis, profile: Profile) -> Report:
    """Run every check and return the :class:`Report` (findings in check order)."""
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(analysis, profile))
    return Report(file=analysis.source.path or "", profile=profile.name, findings=findings)


__all__ = ["CHECKS", "Finding", "Profile", "Report", "run"]
