"""True-peak-safe mastering to a delivery profile (``syncready master``).

What happens, in order
----------------------
1. The track is read (:func:`syncready.audio.load` validates it) and resampled to the
   profile's delivery rate *before* anything else: resampling after the limiter would make
   new inter-sample peaks. A DC offset above the profile's ``dc_offset_max_dbfs`` is
   removed with a zero-phase high-pass at :data:`DC_HIGHPASS_HZ` (not by subtracting the
   mean: an edited file's offset stops where its new ending decays to silence, and a
   subtracted mean would stand in that silence as a hard stop); the input figures are
   measured after that.
2. Already compliant (integrated loudness within the tolerance, true peak under the
   ceiling, or the sample-peak window of a premaster) and neither glue nor tilt asked for:
   the audio is left alone. :func:`master` copies the input's bytes when its format is
   already the delivery format, and otherwise converts it without any gain change.
3. Premasters (``delivery.mastered = false``): gain only, never a limiter. A sample peak
   outside the window is moved to the window's centre (-6 dBFS for ``premaster``), lower if
   the true peak would pass its maximum.
4. Masters: optional tilt EQ and glue compression, then the loop gain -> limit -> measure
   (integrated loudness and 8x true peak) -> adjust, at most :data:`MAX_ITERATIONS` times.
   The gain moves the integrated loudness onto the target; the limiter threshold starts
   :data:`MARGIN_DB` under the ceiling and drops by any 8x overshoot (gain modulation makes
   inter-sample peaks of its own). A profile without a loudness target keeps the gain at
   0 dB and only limits what is above the ceiling.
5. :func:`master` quantises to the profile's bit depth (TPDF dither) in memory, measures
   exactly those samples and writes them (samples on the grid are written unchanged and read
   back bit for bit, so the file is not decoded again); an output that misses the target or the
   ceiling is deleted and :class:`ContractError` raised.

Damage limits: the target is refused (:class:`TargetUnreachable`, nothing written) when
reaching it needs a peak gain reduction above ``max_gain_reduction_db`` (default
:data:`DEFAULT_MAX_GAIN_REDUCTION_DB`), or more than 1 dB of reduction for more than
:data:`LIMITED_SHARE_PER_DB` times ``max_gain_reduction_db`` of the duration (30 % at the
default): beyond these a limiter audibly flattens transients and pumps. The message gives the
loudest level reachable within the limits. Without a loudness target the gain is turned down
instead, to the loudest level the limits allow.

The ceiling is ``true_peak_max_dbtp`` (0 dBTP when the profile has none), or
``loud_true_peak_max_dbtp`` for a result louder than the target; a profile with a stricter
loud ceiling is aimed :data:`AIM_LU` under its target so that the normal ceiling applies.
True peaks are checked both at 8x (reported) and with the loudness meter's 4x (what
``syncready check`` reads); the larger one counts.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

from .. import audio as audio_io
from ..analysis.loudness import measure
from ..analysis.truepeak import TP_HALF_TAPS, interpolator, scan_peak, true_peak
from ..audio import Audio, SourceInfo, quantised
from ..checks.profile import Profile
from ..errors import BadInputError, ContractError, UsageError
from ..outputs import guard
from ..workers import per_channel
from .files import copy_file
from .limiter import GlueSettings, Limiter, LimiterSettings, glue as glue_compress, reduction_db

__all__ = [
    "AIM_LU",
    "CHECK_OVERSAMPLE",
    "DEFAULT_MAX_GAIN_REDUCTION_DB",
    "LIMITED_SHARE_PER_DB",
    "MARGIN_DB",
    "MAX_ITERATIONS",
    "ContractError",
    "MasterResult",
    "TargetUnreachable",
    "check_settings",
    "check_true_peak",
    "master",
    "master_audio",
    "remove_dc",
]

MARGIN_DB = 0.1
"""Safety margin under the true-peak ceiling that the limiter aims for, dB."""
CHECK_OVERSAMPLE = 8
"""Oversampling of the true-peak check of every iteration and of the written file."""
HINT_SLACK_DB = 0.05
"""The 8x check scans only for peaks above the meter's 4x reading less this, dB
(:func:`check_true_peak`; the 4x reading errs by at most 0.04 dB on sines up to 0.45 fs)."""
MAX_ITERATIONS = 6
"""Most gain -> limit -> measure rounds."""
AIM_LU = 0.1
"""The loop stops once the integrated loudness is this close to its aim, LU."""
DEFAULT_MAX_GAIN_REDUCTION_DB = 6.0
"""Default largest peak gain reduction of the limiter, dB."""
MAX_GAIN_REDUCTION_LIMIT_DB = 60.0
"""The largest ``max_gain_reduction_db`` accepted, dB (beyond it there is no music left)."""
MAX_TILT_DB = 12.0
"""The largest tilt accepted either way, dB."""
LIMITED_SHARE_PER_DB = 0.05
"""Share of the duration allowed above 1 dB of gain reduction, per dB of the peak limit."""
DETECTION_ALLOWANCE_DB = 0.03
"""The limiter's first threshold sits this far under ``ceiling - MARGIN_DB``: its 4x
detection reads inter-sample peaks up to a few hundredths of a dB lower than the 8x check."""
CONVERT_MARGIN_DB = 0.05
"""Headroom under the ceiling a compliant track needs to be converted without limiting
(dither and resampling move peaks by hundredths of a dB), dB."""
TILT_PIVOT_HZ = 1000.0
"""Frequency the tilt EQ turns around."""
DC_HIGHPASS_HZ = 5.0
"""Corner of the DC-removing high-pass (2nd-order Butterworth run forwards and backwards:
zero phase, -0.03 dB at 20 Hz), Hz."""
_PREMASTER_EDGE_DB = 3.0  # a one-sided premaster window: aim this far inside its bound


class TargetUnreachable(ContractError):
    """The loudness target needs more limiting than allowed; nothing was written (exit code 1)."""

    def __init__(self, message: str, *, target_lufs: float, reachable_lufs: float | None):
        super().__init__(message)
        self.target_lufs = target_lufs
        self.reachable_lufs = reachable_lufs


@dataclass(frozen=True)
class MasterResult:
    """What :func:`master` did and what the written file measures.

    Attributes
    ----------
    input_path, output_path : str or None
        The files (None in memory, see :func:`master_audio`).
    profile : str
        Profile name.
    changed : bool
        False when the audio was left alone (bytes copied, or samples returned untouched).
    reason : str
        One line: why the file was left alone, converted, or what was done.
    sample_rate_hz, bit_depth : int
        Delivery rate and bit depth of the output.
    input_integrated_lufs, input_true_peak_dbtp : float or None
        The input resampled to the delivery rate, before any gain (true peak at 8x).
    gain_db : float
        Gain applied before the limiter, dB.
    limiter_threshold_dbtp : float or None
        Final limiter threshold; None when no limiter ran.
    gain_reduction_max_db : float
        Largest limiter gain reduction, dB.
    gain_reduction_above_1db_s : float
        Time the limiter reduced the gain by more than 1 dB, seconds.
    glue_gain_reduction_max_db : float
        Largest gain reduction of the glue compressor, dB (0 when off).
    tilt_db : float
        Tilt EQ applied (treble minus bass), dB.
    iterations : int
        Gain -> limit -> measure rounds (0 when nothing was processed).
    integrated_lufs, true_peak_dbtp, sample_peak_dbfs, lra_lu : float or None
        The output as measured (the written file for :func:`master`): integrated loudness,
        true peak at 8x, sample peak, loudness range.
    dc_offset_removed_dbfs : float or None
        The largest channel mean (DC offset) removed, dBFS; None when there was none.
    """

    input_path: str | None
    output_path: str | None
    profile: str
    changed: bool
    reason: str
    sample_rate_hz: int
    bit_depth: int
    input_integrated_lufs: float | None
    input_true_peak_dbtp: float | None
    gain_db: float
    limiter_threshold_dbtp: float | None
    gain_reduction_max_db: float
    gain_reduction_above_1db_s: float
    glue_gain_reduction_max_db: float
    tilt_db: float
    iterations: int
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    lra_lu: float | None
    dc_offset_removed_dbfs: float | None = None


@dataclass(frozen=True)
class _Level:
    """Measures of a signal: loudness meter plus the 8x true peak."""

    integrated_lufs: float | None
    true_peak_dbtp: float | None  # 8x
    peak_dbtp: float | None  # the larger of 8x and the meter's 4x: what must stay under a ceiling
    sample_peak_dbfs: float | None
    lra_lu: float | None


def _db(value: float) -> float | None:
    return 20.0 * math.log10(value) if value > 0.0 else None


def check_true_peak(samples: np.ndarray, sample_rate: int, meter_dbtp: float | None) -> float:
    """The :data:`CHECK_OVERSAMPLE` true peak of ``samples`` (linear), exactly as
    :func:`~syncready.analysis.truepeak.true_peak` gives it, found faster with the loudness
    meter's 4x reading ``meter_dbtp`` of the same samples as a start: the scan skips every
    stretch that provably cannot pass :data:`HINT_SLACK_DB` under it (the 4x reading is within
    a few hundredths of a dB of the truth). Should nothing pass that start, the whole scan runs.
    """
    if meter_dbtp is None:
        return true_peak(samples, sample_rate, CHECK_OVERSAMPLE)
    g, bound_gain = interpolator(CHECK_OVERSAMPLE)
    start = np.float32(10.0 ** ((meter_dbtp - HINT_SLACK_DB) / 20.0))
    pad = np.zeros(2 * TP_HALF_TAPS, np.float32)
    x = samples if samples.ndim == 2 else samples[np.newaxis]

    def scan(c: int) -> float:
        return float(scan_peak(np.concatenate((pad, x[c].astype(np.float32, copy=False), pad)), g, bound_gain, start))

    found = max(per_channel(scan, x.shape[0]))
    return found if found > start else true_peak(samples, sample_rate, CHECK_OVERSAMPLE)


def _level(samples: np.ndarray, sample_rate: int) -> _Level:
    meter = measure(samples, sample_rate)
    tp8 = _db(check_true_peak(samples, sample_rate, meter.true_peak_dbtp))
    peaks = [p for p in (tp8, meter.true_peak_dbtp) if p is not None]
    return _Level(meter.integrated_lufs, tp8, max(peaks, default=None), meter.sample_peak_dbfs, meter.lra_lu)


def ceiling_dbtp(profile: Profile, integrated: float | None) -> float:
    """True-peak ceiling (dBTP) that applies to a result of loudness ``integrated``."""
    targets = profile.loudness
    ceiling = 0.0 if targets.true_peak_max_dbtp is None else targets.true_peak_max_dbtp
    loud = targets.loud_true_peak_max_dbtp
    if loud is not None and targets.integrated_lufs is not None and integrated is not None \
            and integrated > targets.integrated_lufs:
        ceiling = min(ceiling, loud)
    return ceiling


def _broken(level: _Level, profile: Profile, *, margin_db: float = 0.0) -> list[str]:
    """The profile's loudness promises that ``level`` breaks (empty when it complies)."""
    targets, broken = profile.loudness, []
    ceiling = ceiling_dbtp(profile, level.integrated_lufs) - margin_db
    if level.peak_dbtp is not None and level.peak_dbtp > ceiling:
        broken.append(f"true peak {level.peak_dbtp:.2f} dBTP is above {ceiling:g} dBTP")
    if not profile.delivery.mastered:
        low, high, sp = targets.sample_peak_min_dbfs, targets.sample_peak_max_dbfs, level.sample_peak_dbfs
        if sp is not None and ((low is not None and sp < low) or (high is not None and sp > high)):
            broken.append(f"sample peak {sp:.2f} dBFS is outside {low} to {high} dBFS")
    elif targets.integrated_lufs is not None:
        target, tol = targets.integrated_lufs, targets.integrated_tolerance_lu
        if level.integrated_lufs is None or abs(level.integrated_lufs - target) > tol:
            shown = "undefined" if level.integrated_lufs is None else f"{level.integrated_lufs:.2f} LUFS"
            broken.append(f"integrated loudness {shown} is not within {target:g} +- {tol:g} LUFS")
    return broken


