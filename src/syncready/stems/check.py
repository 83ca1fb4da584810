"""``syncready stems check``: is this stem set deliverable with this mix?

Findings (ids in ``docs/stems.md``): the stem's rate, length and channels against the mix,
its offset, a silent stem, a stem that is the mix itself, a stem that is not in the mix, clipping
or limiting on a stem, and the null test against the profile's ``[stems]`` limits; with
``instrumental=True`` (``check --stems``) also a vocal track without an instrumental version.
Every problem names its fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..checks.finding import Finding, Report
from ..checks.profile import Profile
from ..errors import UsageError
from .stemset import AUDIO_SUFFIXES, NullTest, StemSet, conform, load_set, null_test, place_all, stem_files

FIX = "syncready stems fix MIX --dir DIR -o OUTDIR"
SILENT_DBFS = -90.0
LENGTH_TOL_S = 0.001
IS_MIX_CORRELATION = 0.999
IS_MIX_LEVEL_DB = 0.5
UNRELATED_CORRELATION = 0.05
CLIP_LEVEL = 0.9999
CLIP_RUN = 3
LIMITED_PEAK_DBFS = -3.0  # a stem peaking above this ...
LIMITED_BLOCK_S = 0.1  # ... whose 100 ms blocks ...
LIMITED_NEAR_DB = 0.1  # ... peak within this of its peak ...
LIMITED_SHARE = 0.3  # ... in this share of its loud blocks sits on a limiter's ceiling
VOCAL_ROLES = ("vocals", "backing_vocals")


@dataclass
class StemFacts:
    """What was measured on one stem (offset and correlation at the mix's rate)."""

    path: str
    role: str
    sample_rate: int
    channels: int
    duration_s: float
    offset_ms: float
    correlation: float
    peak_dbfs: float | None
    clip_runs: int
    pinned_share: float


@dataclass
class StemReport:
    """The stems, the null test and the findings."""

    report: Report
    stems: list[StemFacts] = field(default_factory=list)
    null: NullTest | None = None


def _clip_runs(x: np.ndarray) -> int:
    """Runs of at least ``CLIP_RUN`` samples at full scale, over all channels."""
    hot = np.abs(x) >= CLIP_LEVEL
    runs = 0
    for row in hot:
        edges = np.diff(np.concatenate(([0], row.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        runs += int(np.sum(ends - starts >= CLIP_RUN))
    return runs


def _pinned_share(x: np.ndarray, rate: int, peak: float) -> float:
    """Share of the loud 100 ms blocks (peak within 6 dB of the stem's) that peak within
    ``LIMITED_NEAR_DB`` of the stem's peak: near 1 for a limited or clipped stem."""
    n = max(1, int(LIMITED_BLOCK_S * rate))
    count = x.shape[1] // n
    if count == 0 or peak == 0:
        return 0.0
    blocks = np.abs(x[:, : count * n]).reshape(x.shape[0], count, n).max(axis=(0, 2))
    loud = blocks >= peak * 10 ** (-6 / 20)
    return float(np.mean(blocks[loud] >= peak * 10 ** (-LIMITED_NEAR_DB / 20)))


def _facts(stem, offset: int, correlation: float, rate: int) -> StemFacts:
    x = stem.sound.samples
    peak = float(np.abs(x).max()) if x.size else 0.0
    return StemFacts(str(stem.path), stem.role, stem.sound.sample_rate, stem.sound.channels, round(stem.sound.duration_s, 4),
                     round(1000 * offset / rate, 2), round(float(correlation), 4),
                     None if peak == 0 else round(float(20 * np.log10(peak)), 2), _clip_runs(x),
                     round(_pinned_share(x, stem.sound.sample_rate, peak), 3))


def check_set(stems: StemSet, profile: Profile, *, instrumental: bool = False, versions: list[Path] = ()) -> StemReport:
    """Measure ``stems`` against their mix and judge them by ``profile`` (see the module notes).

    ``versions``: audio files delivered beside the stems (an instrumental version is looked
    for by name among them when ``instrumental`` is set).
    """
    mix, rate = stems.mix, stems.mix.sample_rate
    limits = profile.stems
    conformed = [conform(s.sound, mix) for s in stems.stems]
    placements = place_all(conformed, mix)
    facts = [_facts(s, p.offset, p.correlation, rate) for s, p in zip(stems.stems, placements)]
    null = null_test(conformed, [p.offset for p in placements], mix)
    report = Report(str(stems.mix_path), profile.name)
    f = report.findings
    mix_rms = float(np.sqrt(np.mean(mix.samples.astype(np.float64) ** 2)))
    for stem, c, p, facts_ in zip(stems.stems, conformed, placements, facts):
        name = stem.path.name
        if stem.sound.sample_rate != rate:
            f.append(Finding("stems.rate", "fail", f"{name} is at {stem.sound.sample_rate} Hz, the mix at {rate} Hz",
                             stem.sound.sample_rate, str(rate), fix=FIX))
        frames_off = abs(c.shape[1] - mix.frames) / rate
        if frames_off > LENGTH_TOL_S:
            f.append(Finding("stems.length", "warn", f"{name} is {facts_.duration_s:.3f} s long, the mix {mix.duration_s:.3f} s",
                             facts_.duration_s, f"{mix.duration_s:.3f} s", fix=FIX))
        if stem.sound.channels != mix.channels:
            f.append(Finding("stems.channels", "warn", f"{name} has {stem.sound.channels} channel(s), the mix {mix.channels}",
                             stem.sound.channels, str(mix.channels), fix=FIX))
        if facts_.peak_dbfs is None or facts_.peak_dbfs < SILENT_DBFS:
            f.append(Finding("stems.silent", "warn", f"{name} is silent", facts_.peak_dbfs, f"> {SILENT_DBFS:g} dBFS",
                             fix="leave it out of the delivery, or re-export it"))
            continue
        stem_rms = float(np.sqrt(np.mean(c.astype(np.float64) ** 2)))
        if p.correlation >= IS_MIX_CORRELATION and abs(20 * np.log10(stem_rms / mix_rms)) <= IS_MIX_LEVEL_DB:
            f.append(Finding("stems.is_mix", "fail", f"{name} is the mix itself, not a stem", p.correlation, "a part of the mix",
                             fix="export the parts, or split the mix: syncready stems split MIX -o OUTDIR"))
        elif p.correlation < UNRELATED_CORRELATION:
            f.append(Finding("stems.unrelated", "fail", f"{name} does not appear in the mix (correlation {p.correlation:.2f}): from another song or render?",
                             p.correlation, f">= {UNRELATED_CORRELATION:g}", fix="export the stems of this very render"))
        elif abs(facts_.offset_ms) > limits.offset_max_ms:
            word = "late" if facts_.offset_ms > 0 else "early"
            f.append(Finding("stems.offset", "fail", f"{name} is {abs(facts_.offset_ms):.1f} ms {word} against the mix",
                             facts_.offset_ms, f"<= {limits.offset_max_ms:g} ms", fix=FIX))
        if facts_.clip_runs:
            f.append(Finding("stems.clipping", "fail", f"{name} clips ({facts_.clip_runs} flat-topped runs)", facts_.clip_runs, "0",
                             fix="export the stems before the master bus clipper/limiter"))
        elif facts_.peak_dbfs > LIMITED_PEAK_DBFS and facts_.pinned_share >= LIMITED_SHARE:
            f.append(Finding("stems.limited", "warn", f"{name} sits on a limiter ceiling: {100 * facts_.pinned_share:.0f}% of its loud moments peak at {facts_.peak_dbfs:.1f} dBFS",
                             facts_.pinned_share, f"< {LIMITED_SHARE:g}", fix="export the stems without bus limiting"))
    f.append(_null_finding(null, limits))
    if instrumental:
        f.append(_instrumental_finding(stems, limits.instrumental, versions))
    return StemReport(report, facts, null)


def _null_finding(null: NullTest, limits) -> Finding:
    expected = f"<= {limits.null_max_db:g} dB"
    worst = max(null.sections, key=lambda s: s["residual_db"], default=None)
    where = f"; worst section {worst['label']} {worst['start_s']:.1f}-{worst['end_s']:.1f} s at {worst['residual_db']:.1f} dB" if worst else ""
    if null.raw_db <= limits.null_max_db:
        return Finding("stems.null", "pass", f"the stems null against the mix: residual {null.raw_db:.1f} dB", null.raw_db, expected)
    severity = "fail" if null.raw_db > limits.null_fail_db else "warn"
    hint = f" ({null.aligned_db:.1f} dB once aligned)" if null.aligned_db < null.raw_db - 3 else ""
    return Finding("stems.null", severity, f"the stems do not sum to the mix: residual {null.raw_db:.1f} dB{hint}{where}",
                   null.raw_db, expected, fix=f"{FIX} --residual (adds the difference as a stem so the set nulls)")


def _instrumental_finding(stems: StemSet, severity: str, versions: list[Path]) -> Finding:
    vocal = [s for s in stems.stems if s.role in VOCAL_ROLES]
    if not vocal:
        return Finding("stems.instrumental", "pass", "no vocal stem: the mix is its own instrumental", None, "an instrumental version")
    found = [v for v in versions if any(w in v.stem.lower() for w in ("instrumental", "inst", "no vocal", "novocal", "karaoke"))]
    if found:
        return Finding("stems.instrumental", "pass", f"instrumental version: {found[0].name}", found[0].name, "an instrumental version")
    return Finding("stems.instrumental", severity, "a vocal track without an instrumental version", None, "an instrumental version",
                   fix="syncready versions MIX --stems DIR -o OUTDIR --only instrumental")


def check_delivery(mix_path: str | Path, stems_dir: str | Path, profile: Profile, mapping: dict[str, str] | None = None) -> list[Finding]:
    """The stem findings ``check --stems DIR`` adds to a track's report: a missing or empty
    folder is ``stems.missing`` (the profile's ``required`` severity); otherwise the stem
    set's findings, with the instrumental version looked for beside the stems and the mix."""
    folder = Path(stems_dir)
    try:
        paths = stem_files(folder, mix_path)
    except UsageError as exc:
        return [Finding("stems.missing", profile.stems.required, f"no stems delivered: {exc}", None, "a stem set",
                        fix="export stems from the generator, or split the mix: syncready stems split MIX -o OUTDIR")]
    versions = [p for p in Path(mix_path).parent.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES]
    report = check_set(load_set(mix_path, paths, mapping), profile, instrumental=True, versions=versions + paths)
    return report.report.findings
