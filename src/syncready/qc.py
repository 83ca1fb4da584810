"""Technical QC of one file: analyse, run the checks, and describe the result as JSON.

This is the library face of ``syncready check``: :func:`check_file` returns a
:class:`CheckResult`, and :func:`document` turns it into the documented JSON object
(schema in ``docs/check-json.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .analysis import Analysis, analyze
from .checks import Report, run
from .checks.profile import Profile
from .jsonable import to_jsonable

# Findings that make a file unusable as input: the CLI answers them with exit code 2.
UNUSABLE = ("signal.silent", "format.duration")


@dataclass
class CheckResult:
    """The analysis of one file and the report of the checks on it."""

    analysis: Analysis
    report: Report

    @property
    def unusable(self) -> str | None:
        """The message of the first finding that makes the file unusable, or None."""
        for f in self.report.findings:
            if f.check in UNUSABLE and f.severity == "fail":
                return f.message
        return None


def check_file(path: str | Path, profile: Profile, *, use_cache: bool = True) -> CheckResult:
    """Analyse ``path`` and check it against ``profile``.

    Raises
    ------
    syncready.errors.BadInputError
        The file cannot be read as audio.
    """
    analysis = analyze(path, use_cache=use_cache)
    report = run(analysis, profile)
    report.file = str(path)
    return CheckResult(analysis, report)


def _format(src) -> dict:
    """The ``format`` object shared by the check and analyze documents."""
    return {
        "container": src.container,
        "codec": src.codec,
        "sample_rate": src.sample_rate,
        "bit_depth": src.bit_depth,
        "channels": src.channels,
        "duration_s": round(src.duration_s, 6),
        "lossy": src.lossy,
        "sha256": src.sha256,
    }


def document(result: CheckResult) -> dict:
    """The JSON object ``syncready check --json`` prints for one file."""
    src, loud = result.analysis.source, result.analysis.loudness
    return {
        "file": result.report.file,
        "profile": result.report.profile,
        "verdict": result.report.verdict,
        "format": _format(src),
        "loudness": to_jsonable({
            "integrated_lufs": loud.integrated_lufs,
            "lra_lu": loud.lra_lu,
            "true_peak_dbtp": loud.true_peak_dbtp,
            "sample_peak_dbfs": loud.sample_peak_dbfs,
            "max_momentary_lufs": loud.max_momentary_lufs,
            "max_short_term_lufs": loud.max_short_term_lufs,
        }),
        "findings": to_jsonable(result.report.findings),
        "counts": result.report.counts(),
        "syncready_version": __version__,
    }


def analysis_document(path: str | Path, analysis: Analysis) -> dict:
    """The JSON object ``syncready analyze --json`` prints for one file: the musical analysis."""
    music = to_jsonable(analysis.music)
    return {"file": str(path), "format": _format(analysis.source), **music, "syncready_version": __version__}


def error_document(path: str | Path, profile: str, message: str) -> dict:
    """The JSON object for a file that could not be checked at all."""
    return {"file": str(path), "profile": profile, "verdict": "error", "error": message, "findings": [], "syncready_version": __version__}