def _delivery_format(profile: Profile) -> str:
    d = profile.delivery
    return f"{d.sample_rate / 1000:g} kHz {d.bit_depth}-bit {d.container}"


def _as_delivered(source: SourceInfo | None, profile: Profile) -> bool:
    """Whether a file is already in the delivery format (rate, PCM bit depth, container)."""
    d = profile.delivery
    return (source is not None and source.sample_rate == d.sample_rate and source.container == d.container.upper()
            and source.codec == f"PCM_{d.bit_depth}" and not source.lossy)


def _tilt(samples: np.ndarray, sample_rate: int, tilt_db: float) -> np.ndarray:
    """First-order tilt around :data:`TILT_PIVOT_HZ`: ``-tilt_db / 2`` at DC, ``+tilt_db / 2``
    towards Nyquist (zero and pole placed symmetrically around the pivot, bilinear
    transform pre-warped at the pivot)."""
    g = 10.0 ** (tilt_db / 20.0)
    w = 2.0 * sample_rate * math.tan(math.pi * TILT_PIVOT_HZ / sample_rate)
    # H(s) = (s + w / sqrt(g)) / (s + w * sqrt(g)) * sqrt(g): 1/sqrt(g) at DC, sqrt(g) at HF.
    z, p, k = signal.bilinear_zpk([-w / math.sqrt(g)], [-w * math.sqrt(g)], math.sqrt(g), sample_rate)
    sos = signal.zpk2sos(z, p, k)
    return signal.sosfilt(sos, samples, axis=1).astype(np.float32)


