"""Sample-level editing: fades, correlation-aware crossfades and splicing source pieces.

Conventions: audio is float32 ``(channels, frames)`` as in :class:`syncready.audio.Audio`;
positions are frame indices into the source unless a name ends in ``_s`` (seconds). A
splice never changes length: the crossfade at a join is centred on it and borrows
``overlap // 2`` frames of source material beyond each piece's edge, so the output is
exactly the sum of the pieces' lengths.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SPLICE_FADE_S = 0.02  # crossfade length at a join: short enough to keep the beat, long enough to hide it
EDGE_FADE_S = 0.005  # fade-in of a cut start: removes the step without softening the attack


def frames(seconds: float, sample_rate: int) -> int:
    """``seconds`` as a whole number of frames (rounded to nearest)."""
    return int(round(seconds * sample_rate))


def fade_curve(n: int, *, rising: bool = True) -> np.ndarray:
    """A raised-cosine ramp of ``n`` gains from 0 to 1 (``rising``) or 1 to 0, float32.

    The ramp excludes its end points' repetition: gain 0 comes first (rising) and the
    last value is ``1 - 1/n``-ish, so a ramp followed by unity gain has no step.
    """
    if n <= 0:
        return np.zeros(0, np.float32)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    return (ramp if rising else ramp[::-1]).astype(np.float32)


def fade_in(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` with a raised-cosine fade-in over its first ``n`` frames (a new array)."""
    out = x.copy()
    n = min(n, out.shape[-1])
    out[..., :n] *= fade_curve(n)
    return out


def fade_out(x: np.ndarray, n: int, *, floor_db: float | None = None) -> np.ndarray:
    """``x`` with a fade-out over its last ``n`` frames (a new array).

    Without ``floor_db`` the fade is a raised cosine to silence. With it, the gain falls
    exponentially (linearly in dB) from 0 dB to ``floor_db`` and a final raised cosine
    over the last tenth takes it to silence: the shape of a natural decay.
    """
    out = x.copy()
    n = min(n, out.shape[-1])
    if n == 0:
        return out
    if floor_db is None:
        gain = fade_curve(n, rising=False)
    else:
        gain = (10.0 ** (np.linspace(0.0, floor_db, n) / 20.0)).astype(np.float32)
        last = max(1, n // 10)
        gain[-last:] *= fade_curve(last, rising=False)
    out[..., -n:] *= gain
    return out


def crossfade(outgoing: np.ndarray, incoming: np.ndarray) -> np.ndarray:
    """Mix two equal-length overlaps with gains that keep the level constant.

    The gains follow ``t`` and ``1 - t`` normalised by
    ``sqrt(t**2 + (1-t)**2 + 2*rho*t*(1-t))``, where ``rho`` (clipped to 0..1) is the
    correlation of the two pieces: uncorrelated material gets an equal-power fade,
    identical material an equal-gain (linear) one, so neither dips nor bumps in level.
    """
    n = outgoing.shape[-1]
    if n == 0:
        return outgoing.copy()
    a = outgoing.astype(np.float64)
    b = incoming.astype(np.float64)
    norm = np.sqrt(np.sum(a * a) * np.sum(b * b))
    rho = float(np.clip(np.sum(a * b) / norm, 0.0, 1.0)) if norm > 0 else 0.0
    t = (np.arange(n) + 0.5) / n
    scale = 1.0 / np.sqrt(t * t + (1 - t) ** 2 + 2 * rho * t * (1 - t))
    return (a * ((1 - t) * scale) + b * (t * scale)).astype(np.float32)


def splice(samples: np.ndarray, pieces: Sequence[tuple[int, int]], overlap: int) -> tuple[np.ndarray, list[int]]:
    """Join source pieces end to end with crossfades centred on each join.

    Parameters
    ----------
    samples : numpy.ndarray
        The source, ``(channels, frames)``.
    pieces : sequence of (start, end)
        Frame ranges of ``samples`` to play in order (``start < end``).
    overlap : int
        Crossfade length in frames at each join (shortened where a piece or the
        source edge leaves less material).

    Returns
    -------
    out : numpy.ndarray
        ``(channels, sum of piece lengths)`` float32.
    joins : list of int
        Frame positions of the joins in ``out``.
    """
    total = samples.shape[1]
    lengths = [end - start for start, end in pieces]
    if not pieces or min(lengths) <= 0:
        raise ValueError("splice needs at least one non-empty piece")
    out = np.empty((samples.shape[0], sum(lengths)), np.float32)
    joins: list[int] = []
    pos = 0
    for k, (start, end) in enumerate(pieces):
        out[:, pos : pos + end - start] = samples[:, start:end]
        if k:
            prev_end = pieces[k - 1][1]
            half = min(overlap // 2, start, total - prev_end, lengths[k - 1] // 2, lengths[k] // 2)
            if half > 0:
                tail = samples[:, prev_end - half : prev_end + half]
                head = samples[:, start - half : start + half]
                out[:, pos - half : pos + half] = crossfade(tail, head)
            joins.append(pos)
        pos += end - start
    return out, joins
