"""Sample-level checks: silence, clipping, overs, DC offset, dropouts, noise floor."""

from __future__ import annotations

import numpy as np

from ..analysis import Analysis
from ..analysis.levels import SOUND_DBFS
from .finding import Finding, show
from .profile import Profile


def silent(a: Analysis, p: Profile) -> list[Finding]:
    """A file with no sample above the sound threshold has nothing to deliver."""
    if a.levels.head_s is None:
        return [Finding("signal.silent", "fail", f"the file is silent: no sample above {SOUND_DBFS:g} dBFS")]
    return []


def clipping(a: Analysis, p: Profile) -> list[Finding]:
    """Runs of full-scale samples (flattened peaks)."""
    L, limit = a.levels, p.signal.clip_events_max
    expected = f"<= {limit} clipped runs"
    if L.clip_count <= limit:
        return [Finding("signal.clipping", "pass", "no clipped runs", L.clip_count, expected)]
    first = L.clips[0]
    where = ", ".join(f"{c.start_s:.2f} s" for c in L.clips[:3])
    return [Finding(
        "signal.clipping", "fail",
        f"{L.clip_count} clipped runs ({L.clipped_samples} samples at full scale), first at {where}",
        L.clip_count, expected, round(first.start_s, 4), round(L.clips[-1].end_s, 4),
        fix="re-export from the generator without clipping; a limiter cannot restore flattened peaks",
    )]


def overs(a: Analysis, p: Profile) -> list[Finding]:
    """Float samples beyond full scale clip when converted to integer PCM."""
    if a.levels.overs == 0:
        return []
    return [Finding("signal.overs", "warn", f"{a.levels.overs} samples beyond full scale (float file): they clip on conversion", a.levels.overs, "0", fix=f"syncready master IN --profile {p.name} -o OUT.wav")]


def dc_offset(a: Analysis, p: Profile) -> list[Finding]:
    """Mean sample value per channel (a DC offset wastes headroom and clicks at edits)."""
    worst = max((abs(v) for v in a.levels.dc_offset), default=0.0)
    value = 20 * np.log10(worst) if worst > 0 else None
    limit = p.signal.dc_offset_max_dbfs
    expected = f"<= {limit:g} dBFS"
    if value is None or value <= limit:
        return [Finding("signal.dc_offset", "pass", f"DC offset {show(value, 'dBFS')}", None if value is None else round(value, 1), expected)]
    return [Finding("signal.dc_offset", "warn", f"DC offset of {show(value, 'dBFS')}", round(value, 1), expected, fix=f"syncready master IN --profile {p.name} -o OUT.wav (high-pass removes DC)")]


def dropouts(a: Analysis, p: Profile) -> list[Finding]:
    """Short runs of digital silence inside the music."""
    found, limit = a.levels.dropouts, p.signal.dropouts_max
    expected = f"<= {limit}"
    if len(found) <= limit:
        return [Finding("signal.dropouts", "pass", "no digital dropouts", len(found), expected)]
    where = ", ".join(f"{d.start_s:.3f} s" for d in found[:3])
    return [Finding("signal.dropouts", "fail", f"{len(found)} digital dropouts (gaps of digital silence inside the music) at {where}", len(found), expected, round(found[0].start_s, 4), round(found[-1].end_s, 4), fix="re-export or repair the gaps in an editor; a dropout is a render or transfer fault")]


def noise_floor(a: Analysis, p: Profile) -> list[Finding]:
    """Level of the quietest passages, reported (dense music has no quiet passage to judge)."""
    value, limit = a.levels.noise_floor_dbfs, p.signal.noise_floor_max_dbfs
    if value is None:
        return []
    severity = "pass" if value <= limit else "info"
    note = "" if severity == "pass" else ": hiss under quiet passages, or simply dense music"
    return [Finding("signal.noise_floor", severity, f"quietest passages at {show(value, 'dBFS')}{note}", round(value, 1), f"<= {limit:g} dBFS")]


CHECKS = [silent, clipping, overs, dc_offset, dropouts, noise_floor]
