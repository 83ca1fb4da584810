"""True peak at any oversampling factor, and the oversampled peak envelope a limiter needs.

Conventions
-----------
- Samples are float32 or float64 arrays of shape ``(channels, frames)`` (1-D for mono), full
  scale +-1.0. Peaks are linear magnitudes; callers convert to dBTP.
- Interpolator: ``factor`` polyphase branches of a Kaiser-windowed sinc (beta
  :data:`TP_KAISER_BETA`, :data:`TP_HALF_TAPS` taps either side), each branch normalised to
  unit DC gain. Branch 0 is the sample itself; branch ``p`` is the value ``p / factor`` of a
  sample period after it. The same design serves the loudness meter (4x) and the mastering
  ceiling check (8x). The signal is taken as zero outside the array, so the ringing of an
  abrupt start or end counts.
- Every local maximum of the oversampled magnitude is refined by the vertex of the parabola
  through it and its two neighbours, which removes most of the grid's scalloping loss (at 8x
  the remaining error on a sine is a few thousandths of a dB).
- Interval ``i`` of a signal is the time from sample ``i`` up to, not including, sample
  ``i + 1``: the sample itself and the ``factor - 1`` interpolated values after it.

Speed: the kernels work on chunks of :data:`_CHUNK` centres and skip a chunk when a provable
bound (largest input magnitude near the chunk times the largest L1 norm of a branch times the
largest parabolic rise, 9/8) cannot beat the peak found so far (:func:`true_peak`) or a floor
the caller does not care about (:func:`peak_envelope`). Channels run in parallel threads.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

from ..workers import per_channel

__all__ = ["TP_HALF_TAPS", "TP_KAISER_BETA", "interpolator", "peak_envelope", "scan_peak", "true_peak"]

TP_HALF_TAPS = 12
"""Taps of the interpolator on either side of a centre (24 taps per branch)."""
TP_KAISER_BETA = 5.5
"""Kaiser window shape of the interpolator."""
_MAX_PARABOLIC_RISE = 1.125  # a parabola through a local max c >= a, b >= 0 peaks below 9c/8
_CHUNK = 256


@lru_cache(maxsize=None)
def interpolator(factor: int) -> tuple[np.ndarray, float]:
    """Branches ``1 .. factor - 1`` of the polyphase interpolator and their bound gain.

    Parameters
    ----------
    factor : int
        Oversampling factor, at least 2.

    Returns
    -------
    phases : numpy.ndarray
        float32, shape ``(factor - 1, 2 * TP_HALF_TAPS)``; row ``p - 1`` is branch ``p``,
        applied to the samples ``c - TP_HALF_TAPS + 1 .. c + TP_HALF_TAPS`` around centre ``c``.
    bound_gain : float
        No refined oversampled magnitude exceeds ``bound_gain`` times the largest input
        magnitude among the samples it depends on.
    """
    if factor < 2:
        raise ValueError(f"oversampling factor must be at least 2, got {factor}")
    m = TP_HALF_TAPS
    taps = np.arange(-m + 1, m + 1)
    phases = np.empty((factor - 1, 2 * m))
    for p in range(1, factor):
        tau = taps - p / factor
        h = np.sinc(tau) * np.i0(TP_KAISER_BETA * np.sqrt(1.0 - (tau / m) ** 2))
        phases[p - 1] = h / h.sum()
    l1 = max(1.0, float(np.abs(phases).sum(axis=1).max()))
    return phases.astype(np.float32), l1 * _MAX_PARABOLIC_RISE


@njit(cache=True, nogil=True, fastmath=True)
def _bound(ext, lo, hi):  # pragma: no cover - compiled
    """Largest ``|ext[lo:hi]|``."""
    top = np.float32(0.0)
    for j in range(lo, hi):
        top = max(top, abs(ext[j]))
    return top


@njit(cache=True, nogil=True, fastmath=True)
def _interpolate(ext, g, c0, n, acc):  # pragma: no cover - compiled
    """``acc[p - 1, j]`` = branch ``p`` after centre ``c0 - 1 + j``, for ``j <= n`` (column 0
    is the centre before the chunk ``c0 .. c0 + n - 1``)."""
    m = g.shape[1] // 2
    for p in range(g.shape[0]):
        row = acc[p]
        for j in range(n + 1):
            row[j] = 0.0
        for t in range(2 * m):
            h = g[p, t]
            xs = ext[c0 - m + t : c0 - m + t + n + 1]
            for j in range(n + 1):
                row[j] += h * xs[j]


@njit(cache=True, nogil=True, fastmath=True)
def _chunk_top(ext, c0, n, acc):  # pragma: no cover - compiled
    """Largest unrefined magnitude in the intervals of the centres ``c0 .. c0 + n - 1``."""
    top = _bound(ext, c0, c0 + n + 1)
    for p in range(acc.shape[0]):
        for j in range(1, n + 1):
            top = max(top, abs(acc[p, j]))
    return top


@njit(cache=True, nogil=True, fastmath=True)
def _chunk_envelope(ext, c0, n, acc, mag, out):  # pragma: no cover - compiled
    """``out[j]`` = largest refined magnitude in the interval of centre ``c0 + j``, for
    ``j < n`` (``acc`` from :func:`_interpolate`; ``mag`` is scratch of shape
    ``(factor + 2, n)`` or wider)."""
    factor = acc.shape[0] + 1
    # Row b + 1 of mag holds branch b of every centre: row 0 the last branch of the centre
    # before, row 1 the samples, row factor + 1 the next samples.
    for j in range(n):
        mag[0, j] = abs(acc[factor - 2, j])
        mag[1, j] = abs(ext[c0 + j])
        mag[factor + 1, j] = abs(ext[c0 + j + 1])
    for p in range(1, factor):
        for j in range(n):
            mag[p + 1, j] = abs(acc[p - 1, j + 1])
    for j in range(n):
        out[j] = 0.0
    # Parabolic refinement of every local maximum, branch-free so that it vectorises.
    tiny, eighth = np.float32(1e-30), np.float32(0.125)
    for b in range(1, factor + 1):
        left, mid, right = mag[b - 1], mag[b], mag[b + 1]
        for j in range(n):
            a, c, e = left[j], mid[j], right[j]
            d = c + c - a - e
            vertex = c + eighth * (a - e) * (a - e) / max(d, tiny)
            out[j] = max(out[j], vertex if (c >= a) & (c >= e) & (d > 0) else c)


@njit(cache=True, nogil=True, fastmath=True)
def scan_peak(ext, g, bound_gain, peak):  # pragma: no cover - compiled
    """Largest refined oversampled magnitude over the centres ``m .. len(ext) - m - 1`` of one
    channel ``ext`` (float32; ``m`` = :data:`TP_HALF_TAPS`), or ``peak`` if nothing beats it.

    ``g, bound_gain`` come from :func:`interpolator`. Streaming callers keep the last
    ``2 * m`` samples of a block in front of the next one (and ``2 * m`` zeros at both ends of
    the signal), so every centre is scanned exactly once.
    """
    m = g.shape[1] // 2
    hi = ext.shape[0] - m
    acc = np.empty((g.shape[0], _CHUNK + 1), np.float32)
    mag = np.empty((g.shape[0] + 3, _CHUNK), np.float32)
    out = np.empty(_CHUNK, np.float32)
    for c0 in range(m, hi, _CHUNK):
        n = min(_CHUNK, hi - c0)
        if _bound(ext, c0 - m, c0 + n + m) * bound_gain <= peak:
            continue
        _interpolate(ext, g, c0, n, acc)
        if _chunk_top(ext, c0, n, acc) * _MAX_PARABOLIC_RISE <= peak:
            continue
        _chunk_envelope(ext, c0, n, acc, mag, out)
        for j in range(n):
            peak = max(peak, out[j])
    return peak


@njit(cache=True, nogil=True, fastmath=True)
def _envelope(ext, g, bound_gain, floor, env):  # pragma: no cover - compiled
    """``env[c - m]`` = largest refined magnitude in the interval of centre ``c`` for the
    centres ``m .. len(ext) - m - 1``; where that cannot exceed ``floor`` the sample's own
    magnitude stands in (a value at most ``floor``)."""
    m = g.shape[1] // 2
    hi = ext.shape[0] - m
    acc = np.empty((g.shape[0], _CHUNK + 1), np.float32)
    mag = np.empty((g.shape[0] + 3, _CHUNK), np.float32)
    for c0 in range(m, hi, _CHUNK):
        n = min(_CHUNK, hi - c0)
        out = env[c0 - m : c0 - m + n]
        if _bound(ext, c0 - m, c0 + n + m) * bound_gain > floor:
            _interpolate(ext, g, c0, n, acc)
            if _chunk_top(ext, c0, n, acc) * _MAX_PARABOLIC_RISE > floor:
                _chunk_envelope(ext, c0, n, acc, mag, out)
                continue
        for j in range(n):
            out[j] = abs(ext[c0 + j])


def _channels(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.ndim == 1:
        samples = samples[np.newaxis]
    if samples.ndim != 2:
        raise ValueError(f"samples must have shape (channels, frames), got {samples.shape}")
    return samples


def true_peak(samples: np.ndarray, sample_rate: int, oversample: int = 8) -> float:
    """Largest true-peak magnitude over all channels, linear.

    Parameters
    ----------
    samples : numpy.ndarray
        float32 or float64, shape ``(channels, frames)`` (1-D for mono); computed in float32.
    sample_rate : int
        Sample rate, Hz. The interpolator works in sample periods, so the value depends only
        on the samples; the rate is checked for the caller's sake.
    oversample : int
        Oversampling factor (8 checks a mastering ceiling; the meter uses 4).

    Returns
    -------
    float
        At least the sample peak; 0.0 for digital silence or no samples.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    samples = _channels(samples)
    g, bound_gain = interpolator(oversample)
    pad = np.zeros(2 * TP_HALF_TAPS, np.float32)

    def run(c: int) -> float:
        ext = np.concatenate((pad, samples[c].astype(np.float32, copy=False), pad))
        return float(scan_peak(ext, g, bound_gain, np.float32(0.0)))

    return max(per_channel(run, samples.shape[0]), default=0.0)


