"""Stereo image facts of the front left/right pair: phase correlation, mono downmix, balance.

Conventions
-----------
- Channels 0 and 1 are taken as left and right (for 5.x/7.1 files, the front pair).
- ``correlation`` is the Pearson correlation of L and R over the sounding part of the file
  (+1 mono, 0 unrelated, -1 polarity-inverted). ``min_correlation`` is the lowest value over
  ``WINDOW_S`` windows louder than ``GATE_DBFS``, with the window's time.
- ``mono_drop_db`` is the level of the mono fold-down ((L+R)/2 on both speakers) relative
  to the stereo original, from unweighted energy (0 dB for mono material, about -3 dB for
  unrelated channels, very negative when the channels cancel).
- ``balance_db`` is the level of L relative to R (positive: left louder).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WINDOW_S = 1.0
GATE_DBFS = -50.0


@dataclass
class Stereo:
    """What :class:`StereoMeter` measured."""

    correlation: float | None
    min_correlation: float | None
    min_correlation_s: float | None
    mono_drop_db: float | None
    balance_db: float | None


class StereoMeter:
    """Streaming stereo meter; feed blocks in order with :meth:`process`."""

    def __init__(self, sample_rate: int, channels: int, frames: int):
        self.window = max(1, round(WINDOW_S * sample_rate))
        self.sr = sample_rate
        self.sums = np.zeros(3)  # LL, RR, LR over gated windows
        self.worst = (np.inf, None)
        self.pending = np.zeros((2, 0), np.float64)
        self.offset = 0
        self.gate = 10 ** (GATE_DBFS / 10)

    def process(self, block: np.ndarray) -> None:
        """Measure the next block (channels, n); only channels 0 and 1 are read."""
        pair = np.concatenate([self.pending, block[:2].astype(np.float64)], axis=1)
        whole = pair.shape[1] // self.window
        self.pending = pair[:, whole * self.window :]
        if whole:
            self._windows(pair[:, : whole * self.window].reshape(2, whole, self.window))

    def _windows(self, framed: np.ndarray) -> None:
        left, right = framed
        ll = np.einsum("ij,ij->i", left, left)
        rr = np.einsum("ij,ij->i", right, right)
        lr = np.einsum("ij,ij->i", left, right)
        length = framed.shape[2]
        loud = (ll + rr) / (2 * length) > self.gate
        self.sums += [ll[loud].sum(), rr[loud].sum(), lr[loud].sum()]
        if loud.any():
            corr = lr / np.sqrt(np.maximum(ll * rr, 1e-30))
            corr[~loud] = np.inf
            i = int(np.argmin(corr))
            if corr[i] < self.worst[0]:
                self.worst = (float(corr[i]), (self.offset + i * length) / self.sr)
        self.offset += framed.shape[1] * length

    def result(self) -> Stereo:
        """Return :class:`Stereo`; all fields are None when no window was loud enough."""
        if self.pending.shape[1] >= self.window // 4:
            self._windows(self.pending[:, None, :])
            self.pending = self.pending[:, :0]
        ll, rr, lr = self.sums
        if ll <= 0 or rr <= 0:
            return Stereo(None, None, None, None, None)
        return Stereo(
            correlation=float(lr / np.sqrt(ll * rr)),
            min_correlation=self.worst[0] if np.isfinite(self.worst[0]) else None,
            min_correlation_s=self.worst[1],
            mono_drop_db=float(10 * np.log10(max((ll + rr + 2 * lr) / 2, 1e-30) / (ll + rr))),
            balance_db=float(10 * np.log10(ll / rr)),
        )