def _silent(level: _Level, audio: Audio) -> BadInputError | None:
    name = audio.source.path if audio.source is not None else "audio"
    if level.sample_peak_dbfs is None:
        return BadInputError(f"{name}: is silent; nothing to master")
    if level.integrated_lufs is None:
        return BadInputError(f"{name}: is silent (no 400 ms stretch above -70 LUFS); nothing to master")
    return None


def _result(profile: Profile, audio: Audio, before: _Level, after: _Level, **fields) -> MasterResult:
    defaults = dict(gain_db=0.0, limiter_threshold_dbtp=None, gain_reduction_max_db=0.0,
                    gain_reduction_above_1db_s=0.0, glue_gain_reduction_max_db=0.0, tilt_db=0.0, iterations=0)
    return MasterResult(
        input_path=audio.source.path if audio.source is not None else None,
        output_path=None,
        profile=profile.name,
        sample_rate_hz=profile.delivery.sample_rate,
        bit_depth=profile.delivery.bit_depth,
        input_integrated_lufs=before.integrated_lufs,
        input_true_peak_dbtp=before.true_peak_dbtp,
        integrated_lufs=after.integrated_lufs,
        true_peak_dbtp=after.true_peak_dbtp,
        sample_peak_dbfs=after.sample_peak_dbfs,
        lra_lu=after.lra_lu,
        **(defaults | fields),
    )


