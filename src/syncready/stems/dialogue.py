"""A dialogue-friendly dip: the bed's speech band turned down where it is loud against the rest.

A voice-over laid on an underscore competes with the music in the band that carries speech
intelligibility (1-4 kHz). :func:`dip` lowers that band gently and only while it stands out.

The law
-------
1. Split (zero phase, exact): ``low = LP(x)``, ``high = HP(x)``, ``band = x - low - high``,
   ``rest = x - band``. LP and HP are Butterworth filters of order :attr:`DipSettings.order`
   at ``low_hz`` and ``high_hz``, run forwards and backwards (magnitude ``|H|^2``, no phase
   shift), so the band's edges are at -6 dB and ``band + rest`` is ``x``. At 200 Hz the band
   holds ``(200 / 1000) ** 8`` of the signal (-112 dB) with the defaults: the low end is
   untouched.
2. Envelopes: the channel-mean squares of ``band`` and ``rest``, each through a one-pole
   follower that rises with the attack time constant and falls with the release one, starting
   from the mean over the first attack time (so the first samples of a sound do not read as
   the whole picture).
3. Dip, in dB, per frame: ``d = clip((E_band - E_rest - threshold_db) * (1 - 1 / ratio), 0,
   max_dip_db)`` with ``E`` the envelopes in dB; no dip where the band envelope is under
   ``floor_dbfs`` (silence). With the defaults a band 15 dB under the rest of the bed is left
   alone, one 9 dB under it is dipped 3 dB, and no dip exceeds 6 dB.
4. ``out = x - (1 - 10 ** (-d / 20)) * band`` (``rest`` plus the dipped band; where there is
   no dip the samples are untouched, to the bit).

Conventions: samples are float32 ``(channels, frames)``, full scale +-1.0; levels are
mean-square levels in dB relative to full scale (a full-scale sine reads -3 dB); times in ms
(settings); frequencies in Hz.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import signal

from ..errors import UsageError

__all__ = ["DialogueDip", "DipSettings", "band_level_db", "dip", "split"]

_SILENT_DB = -200.0  # level reported for a band with no energy at all


@dataclass(frozen=True)
class DipSettings:
    """The dip's band, timing and law (see the module notes).

    Attributes
    ----------
    low_hz, high_hz : float
        Band edges (-6 dB points), Hz.
    order : int
        Order of each Butterworth crossover filter (doubled by the forward-backward run).
    attack_ms, release_ms : float
        Time constants of the envelope followers while rising and falling.
    threshold_db : float
        Band level relative to the rest of the bed above which the dip starts, dB.
    ratio : float
        The dip takes ``1 - 1 / ratio`` of the excess over the threshold.
    max_dip_db : float
        Largest dip, dB.
    floor_dbfs : float
        No dip while the band's envelope is below this level, dB.
    """

    low_hz: float = 1000.0
    high_hz: float = 4000.0
    order: int = 4
    attack_ms: float = 50.0
    release_ms: float = 300.0
    threshold_db: float = -15.0
    ratio: float = 2.0
    max_dip_db: float = 6.0
    floor_dbfs: float = -70.0


@dataclass(frozen=True)
class DialogueDip:
    """What :func:`dip` did.

    Attributes
    ----------
    band_low_hz, band_high_hz : float
        The speech band, Hz.
    band_before_db, band_after_db : float
        Mean-square level of the band over the whole signal before and after the dip, dB
        (the band of the output is split again to measure it).
    dip_max_db : float
        Largest dip, dB (>= 0).
    """

    band_low_hz: float
    band_high_hz: float
    band_before_db: float
    band_after_db: float
    dip_max_db: float


def split(samples: np.ndarray, sample_rate: int, settings: DipSettings = DipSettings()) -> np.ndarray:
    """The speech band of ``samples`` (``x - LP(x) - HP(x)``, see the module notes), float32.

    Raises
    ------
    UsageError
        The sample rate leaves no room above the band (``high_hz`` at or above 45 % of it).
    """
    if settings.high_hz >= 0.45 * sample_rate:
        raise UsageError(f"the dialogue dip needs a sample rate above {settings.high_hz / 0.45 / 1000:.1f} kHz, "
                         f"got {sample_rate / 1000:g} kHz")
    x = samples.astype(np.float64)
    low = signal.butter(settings.order, settings.low_hz, "lowpass", fs=sample_rate, output="sos")
    high = signal.butter(settings.order, settings.high_hz, "highpass", fs=sample_rate, output="sos")
    band = x - signal.sosfiltfilt(low, x, axis=1) - signal.sosfiltfilt(high, x, axis=1)
    return band.astype(np.float32)


def band_level_db(samples: np.ndarray, sample_rate: int, settings: DipSettings = DipSettings()) -> float:
    """Mean-square level of the speech band over the whole signal, dB (-200 for none)."""
    return _level_db(split(samples, sample_rate, settings))


def _level_db(x: np.ndarray) -> float:
    power = float(np.mean(np.square(x, dtype=np.float64))) if x.size else 0.0
    return 10.0 * math.log10(power) if power > 0.0 else _SILENT_DB


@njit(cache=True, nogil=True)
def _follow(power, start, rise, fall):  # pragma: no cover - compiled
    """One-pole envelope of ``power`` from ``start``: coefficient ``rise`` while it rises,
    ``fall`` while it falls (``env += (1 - c) * (p - env)``)."""
    out = np.empty_like(power)
    env = start
    for i in range(power.shape[0]):
        p = power[i]
        c = rise if p > env else fall
        env += (1.0 - c) * (p - env)
        out[i] = env
    return out


def dip(samples: np.ndarray, sample_rate: int, settings: DipSettings = DipSettings()) -> tuple[np.ndarray, DialogueDip]:
    """Dip the speech band where it is loud against the rest (see the module notes).

    Parameters
    ----------
    samples : numpy.ndarray
        float32 ``(channels, frames)``.
    sample_rate : int
        Sample rate, Hz.
    settings : DipSettings
        Band, timing and law.

    Returns
    -------
    samples : numpy.ndarray
        float32 ``(channels, frames)``, the dipped signal.
    report : DialogueDip
        Band levels before and after, largest dip.

    Raises
    ------
    UsageError
        As :func:`split`.
    """
    band = split(samples, sample_rate, settings)
    rest = samples - band
    attack, release = (max(1.0, ms * 1e-3 * sample_rate) for ms in (settings.attack_ms, settings.release_ms))
    envelopes = []
    for part in (band, rest):
        power = np.mean(np.square(part, dtype=np.float64), axis=0)
        envelopes.append(_follow(power, float(power[: int(attack)].mean()), math.exp(-1.0 / attack),
                                 math.exp(-1.0 / release)))
    tiny = 1e-30
    band_db, rest_db = (10.0 * np.log10(env + tiny) for env in envelopes)
    excess = band_db - rest_db - settings.threshold_db
    dip_db = np.clip(excess * (1.0 - 1.0 / settings.ratio), 0.0, settings.max_dip_db)
    dip_db[band_db < settings.floor_dbfs] = 0.0
    cut = (1.0 - 10.0 ** (-dip_db / 20.0)).astype(np.float32)
    out = samples - band * cut
    report = DialogueDip(float(settings.low_hz), float(settings.high_hz), _level_db(band),
                         band_level_db(out, sample_rate, settings), float(dip_db.max(initial=0.0)))
    return out, report
