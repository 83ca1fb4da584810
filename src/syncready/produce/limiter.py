"""Mastering dynamics: a linked look-ahead true-peak limiter and a gentle glue compressor.

Conventions
-----------
- Samples are float32 arrays of shape ``(channels, frames)``, full scale +-1.0.
- Gain curves have one value per frame and are shared by all channels (linked), so a peak in
  one channel turns every channel down by the same amount and the stereo image stays put.
  Internally they are natural logarithms of the linear gain (0 = unity, negative = cut);
  reported amounts are in dB, as gain *reduction* (positive numbers).
- Levels and thresholds are in dBFS / dBTP; times in ms (settings) or s (reports).

The limiter
-----------
Detection: the linked peak envelope of the signal oversampled :attr:`LimiterSettings.
oversample` times (:func:`syncready.analysis.truepeak.peak_envelope`), so inter-sample peaks
are held down, not only samples. For a drive ``D`` and threshold ``T`` every interval ``k``
whose peak ``D * env[k]`` exceeds ``T`` needs the gain ``r[k] = T / (D * env[k])``.

Gain computer (all in the log domain, every step can only lower the gain):

1. hold: ``h[i]`` = the smallest ``r[k]`` for ``k`` in ``[i - G, i + G + A - 1]``, where
   ``A`` is the attack and ``G`` = :data:`~syncready.analysis.truepeak.TP_HALF_TAPS`, the
   reach of the interpolator (the look-ahead is ``A + G`` frames);
2. release: ``q[i] = min(h[i], c * q[i - 1])`` with ``c = exp(-1 / (release * rate))``, an
   exponential return of the reduction (in dB) towards 0 with the release time constant;
3. attack: two trailing moving averages whose lengths add up to ``A + 1`` turn each step
   down into an S-shaped ramp of ``A`` frames (the first frame's value stands in before
   the start, so a signal that starts loud is limited from its first sample).

A moving average over values that are all at most ``r[p]`` is at most ``r[p]``, so the gain is
at or below the need of a peak at ``p`` on the whole reach ``[p - G, p + G]`` of the
interpolator around it: the reduction is complete before the peak arrives (no overshoot),
and every interpolated value near it is scaled by at most ``r[p]``. Gain modulation still
makes new inter-sample peaks where the gain moves; :mod:`syncready.produce.master` measures
the result at 8x and lowers the threshold until it holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..analysis.truepeak import TP_HALF_TAPS, peak_envelope

__all__ = ["GlueSettings", "Limited", "Limiter", "LimiterSettings", "glue", "reduction_db"]

_LN_DB = 20.0 / math.log(10.0)  # dB per neper of amplitude
_FLOOR_SLACK = 0.5  # detect exactly down to 6 dB under the current need, for later iterations


@dataclass(frozen=True)
class LimiterSettings:
    """Limiter timing and detection.

    Attributes
    ----------
    attack_ms : float
        Length of the gain ramp before a peak; the look-ahead is this plus the
        interpolator's reach (12 frames).
    release_ms : float
        Time constant of the return to unity gain after a peak.
    oversample : int
        Oversampling factor of the peak detection (4 or more).
    """

    attack_ms: float = 2.0
    release_ms: float = 80.0
    oversample: int = 4


@dataclass(frozen=True)
class Limited:
    """One pass of the limiter.

    Attributes
    ----------
    samples : numpy.ndarray
        The driven and limited signal, float32 ``(channels, frames)``.
    gain_reduction_max_db : float
        Largest gain reduction (dB, >= 0), drive excluded.
    above_1db_s : float
        Time the gain reduction exceeds 1 dB, seconds.
    """

    samples: np.ndarray
    gain_reduction_max_db: float
    above_1db_s: float


@njit(cache=True, nogil=True)
def _need(env, level, out):  # pragma: no cover - compiled
    """``out[i]`` = ``ln(level / env[i])`` where ``env[i] > level``, else 0; returns whether any
    interval needs a cut."""
    any_cut = False
    log_level = math.log(level)
    for i in range(env.shape[0]):
        if env[i] > level:
            out[i] = log_level - math.log(env[i])
            any_cut = True
        else:
            out[i] = 0.0
    return any_cut


@njit(cache=True, nogil=True)
def _hold(x, before, after, out):  # pragma: no cover - compiled
    """``out[i]`` = smallest of ``x[i - before .. i + after]`` (clipped to the array, values <= 0
    taken as 0 outside it): a sliding minimum with a monotonic queue, O(n)."""
    n = x.shape[0]
    size = 1
    while size < before + after + 2:
        size *= 2
    mask = size - 1
    queue = np.empty(size, np.int64)  # ring of indices whose values increase from the head
    head, count = 0, 0
    for k in range(n + after):
        if k < n:
            while count and x[queue[(head + count - 1) & mask]] >= x[k]:
                count -= 1
            queue[(head + count) & mask] = k
            count += 1
        i = k - after
        if i < 0:
            continue
        while count and queue[head] < i - before:
            head = (head + 1) & mask
            count -= 1
        out[i] = min(0.0, x[queue[head]]) if count else 0.0


@njit(cache=True, nogil=True)
def _release(x, coef):  # pragma: no cover - compiled
    """In place: ``x[i] = min(x[i], coef * x[i - 1])`` (log gains, so ``coef < 1`` recovers)."""
    for i in range(1, x.shape[0]):
        x[i] = min(x[i], coef * x[i - 1])


@njit(cache=True, nogil=True)
def _average(x, width, out):  # pragma: no cover - compiled
    """``out[i]`` = mean of ``x[i - width + 1 .. i]``, with ``x[0]`` standing in before the
    start (a gain that is down at the first frame was down before it too)."""
    if x.shape[0] == 0:
        return
    total = width * np.float64(x[0])
    for i in range(x.shape[0]):
        total += x[i] - (x[i - width] if i >= width else x[0])
        out[i] = total / width


def reduction_db(log_gain: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """Largest gain reduction (dB) and the time (s) it exceeds 1 dB, from a log gain curve."""
    if log_gain.size == 0:
        return 0.0, 0.0
    deepest = -float(log_gain.min()) * _LN_DB
    above = int(np.count_nonzero(log_gain < -1.0 / _LN_DB))
    return max(0.0, deepest), above / sample_rate


class Limiter:
    """A true-peak limiter bound to one signal: detects once, then tries drives and thresholds.

    Parameters
    ----------
    samples : numpy.ndarray
        float32 ``(channels, frames)``, before the drive.
    sample_rate : int
        Sample rate, Hz.
    settings : LimiterSettings
        Timing and detection.
    """

    def __init__(self, samples: np.ndarray, sample_rate: int, settings: LimiterSettings = LimiterSettings()):
        if settings.oversample < 4:
            raise ValueError(f"limiter detection needs at least 4x oversampling, got {settings.oversample}")
        self.samples = np.ascontiguousarray(samples, dtype=np.float32)
        self.sample_rate = int(sample_rate)
        self.settings = settings
        self._attack = max(1, round(settings.attack_ms * 1e-3 * self.sample_rate))
        self._release = math.exp(-1.0 / max(1.0, settings.release_ms * 1e-3 * self.sample_rate))
        self._envelope: np.ndarray | None = None
        self._floor = math.inf
        self._power: np.ndarray | None = None

    @property
    def lookahead_frames(self) -> int:
        """Frames between the first gain change and the peak that caused it."""
        return self._attack + TP_HALF_TAPS

    def _detect(self, level: float) -> np.ndarray:
        """The peak envelope, exact wherever it may exceed ``level`` (linear, before the drive)."""
        if self._envelope is None or level < self._floor:
            self._floor = level * _FLOOR_SLACK
            self._envelope = peak_envelope(self.samples, self.settings.oversample, self._floor)
        return self._envelope

    def log_gain(self, drive_db: float, threshold_dbtp: float) -> np.ndarray:
        """Per-frame log gain (<= 0, drive excluded) that holds ``drive * signal`` under the
        threshold at the detection's oversampling.

        Parameters
        ----------
        drive_db : float
            Gain applied before the limiter, dB.
        threshold_dbtp : float
            Largest oversampled peak allowed after it, dBTP.

        Returns
        -------
        numpy.ndarray
            float32, shape ``(frames,)``.
        """
        level = 10.0 ** ((threshold_dbtp - drive_db) / 20.0)
        env = self._detect(level)
        need = np.empty(env.size, np.float32)
        if not _need(env, level, need):
            return need
        held = np.empty_like(need)
        _hold(need, TP_HALF_TAPS, TP_HALF_TAPS + self._attack - 1, held)
        _release(held, self._release)
        first = (self._attack + 1) // 2
        _average(held, first, need)
        _average(need, self._attack + 1 - first, held)
        return held

    def level_loss_db(self, log_gain: np.ndarray) -> float:
        """Estimated level the gain reduction ``log_gain`` takes away, dB (>= 0): the
        power-weighted mean of the squared gain (unweighted and ungated, so only a guess of the
        loudness change, good to a few hundredths of a dB for light limiting)."""
        if self._power is None:
            self._power = np.mean(np.square(self.samples), axis=0)
        total = float(self._power.sum(dtype=np.float64))
        if total == 0.0:
            return 0.0
        kept = float(np.dot(self._power, np.exp(2.0 * log_gain)))
        return -10.0 * math.log10(max(kept, 1e-30) / total)

    def run(self, drive_db: float, threshold_dbtp: float) -> Limited:
        """Drive the signal by ``drive_db`` and limit it at ``threshold_dbtp``."""
        log_gain = self.log_gain(drive_db, threshold_dbtp)
        gain = np.exp(log_gain)
        gain *= np.float32(10.0 ** (drive_db / 20.0))
        deepest, above = reduction_db(log_gain, self.sample_rate)
        return Limited(self.samples * gain, deepest, above)


# --------------------------------------------------------------------------- glue


@dataclass(frozen=True)
class GlueSettings:
    """A gentle linked bus compressor ("glue"), feed-forward with an RMS detector.

    Attributes
    ----------
    threshold_db : float
        Threshold relative to the RMS level of the whole signal, dB (so the same setting
        works on quiet and loud mixes).
    ratio : float
        Compression ratio above the threshold.
    knee_db : float
        Width of the soft knee, dB.
    attack_ms, release_ms : float
        Time constants of the gain smoothing.
    rms_ms : float
        Time constant of the RMS detector.
    """

    threshold_db: float = -3.0
    ratio: float = 1.5
    knee_db: float = 6.0
    attack_ms: float = 30.0
    release_ms: float = 250.0
    rms_ms: float = 20.0


@njit(cache=True, nogil=True)
def _glue_gain(power, threshold_db, slope, knee_db, rms_coef, attack_coef, release_coef, out):  # pragma: no cover - compiled
    """Per-frame gain in dB (<= 0) of a soft-knee compressor on the mean-square ``power``;
    ``slope`` = ``1 / ratio - 1``. Returns the deepest value."""
    mean_square = 0.0
    smooth = 0.0
    deepest = 0.0
    half = 0.5 * knee_db
    for i in range(power.shape[0]):
        mean_square += (1.0 - rms_coef) * (power[i] - mean_square)
        over = 10.0 * math.log10(mean_square + 1e-20) - threshold_db
        if over <= -half:
            target = 0.0
        elif over < half:
            target = slope * (over + half) * (over + half) / (2.0 * knee_db)
        else:
            target = slope * over
        coef = attack_coef if target < smooth else release_coef
        smooth = target + coef * (smooth - target)
        out[i] = smooth
        deepest = min(deepest, smooth)
    return deepest


def glue(samples: np.ndarray, sample_rate: int, settings: GlueSettings = GlueSettings()) -> tuple[np.ndarray, float]:
    """Compress gently, all channels linked.

    Returns
    -------
    samples : numpy.ndarray
        float32 ``(channels, frames)``; no make-up gain (the mastering gain follows).
    gain_reduction_max_db : float
        Largest gain reduction, dB (>= 0).
    """
    if settings.ratio < 1.0 or settings.knee_db <= 0.0:
        raise ValueError("glue needs a ratio of at least 1 and a positive knee")
    power = np.mean(np.square(samples, dtype=np.float64), axis=0)
    mean = float(power.mean())
    if mean == 0.0:
        return samples, 0.0
    coef = [math.exp(-1.0 / max(1.0, ms * 1e-3 * sample_rate))
            for ms in (settings.rms_ms, settings.attack_ms, settings.release_ms)]
    gain_db = np.empty(power.size)
    threshold = 10.0 * math.log10(mean) + settings.threshold_db
    deepest = _glue_gain(power, threshold, 1.0 / settings.ratio - 1.0, settings.knee_db, *coef, gain_db)
    gain = (10.0 ** (gain_db / 20.0)).astype(np.float32)
    return samples * gain, -deepest
