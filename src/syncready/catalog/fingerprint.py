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
- :func:`candidates` finds, without comparing every pair, the pairs worth a :func:`similarity`:
  those whose fingerprints share at least :data:`MIN_ALIGNED_WORDS` identical words at one
  alignment (within a frame) inside :data:`MAX_SHIFT_S`. Copies keep a share of their words
  exactly (measured on rendered songs: 21-900 of 267-964 distinct words for MP3, Vorbis and
  Opus copies, re-levelled, resampled, trimmed, low-passed, noisy or shifted by a fraction of a
  frame) while unrelated songs share 0-5 words, at no common alignment. Words held by more
  than :data:`COMMON_WORD_TRACKS` tracks (silence, steady tones) say nothing and are skipped.
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
MIN_ALIGNED_WORDS = 4
COMMON_WORD_TRACKS = 64
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
    return float(envelope_distances(np.frombuffer(a, "<f4"), np.frombuffer(b, "<f4")))


def envelope_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`envelope_distance` of envelopes given as arrays, along the last axis (rows of
    many pairs at once)."""
    return np.sqrt(np.mean((x.astype(float) - y.astype(float)) ** 2, axis=-1))


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


def candidates(prints: list[tuple[str, bytes] | None]) -> set[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of indices into ``prints`` (``(kind, fingerprint bytes)`` or
    None) worth a :func:`similarity`: same kind, at least :data:`MIN_ALIGNED_WORDS` shared words
    at one alignment (see the module notes). Cost grows with the number of words, not pairs."""
    found: set[tuple[int, int]] = set()
    for kind in {p[0] for p in prints if p is not None}:
        members = [i for i, p in enumerate(prints) if p is not None and p[0] == kind]
        found |= _aligned_pairs(members, [np.frombuffer(prints[i][1], "<u4") for i in members], kind)
    return found


def _aligned_pairs(members: list[int], words: list[np.ndarray], kind: str) -> set[tuple[int, int]]:
    """:func:`candidates` among fingerprints of one kind (``members`` their indices)."""
    if len(members) < 2:
        return set()
    word = np.concatenate(words)
    track = np.repeat(np.arange(len(words), dtype=np.int64), [len(w) for w in words])
    frame = np.concatenate([np.arange(len(w), dtype=np.int64) for w in words])
    # a word's first frame in each track; then group the postings by word
    order = np.lexsort((frame, track, word))
    word, track, frame = word[order], track[order], frame[order]
    first = np.ones(len(word), bool)
    first[1:] = (word[1:] != word[:-1]) | (track[1:] != track[:-1])
    word, track, frame = word[first], track[first], frame[first]
    starts = np.flatnonzero(np.r_[True, word[1:] != word[:-1]])
    sizes = np.diff(np.r_[starts, len(word)])
    reach = int(MAX_SHIFT_S * FRAMES_PER_S[kind])
    a_parts, b_parts, shift_parts = [], [], []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= COMMON_WORD_TRACKS)]):
        rows = starts[sizes == size][:, None] + np.arange(size)  # (groups, size) posting indices
        left, right = np.triu_indices(size, 1)
        a_parts.append(track[rows[:, left]].ravel())
        b_parts.append(track[rows[:, right]].ravel())
        shift_parts.append((frame[rows[:, right]] - frame[rows[:, left]]).ravel())
    if not a_parts:
        return set()
    a, b, shift = np.concatenate(a_parts), np.concatenate(b_parts), np.concatenate(shift_parts)
    near = np.abs(shift) <= reach
    a, b, shift = a[near], b[near], shift[near] + reach
    pairs = set()
    for offset in (0, 1):  # alignments binned two frames wide, at both phases: a frame either way
        key = (a * len(words) + b) * (reach + 2) + (shift + offset) // 2
        keys, counts = np.unique(key, return_counts=True)
        for pair in np.unique(keys[counts >= MIN_ALIGNED_WORDS] // (reach + 2)).tolist():
            pairs.add(tuple(sorted((members[pair // len(words)], members[pair % len(words)]))))
    return pairs


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