def peak_envelope(samples: np.ndarray, oversample: int = 4, floor: float = 0.0) -> np.ndarray:
    """Linked oversampled peak of every interval: what a true-peak limiter must hold down.

    Parameters
    ----------
    samples : numpy.ndarray
        float32 or float64, shape ``(channels, frames)`` (1-D for mono).
    oversample : int
        Oversampling factor of the detection (at least 2).
    floor : float
        Linear level below which the caller does not need the exact value: where the
        envelope cannot exceed ``floor`` it holds the larger sample magnitude instead (at
        most ``floor``). 0.0 computes every interval.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(frames,)``: entry ``i`` is the largest refined oversampled
        magnitude over all channels from sample ``i`` up to sample ``i + 1``.
    """
    samples = _channels(samples)
    g, bound_gain = interpolator(oversample)
    m = TP_HALF_TAPS
    pad = np.zeros(m, np.float32)
    frames = samples.shape[1]

    def run(c: int) -> np.ndarray:
        ext = np.concatenate((pad, samples[c].astype(np.float32, copy=False), pad))
        env = np.empty(frames, np.float32)
        _envelope(ext, g, bound_gain, np.float32(floor), env)
        return env

    envelopes = per_channel(run, samples.shape[0])
    linked = envelopes[0]
    for env in envelopes[1:]:
        np.maximum(linked, env, out=linked)
    return linked