def master_audio(
    audio: Audio,
    profile: Profile,
    *,
    glue: bool = False,
    tilt_db: float = 0.0,
    max_gain_reduction_db: float = DEFAULT_MAX_GAIN_REDUCTION_DB,
    limiter: LimiterSettings = LimiterSettings(),
) -> tuple[Audio, MasterResult]:
    """Master audio in memory to ``profile`` (see the module docstring for the steps).

    Parameters
    ----------
    audio : Audio
        The track, at any rate.
    profile : Profile
        The delivery profile.
    glue : bool
        Gentle glue compression (:class:`~syncready.produce.limiter.GlueSettings`) before the
        limiter.
    tilt_db : float
        Tilt EQ before the limiter: treble minus bass, dB (positive brightens), at most
        :data:`MAX_TILT_DB` either way.
    max_gain_reduction_db : float
        Most peak gain reduction the limiter may apply, dB (above 0, at most
        :data:`MAX_GAIN_REDUCTION_LIMIT_DB`); also scales the time share allowed above 1 dB of
        reduction (:data:`LIMITED_SHARE_PER_DB`).
    limiter : LimiterSettings
        Limiter timing and detection.

    Returns
    -------
    audio : Audio
        float32 at the delivery rate, not yet quantised; ``audio`` itself (or its plain
        resampled version) when nothing had to change.
    result : MasterResult
        ``output_path`` None; the output measures are those of the returned samples.

    Raises
    ------
    BadInputError
        The audio is silent.
    UsageError
        ``tilt_db`` or ``max_gain_reduction_db`` out of range (or not a number).
    TargetUnreachable
        The target needs more limiting than allowed.
    ContractError
        The loop could not meet the profile.
    """
    check_settings(tilt_db, max_gain_reduction_db)
    rate = profile.delivery.sample_rate
    converted, dc_dbfs = _remove_dc(audio_io.resample(audio, rate), profile.signal.dc_offset_max_dbfs)
    before = _level(converted.samples, rate)
    if (error := _silent(before, audio)) is not None:
        raise error
    as_is = _as_delivered(audio.source, profile)
    if not glue and tilt_db == 0.0 and not _broken(before, profile, margin_db=0.0 if as_is else CONVERT_MARGIN_DB):
        reason = f"already meets {profile.name}" + ("" if as_is else f"; converted to {_delivery_format(profile)} without gain change")
        if dc_dbfs is not None:
            reason += f"; removed a DC offset of {dc_dbfs:.1f} dBFS"
        return converted, _result(profile, audio, before, before, changed=dc_dbfs is not None, reason=reason,
                                  dc_offset_removed_dbfs=dc_dbfs)
    if not profile.delivery.mastered:
        x, result = _premaster(converted, profile, audio, before)
    else:
        x, result = _master(converted, profile, audio, before, glue=glue, tilt_db=tilt_db,
                            max_gain_reduction_db=max_gain_reduction_db, settings=limiter)
    return x, dataclasses.replace(result, dc_offset_removed_dbfs=dc_dbfs)


