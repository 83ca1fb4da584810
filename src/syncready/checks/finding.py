"""Findings and reports: what a check says about a track.

Conventions: ``severity`` is one of ``fail`` (a library would reject the file), ``warn``
(worth fixing, not a rejection), ``info`` (a fact worth knowing) and ``pass``. ``check`` is a
stable dotted id (``loudness.true_peak``) that scripts may rely on. ``measured`` and
``expected`` carry units in their text or are plain numbers in the unit of the check id;
``start_s``/``end_s`` locate the problem in the file when it has a place; ``fix`` names the
command that repairs it, or says why none can.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("fail", "warn", "info", "pass")


@dataclass
class Finding:
    """One verdict of one check."""

    check: str
    severity: str
    message: str
    measured: float | str | None = None
    expected: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    fix: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")


@dataclass
class Report:
    """All findings for one file against one profile."""

    file: str
    profile: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """``fail`` if any finding fails, else ``warn`` if any warns, else ``pass``."""
        severities = {f.severity for f in self.findings}
        return "fail" if "fail" in severities else "warn" if "warn" in severities else "pass"

    def counts(self) -> dict[str, int]:
        """Number of findings per severity."""
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}


def show(value: float | None, unit: str, digits: int = 1) -> str:
    """Format a measured value with its unit for messages ("-7.2 LUFS", "n/a")."""
    return "n/a" if value is None else f"{value:.{digits}f} {unit}".rstrip()


def at_most(check: str, value: float | None, limit: float, expected: str, *, ok: str, bad: str,
            severity: str = "fail", where: tuple[float, float] | None = None, fix: str | None = None,
            digits: int = 3) -> list[Finding]:
    """One finding for an upper limit: ``pass`` with message ``ok`` when ``value <= limit``,
    else ``severity`` with message ``bad``, located at ``where`` (start_s, end_s) and with ``fix``.
    No finding when ``value`` is None (nothing measurable)."""
    if value is None:
        return []
    measured = round(value, digits)
    if value <= limit:
        return [Finding(check, "pass", ok, measured, expected)]
    start, end = where if where else (None, None)
    return [Finding(check, severity, bad, measured, expected, start, end, fix)]
