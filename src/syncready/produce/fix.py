"""``syncready fix``: run what the check found fixable, in the right order, and check again.

The order is end -> trim -> master: the ending is repaired on the song as it is (its beat
grid and phrases), trimming then settles head and tail, and mastering comes last so that
loudness and true peak are measured on the final edit and the delivery format is written
once. Each step is the same library call as its own command and verifies its own output;
intermediate files live in a temporary folder. Findings no step can fix (clipping, a cut
top end, a lossy source, dropouts, stereo faults...) are listed with their own advice.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import audio
from ..checks.finding import Finding
from ..checks.profile import Profile
from ..outputs import guard
from ..qc import CheckResult, check_file
from .ending import end
from .files import write_unchanged
from .master import master
from .trim import trim

END_CHECKS = ("music.ending", "timing.hard_stop")
TRIM_CHECKS = ("timing.head", "timing.tail")
MASTER_CHECKS = ("loudness.", "format.container", "format.sample_rate", "format.bit_depth", "signal.overs", "signal.dc_offset")


@dataclass
class FixResult:
    """What ``syncready fix`` did: the steps in order and the checks before and after."""

    input: str
    output: str
    steps: list[dict] = field(default_factory=list)
    not_fixed: list[Finding] = field(default_factory=list)
    before: CheckResult | None = None
    after: CheckResult | None = None


def _matches(finding: Finding, checks: tuple[str, ...]) -> bool:
    return finding.severity in ("fail", "warn") and any(
        finding.check == c or (c.endswith(".") and finding.check.startswith(c)) for c in checks
    )


def plan(before: CheckResult) -> tuple[list[str], list[Finding]]:
    """The steps the findings call for (in running order) and the findings no step fixes."""
    findings = before.report.findings
    steps = [name for name, checks in (("end", END_CHECKS), ("trim", TRIM_CHECKS), ("master", MASTER_CHECKS))
             if any(_matches(f, checks) for f in findings)]
    handled = END_CHECKS + TRIM_CHECKS + MASTER_CHECKS
    left = [f for f in findings if f.severity in ("fail", "warn") and not _matches(f, handled)]
    return steps, left


def fix(path: str | Path, profile: Profile, out_dir: str | Path, *, overwrite: bool = False) -> FixResult:
    """Fix ``path`` for ``profile`` into ``out_dir/<stem>-fixed.wav`` and check the result.

    A track with nothing to fix is copied unchanged (and says so in ``steps``).

    Raises
    ------
    BadInputError
        Unreadable or silent input.
    ContractError
        A step could not make its output to contract (e.g. the loudness target is out of
        reach without crushing the track); nothing is written.
    """
    path = Path(path)
    out = guard(Path(out_dir) / f"{path.stem}-fixed.wav", [path], overwrite=overwrite)
    before = check_file(path, profile)
    steps, left = plan(before)
    result = FixResult(str(path), str(out), not_fixed=left, before=before)
    if not steps:
        write_unchanged(path, audio.load(path), out, overwrite=overwrite)
        result.steps.append({"step": "none", "note": "nothing fixable failed; the track was copied unchanged"})
    else:
        with tempfile.TemporaryDirectory(prefix="syncready-fix-") as scratch:
            current = path
            for k, name in enumerate(steps):
                last = k == len(steps) - 1
                target = out if last else Path(scratch) / f"{k}-{name}.wav"
                done, note = _run(name, current, target, profile, overwrite=overwrite and last)
                result.steps.append({"step": name, "note": note, **dataclasses.asdict(done)})
                current = target
    result.after = check_file(out, profile)
    result.after.report.file = str(out)
    return result


def _run(step: str, source: Path, target: Path, profile: Profile, *, overwrite: bool):
    """Run one step; returns its result object and a one-line note of what it did."""
    if step == "end":
        r = end(source, target, overwrite=overwrite)
        return r, r.note
    if step == "trim":
        r = trim(source, target, profile, overwrite=overwrite)
        return r, r.note
    r = master(source, profile, target, overwrite=overwrite)
    return r, (f"{r.reason}; gain {r.gain_db:+.2f} dB, limiting max {r.gain_reduction_max_db:.2f} dB; "
               f"{r.integrated_lufs:.1f} LUFS, {r.true_peak_dbtp:.1f} dBTP")