def check_settings(tilt_db: float, max_gain_reduction_db: float) -> None:
    """Refuse a tilt or a limiting allowance out of range (NaN and infinities included)."""
    if not -MAX_TILT_DB <= tilt_db <= MAX_TILT_DB:
        raise UsageError(f"--tilt {tilt_db:g}: give a tilt between -{MAX_TILT_DB:g} and {MAX_TILT_DB:g} dB")
    if not 0.0 < max_gain_reduction_db <= MAX_GAIN_REDUCTION_LIMIT_DB:
        raise UsageError(f"--max-limiting {max_gain_reduction_db:g}: give more than 0 and at most "
                         f"{MAX_GAIN_REDUCTION_LIMIT_DB:g} dB")


def remove_dc(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """``samples`` (``(channels, frames)``) through the DC-removing high-pass
    (:data:`DC_HIGHPASS_HZ`, zero phase), float32. Linear: stems filtered one by one still sum
    to the filtered mix."""
    sos = signal.butter(2, DC_HIGHPASS_HZ, "highpass", fs=sample_rate, output="sos")
    return np.stack(per_channel(lambda c: signal.sosfiltfilt(sos, samples[c]).astype(np.float32), samples.shape[0]))


def _remove_dc(x: Audio, limit_dbfs: float) -> tuple[Audio, float | None]:
    """``x`` through :func:`remove_dc` when the largest channel mean is above ``limit_dbfs``
    (the profile's DC limit: an offset wastes headroom and clicks at edits), and that mean in
    dBFS (None when nothing was removed). The filter follows an offset that changes (one faded
    out with the music) where subtracting the mean cannot."""
    mean = x.samples.mean(axis=1, dtype=np.float64)
    worst = float(np.abs(mean).max())
    if worst <= 10 ** (limit_dbfs / 20):
        return x, None
    return Audio(remove_dc(x.samples, x.sample_rate), x.sample_rate, x.source), round(20 * math.log10(worst), 1)


def _premaster(x: Audio, profile: Profile, audio: Audio, before: _Level) -> tuple[Audio, MasterResult]:
    """Gain only: the sample peak into the window, the true peak under its maximum."""
    targets = profile.loudness
    low, high = targets.sample_peak_min_dbfs, targets.sample_peak_max_dbfs
    sp = before.sample_peak_dbfs
    if low is not None and high is not None:
        want = (low + high) / 2.0
    elif high is not None:
        want = min(sp, high - _PREMASTER_EDGE_DB)
    elif low is not None:
        want = max(sp, low + _PREMASTER_EDGE_DB)
    else:
        want = sp
    gain = min(want - sp, ceiling_dbtp(profile, None) - MARGIN_DB - before.peak_dbtp)
    if low is not None and sp + gain < low:
        raise TargetUnreachable(
            f"{audio.source.path if audio.source else 'audio'}: cannot put the sample peak at or above {low:g} dBFS "
            f"with the true peak under {ceiling_dbtp(profile, None):g} dBTP (inter-sample peaks "
            f"{before.peak_dbtp - sp:.1f} dB over the samples); reduce them at the source",
            target_lufs=math.nan, reachable_lufs=None)
    out = Audio(x.samples * np.float32(10.0 ** (gain / 20.0)), x.sample_rate, x.source)
    after = _level(out.samples, out.sample_rate)
    reason = f"premaster: {gain:+.2f} dB gain to a {sp + gain:.1f} dBFS sample peak, no limiter"
    return out, _result(profile, audio, before, after, changed=True, reason=reason, gain_db=gain, iterations=1)


def _master(x: Audio, profile: Profile, audio: Audio, before: _Level, *, glue: bool, tilt_db: float,
            max_gain_reduction_db: float, settings: LimiterSettings) -> tuple[Audio, MasterResult]:
    """Tilt, glue, then the gain -> limit -> measure loop."""
    rate, samples, glue_db, level = x.sample_rate, x.samples, 0.0, before
    if tilt_db:
        samples = _tilt(samples, rate, tilt_db)
    if glue:
        samples, glue_db = glue_compress(samples, rate, GlueSettings())
    if glue or tilt_db:
        level = _level(samples, rate)
    target = profile.loudness.integrated_lufs
    strict_when_loud = profile.loudness.loud_true_peak_max_dbtp is not None
    aim = None if target is None else target - (AIM_LU if strict_when_loud else 0.0)
    drive = 0.0 if aim is None else aim - level.integrated_lufs
    threshold = ceiling_dbtp(profile, aim) - MARGIN_DB - DETECTION_ALLOWANCE_DB
    limiter = Limiter(samples, rate, settings)
    share_max = min(1.0, LIMITED_SHARE_PER_DB * max_gain_reduction_db)
    if aim is not None:  # anticipate the loudness the limiter will take away
        drive += limiter.level_loss_db(limiter.log_gain(drive, threshold))
    for iteration in range(1, MAX_ITERATIONS + 1):
        limited = limiter.run(drive, threshold)
        if (limited.gain_reduction_max_db > max_gain_reduction_db
                or limited.above_1db_s > share_max * x.duration_s):
            loudest = _loudest_drive(limiter, drive, threshold, max_gain_reduction_db, share_max)
            if aim is not None:
                raise _unreachable(limiter, audio, target, loudest, threshold, max_gain_reduction_db, share_max)
            drive = loudest  # no loudness target: turn down instead of crushing
            limited = limiter.run(drive, threshold)
        level = _level(limited.samples, rate)
        allowed = ceiling_dbtp(profile, level.integrated_lufs) - MARGIN_DB
        peak_ok = level.peak_dbtp is None or level.peak_dbtp <= allowed
        loudness_ok = aim is None or (abs(level.integrated_lufs - aim) <= AIM_LU
                                      and not (strict_when_loud and level.integrated_lufs > target))
        if peak_ok and loudness_ok:
            break
        if not peak_ok:
            threshold -= level.peak_dbtp - allowed + 0.01
        if not loudness_ok:
            drive += aim - level.integrated_lufs
    broken = _broken(level, profile, margin_db=MARGIN_DB / 2)
    if broken:
        raise ContractError(f"{audio.source.path if audio.source else 'audio'}: mastering to {profile.name} "
                            f"did not converge in {MAX_ITERATIONS} rounds: {'; '.join(broken)}")
    limited_any = limited.gain_reduction_max_db > 0.0
    reason = (f"mastered to {profile.name}: {drive:+.2f} dB gain"
              + (f", limiter up to {limited.gain_reduction_max_db:.1f} dB at {threshold:.2f} dBTP" if limited_any else ", no limiting needed"))
    result = _result(profile, audio, before, level, changed=True, reason=reason, gain_db=drive,
                     limiter_threshold_dbtp=threshold if limited_any else None,
                     gain_reduction_max_db=limited.gain_reduction_max_db,
                     gain_reduction_above_1db_s=limited.above_1db_s, glue_gain_reduction_max_db=glue_db,
                     tilt_db=tilt_db, iterations=iteration)
    return Audio(limited.samples, rate, x.source), result


def _loudest_drive(limiter: Limiter, drive: float, threshold: float, max_gr_db: float, share_max: float) -> float:
    """Largest drive (dB, below ``drive``) whose limiting stays within the damage limits,
    by bisection (the damage only grows with the drive)."""
    duration = limiter.samples.shape[1] / limiter.sample_rate
    low, high = drive - max_gr_db - 20.0, drive
    for _ in range(12):
        mid = 0.5 * (low + high)
        deepest, above = reduction_db(limiter.log_gain(mid, threshold), limiter.sample_rate)
        if deepest <= max_gr_db and above <= share_max * duration:
            low = mid
        else:
            high = mid
    return low


def _unreachable(limiter: Limiter, audio: Audio, target: float, loudest: float, threshold: float,
                 max_gr_db: float, share_max: float) -> TargetUnreachable:
    """The refusal, with the loudness of the loudest drive the damage limits allow."""
    reachable = measure(limiter.run(loudest, threshold).samples, limiter.sample_rate).integrated_lufs
    name = audio.source.path if audio.source is not None else "audio"
    shown = "undefined" if reachable is None else f"{reachable:.1f} LUFS"
    return TargetUnreachable(
        f"{name}: cannot reach {target:g} LUFS without crushing it (more than {max_gr_db:g} dB of peak "
        f"limiting or over 1 dB for more than {share_max:.0%} of the time); the loudest within these "
        f"limits is {shown}; allow more with --max-limiting DB",
        target_lufs=target, reachable_lufs=reachable)


def master(
    path: str | Path,
    profile: Profile,
    out: str | Path,
    *,
    overwrite: bool = False,
    glue: bool = False,
    tilt_db: float = 0.0,
    max_gain_reduction_db: float = DEFAULT_MAX_GAIN_REDUCTION_DB,
) -> MasterResult:
    """Master the file ``path`` to ``profile`` and write ``out``, then verify what was written.

    Parameters
    ----------
    path : str or Path
        The track.
    profile : Profile
        The delivery profile.
    out : str or Path
        Destination; ``.wav`` or ``.flac`` matching the profile's container. Never one of the
        inputs; an existing file only with ``overwrite``.
    overwrite : bool
        Allow replacing an existing ``out``.
    glue, tilt_db, max_gain_reduction_db
        As :func:`master_audio`.

    Returns
    -------
    MasterResult
        The output measures are those of the written file's samples.

    Raises
    ------
    BadInputError
        Unreadable, corrupt, empty or silent input.
    UsageError
        Output refused (an input, existing, a folder, wrong suffix); settings out of range.
    TargetUnreachable
        The target needs more limiting than allowed; nothing is written.
    ContractError
        The written file missed the profile; it has been deleted.
    """
    check_settings(tilt_db, max_gain_reduction_db)  # before the track is read
    path, out = Path(path), Path(out)
    suffix = {"WAV": ".wav", "FLAC": ".flac"}.get(profile.delivery.container.upper())
    if out.suffix.lower() != suffix:
        raise UsageError(f"{out}: {profile.name} delivers {profile.delivery.container}; name the output *{suffix}")
    guard(out, [path], overwrite=overwrite)
    track = audio_io.load(path)
    mastered, result = master_audio(track, profile, glue=glue, tilt_db=tilt_db,
                                    max_gain_reduction_db=max_gain_reduction_db)
    if not result.changed and _as_delivered(track.source, profile):
        copy_file(path, out, overwrite=overwrite)
        written = track.samples  # the copied bytes decode to the samples just read
    else:
        written = quantised(mastered.samples, profile.delivery.bit_depth)  # exactly what the file will hold
        audio_io.save(Audio(written, mastered.sample_rate, mastered.source), out, bit_depth=profile.delivery.bit_depth,
                      protect=[path], overwrite=overwrite)
        result = dataclasses.replace(result, changed=True)
    level = _level(written, profile.delivery.sample_rate)
    broken = _broken(level, profile)
    if broken:
        out.unlink(missing_ok=True)
        raise ContractError(f"{out}: the master missed {profile.name} and was not kept: {'; '.join(broken)}")
    return dataclasses.replace(
        result, output_path=str(out), integrated_lufs=level.integrated_lufs, true_peak_dbtp=level.true_peak_dbtp,
        sample_peak_dbfs=level.sample_peak_dbfs, lra_lu=level.lra_lu)
