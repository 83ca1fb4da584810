"""Compact audio descriptors for finding near-duplicates: a fingerprint for the same audio twice
(Chromaprint when ``fpcalc`` is installed, else the project's own band-energy landmarks) and a
sound envelope for two takes of one prompt (different audio, the same sound).

Conventions
-----------
- A fingerprint is a sequence of 32-bit words, one per frame, stored as little-endian
  ``uint32`` bytes with its ``kind`` (``"chromaprint"`` or ``"syncready"``); only fingerprints
  of one kind are compared.
- The own fingerprint (after Haitsma and Kalker): the track folded to mono at
  :data:`RATE` Hz, frames of :data:`WINDOW` samples every :data:`HOP` (about 10.8 per second),
  the energy of 33 log-spaced bands from 300 to 2000 Hz; bit ``b`` of a frame is set when the
  energy difference between bands ``b`` and ``b + 1`` grew since the previous frame. Signs of
  differences of differences do not change with gain and barely with lossy re-encoding.
- :func:`similarity` is 1 minus the bit error rate at the best alignment within
  :data:`MAX_SHIFT_S` seconds (both ways), over at least half the shorter fingerprint:
  1 for the same file, 0.75-0.95 for the same audio re-encoded, re-levelled or trimmed
  (frames then fall between the original's), about 0.53 for unrelated audio.
- The sound envelope (:func:`envelope`): per frame, the log energies of :data:`ENVELOPE_BANDS`
  log-spaced bands from 60 to 2700 Hz (floored :data:`ENVELOPE_RANGE_DB` under the frame's
  loudest band, so a lossy codec's emptied bands change nothing), turned into cepstral coefficients 1-12 (a DCT; coefficient
  0, the level, is dropped, so gain does not count); the envelope is their mean and standard
  deviation over the track, 24 ``float32`` values. It describes instrumentation and production,
  not notes: two takes a generator made of one prompt have different fingerprints but close
  envelopes. :func:`envelope_distance` is the RMS difference of two envelopes (0 the same sound;
  two takes of one prompt typically under 0.35, unrelated productions 0.5 and more).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

from .. import audio
from ..errors import BadInputError

RATE = 5512
WINDOW = 2048
HOP = 512
BANDS = 33
LOW_HZ, HIGH_HZ = 300.0, 2000.0
MAX_SHIFT_S = 20.0
ENVELOPE_BANDS = 40
ENVELOPE_LOW_HZ, ENVELOPE_HIGH_HZ = 60.0, 2700.0
ENVELOPE_RANGE_DB = 50.0
FRAMES_PER_S = {"syncready": RATE / HOP, "chromaprint": 11025 * 3 / 4096}  # chromaprint: 11025 Hz, hop 4096 / 3


def compute(path: str | Path) -> tuple[str, bytes, bytes]:
    """The fingerprint and sound envelope of the audio file at ``path``: ``(kind, fingerprint
    bytes, envelope bytes)`` (the envelope as little-endian ``float32``).

    Raises
    ------
    syncready.errors.BadInputError
        The file cannot be decoded.
    """
    mono = _mono(path)
    sound = envelope(mono).astype("<f4").tobytes()
    if shutil.which("fpcalc"):
        return "chromaprint", _chromaprint(path).astype("<u4").tobytes(), sound
    return "syncready", landmarks(mono).astype("<u4").tobytes(), sound


def landmarks(mono: np.ndarray) -> np.ndarray:
    """The own fingerprint words (uint32) of a mono signal at :data:`RATE` Hz."""
    if len(mono) < WINDOW + HOP:
        return np.zeros(0, np.uint32)
    spread = np.diff(np.log(_band_energy(mono, LOW_HZ, HIGH_HZ, BANDS) + 1e-12), axis=1)
    bits = np.diff(spread, axis=0) < 0
    return (bits.astype(np.uint64) << np.arange(32, dtype=np.uint64)).sum(axis=1).astype(np.uint32)


def envelope(mono: np.ndarray) -> np.ndarray:
    """The sound envelope (24 values, see the module docstring) of a mono signal at :data:`RATE`
    Hz; zeros for a signal shorter than two frames."""
    from scipy.fft import dct

    if len(mono) < WINDOW + HOP:
        return np.zeros(24)
    energy = _band_energy(mono, ENVELOPE_LOW_HZ, ENVELOPE_HIGH_HZ, ENVELOPE_BANDS)
    loud = energy.sum(axis=1) > 1e-9 * max(energy.sum(axis=1).max(), 1e-30)  # silence has no sound
    level = np.log10(energy[loud] + 1e-30)
    level = np.maximum(level, level.max(axis=1, keepdims=True) - ENVELOPE_RANGE_DB / 10)  # a codec's empty bands do not count
    cepstra = dct(level, norm="ortho", axis=1)[:, 1:13]
    if not len(cepstra):
        return np.zeros(24)
    return np.concatenate([cepstra.mean(axis=0), cepstra.std(axis=0)])


def envelope_distance(a: bytes, b: bytes) -> float:
    """The RMS difference of two sound envelopes (bytes as stored by :func:`compute`)."""
    x, y = np.frombuffer(a, "<f4").astype(float), np.frombuffer(b, "<f4").astype(float)
    return float(np.sqrt(np.mean((x - y) ** 2)))


def _band_energy(mono: np.ndarray, low_hz: float, high_hz: float, bands: int) -> np.ndarray:
    """Energy (frames, bands) of ``bands`` log-spaced bands from ``low_hz`` to ``high_hz`` in
    Hann-windowed frames of :data:`WINDOW` samples every :data:`HOP`."""
    frames = np.lib.stride_tricks.sliding_window_view(mono, WINDOW)[::HOP] * np.hanning(WINDOW)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    edges = np.geomspace(low_hz, high_hz, bands + 1) * WINDOW / RATE
    band = np.searchsorted(edges, np.arange(power.shape[1]), side="right") - 1
    keep = (band >= 0) & (band < bands)
    energy = np.zeros((len(frames), bands))
    np.add.at(energy.T, band[keep], power[:, keep].T)
    return energy


def similarity(kind: str, a: bytes, b: bytes) -> float:
    """1 minus the bit error rate of fingerprints ``a`` and ``b`` of ``kind`` at their best
    alignment (0.0 when they are too short to compare)."""
    x, y = np.frombuffer(a, "<u4"), np.frombuffer(b, "<u4")
    if len(x) < len(y):
        x, y = y, x
    least = max(1, len(y) // 2)
    reach = int(MAX_SHIFT_S * FRAMES_PER_S[kind])
    best = 0.0
    for shift in range(-min(reach, len(y) - least), min(reach, len(x) - least) + 1):
        xs = x[max(0, shift): shift + len(y)] if shift >= 0 else x[: len(y) + shift]
        ys = y[: len(xs)] if shift >= 0 else y[-shift: -shift + len(xs)]
        if len(xs) < least:
            continue
        errors = np.unpackbits(np.bitwise_xor(xs, ys).view(np.uint8)).sum()
        best = max(best, 1.0 - errors / (32 * len(xs)))
    return best


def _mono(path: str | Path) -> np.ndarray:
    """The whole file folded to mono at :data:`RATE` Hz, float32."""
    import soxr

    info = audio.probe(path)
    stream = soxr.ResampleStream(info.sample_rate, RATE, 1, dtype="float32", quality="HQ")
    parts = [stream.resample_chunk(block.mean(axis=0, dtype=np.float32)) for block in audio.blocks(path, info=info)]
    parts.append(stream.resample_chunk(np.zeros(0, np.float32), last=True))
    return np.concatenate(parts)


def _chromaprint(path: str | Path) -> np.ndarray:
    """Chromaprint's raw fingerprint words from ``fpcalc -raw -json``."""
    done = subprocess.run(["fpcalc", "-raw", "-json", "-length", "0", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BadInputError(f"{path}: fpcalc could not fingerprint it: {done.stderr.strip() or done.returncode}")
    return np.asarray(json.loads(done.stdout)["fingerprint"], dtype=np.int64).astype(np.uint32)
