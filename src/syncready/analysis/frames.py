"""Short analysis frames shared by the streaming meters.

Conventions: a frame is ``frame_length(sample_rate)`` samples, about 10 ms (the exact
duration is ``frame_len / sample_rate``). The analysis driver hands every meter blocks
whose length is a whole number of frames, except the last block, whose final frame may be
shorter; :func:`split_frames` returns the whole frames as a view and the remainder apart.
"""

from __future__ import annotations

import numpy as np

FRAME_S = 0.01


def frame_length(sample_rate: int) -> int:
    """Samples in one analysis frame (about 10 ms) at ``sample_rate`` Hz."""
    return max(1, round(sample_rate * FRAME_S))


def split_frames(block: np.ndarray, frame_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Split ``block`` (channels, n) into whole frames (channels, k, frame_len) and the rest.

    The rest has shape (channels, n - k * frame_len) and is empty except at the file's end.
    """
    channels, n = block.shape
    whole = n // frame_len
    framed = block[:, : whole * frame_len].reshape(channels, whole, frame_len)
    return framed, block[:, whole * frame_len :]


def frame_stats(block: np.ndarray, amax: np.ndarray, frame_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame peak (max |x| over channels) and mean square (mean over channels).

    ``amax`` is the block's per-sample maximum of |x| over channels, shape (n,). A final
    partial frame gets its own entry, measured over the samples it has.
    """
    framed, rest = split_frames(block, frame_len)
    whole = framed.shape[1] * frame_len
    peak = amax[:whole].reshape(-1, frame_len).max(axis=1) if whole else np.empty(0, np.float32)
    power = np.einsum("cfk,cfk->f", framed, framed, dtype=np.float64) / (framed.shape[0] * frame_len)
    if rest.shape[1]:
        peak = np.append(peak, amax[whole:].max())
        power = np.append(power, np.square(rest, dtype=np.float64).mean())
    return peak.astype(np.float32), power


def moving_average(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` points; the ends are padded with their edge values.

    Computed from a running sum, so the cost does not grow with ``width``.
    """
    padded = np.pad(np.asarray(values, dtype=np.float64), (width // 2, width - 1 - width // 2), mode="edge")
    total = np.concatenate(([0.0], np.cumsum(padded)))
    return (total[width:] - total[:-width]) / width


def excerpt(x: np.ndarray, start: int, length: int) -> np.ndarray:
    """``x[start:start + length]`` of a 1-D signal, with zeros where the range runs past either
    end (a view when it does not): lets frame-wise analyses pad without copying the signal."""
    if start >= 0 and start + length <= len(x):
        return x[start : start + length]
    out = np.zeros(length, x.dtype)
    lo, hi = max(start, 0), min(start + length, len(x))
    if hi > lo:
        out[lo - start : hi - start] = x[lo:hi]
    return out
