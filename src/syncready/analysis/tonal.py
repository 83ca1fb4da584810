"""Chroma, musical key and key changes from audio.

:func:`chroma` folds the prominent spectral peaks of each frame onto the 12 pitch classes;
:func:`detect_key` correlates the piece's chroma profile with 24 key profiles, adds three tonic
cues from the bass line, and finds key changes by an optimal segmentation of the piece.

Conventions
-----------
- Pitch classes are numbered ``C = 0, Db = 1, ..., B = 11``; :func:`chroma` returns rows in that
  order, one column per frame. Key names follow mir_eval (``"Eb major"``, ``"A minor"``) with the
  tonic spelled ``C Db D Eb E F Gb G Ab A Bb B`` in both modes.
- Frames are ``hop_s`` apart (0.1 s by default); frame ``i`` is centred on ``i * hop_s`` seconds.
  Each is a Hann-windowed FFT of about 0.17 s (a power of two), enough to resolve semitones from
  50 Hz up with interpolated peaks; the analysis covers 50 Hz - 5 kHz. Channels are averaged,
  and at rates of 40 kHz and more runs of 2 (4 at 88.2/96 kHz...) samples too: a box low-pass
  that halves the FFT work (4096 points at 44.1/48 kHz) and folds down only what lies above
  17 kHz, at least 9 dB weaker, onto the 50 Hz - 5 kHz band.
- Peaks: local maxima at least ``PROMINENCE_DB`` above the local log-spectral mean (the mean of
  the dB spectrum over +-``ENV_HZ``: a spectral whitening, so bass and treble both count and
  broadband noise and drums rarely do). A peak's weight is its prominence in dB above that
  threshold (log compression), capped at ``WEIGHT_CAP_DB``; its frequency comes from parabolic
  interpolation of the dB spectrum. Frames more than ``GATE_DB`` below the loud frames (or below
  ``FLOOR_DBFS``) are silent and give no peaks.
- Harmonics weighted down: a peak at the 3rd, 5th, 6th or 7th harmonic of a stronger peak in the
  same frame (the harmonics that fall on another pitch class), no louder than that harmonic of a
  1/h spectrum would be plus ``HARMONIC_MARGIN_DB``, keeps ``HARMONIC_WEIGHT`` of its weight.
- Tuning: the deviation of the reference from A4 = 440 Hz, in semitones (-0.5..0.5), is the
  weighted circular mean of the peaks' pitch deviations from the equal-tempered grid; pitches
  are shifted by it before folding. A peak between two semitones is shared between them.
- The bass is the peaks below ``BASS_MIDI`` (G3, 196 Hz).
- Key confidence (0..1) grows with the margin between the best and the runner-up key score
  (``1 - exp(-margin / MARGIN_SCALE)``). It is scaled by ``d^2 / (d^2 + DENSITY_HALF^2)``, ``d``
  the chroma weight per non-silent frame that a neighbouring frame has too (sustained pitches:
  over 75 for every rendered song and chorale of the benchmark corpus, under 15 for drums, about
  0 for noise), and by the share of ``FULL_EVIDENCE_S`` seconds that has peaks. Clear tonal music
  scores above 0.5, noise and drums below 0.2. ``key`` is None only when no frame has a peak.

Key profiles: Albrecht & Shanahan (2013, corpus-derived major/minor pitch-class distributions).
On rendered Bach chorales and generated songs (the accuracy benchmark's corpus) they beat
Krumhansl-Kessler (too many relative-major/minor confusions: high ratings for non-scale tones
flatten the contrast) and Temperley's Kostka-Payne profiles (more dominant-key errors).

Relative major/minor (and dominant) confusion is reduced by three tonic cues from the bass, each
added to the key scores of the keys whose tonic it names: the share of all bass weight on the
tonic (``BASS_SHARE_WEIGHT``), and the bass note that ends (``END_WEIGHT``) and opens
(``START_WEIGHT``) the piece: the share of the bass weight in the first/last ``EDGE_S`` seconds
on that note, times the share that holds the same note as the last/first frame (a held final
tonic counts fully, a fade through changing chords barely).

Key changes: the piece (from its first to its last frame with peaks) is cut where the key
changes by dynamic programming over blocks of about ``BLOCK_S``: each frame's chroma, normalised
to sum to about 1, is scored per key by its log-likelihood under the key's pitch-class
distribution (the profile mixed with a uniform ``PROFILE_FLOOR``); the cut maximises the summed
log-likelihood of each segment's best key minus ``SWITCH_COST`` per cut, with segments of at least
``MIN_CHANGE_S`` seconds. Each segment's key is then decided like the global key (correlation and
its own bass cues). A segment whose key differs from the one before it (the global key before the
first) is a :class:`KeyChange` at the segment's start; ``changes`` is empty for one segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .frames import excerpt

F_LO_HZ = 50.0
F_HI_HZ = 5000.0
WINDOW_S = 0.17
ENV_HZ = 80.0
PROMINENCE_DB = 12.0
WEIGHT_CAP_DB = 30.0
GATE_DB = 50.0
FLOOR_DBFS = -80.0
HARMONICS = (3, 5, 6, 7)
HARMONIC_MARGIN_DB = 6.0
HARMONIC_WEIGHT = 0.3
BASS_MIDI = 55.0
DECIMATE_TO_HZ = 20000  # sample runs are averaged down to a rate of at least this
FFT_CHUNK = 64  # frames per FFT call: keeps the working set in cache
PEAK_CHUNK = 2048  # frames per peak-picking pass: bounds the working memory

HOP_S = 0.1
EDGE_S = 2.0
BASS_SHARE_WEIGHT = 0.2
END_WEIGHT = 0.2
START_WEIGHT = 0.1
MARGIN_SCALE = 0.1
DENSITY_HALF = 25.0
FULL_EVIDENCE_S = 8.0
BLOCK_S = 1.0
MAX_BLOCKS = 400
MIN_CHANGE_S = 8.0
SWITCH_COST = 20.0
PROFILE_FLOOR = 0.05
FRAME_WEIGHT_HALF = 20.0

NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
# Albrecht & Shanahan (2013), Music Perception 31(1), tonic first.
MAJOR_PROFILE = np.array([0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081])
MINOR_PROFILE = np.array([0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052])


_PROFILES = np.array([np.roll(MAJOR_PROFILE, k) for k in range(12)] + [np.roll(MINOR_PROFILE, k) for k in range(12)])
# For correlation: each key's profile centred and of unit length, (24, 12).
TEMPLATES = (_PROFILES - _PROFILES.mean(axis=1, keepdims=True))
TEMPLATES /= np.linalg.norm(TEMPLATES, axis=1, keepdims=True)
# For segmentation: log pitch-class probabilities, each profile mixed with a uniform floor, (24, 12).
LOG_PROFILES = np.log(_PROFILES / _PROFILES.sum(axis=1, keepdims=True) + PROFILE_FLOOR)
LOG_PROFILES -= np.log(1 + 12 * PROFILE_FLOOR)


@dataclass
class KeyChange:
    """The key from ``time_s`` (seconds from the start) until the next change or the end."""

    time_s: float
    key: str


@dataclass
class Key:
    """Estimated key of a piece; see the module docstring for the conventions."""

    key: str | None
    confidence: float
    changes: list[KeyChange] = field(default_factory=list)


@dataclass
class _Chroma:
    """Per-frame pitch-class weights of all peaks (``full``) and of the bass peaks, (12, frames)."""

    full: np.ndarray
    bass: np.ndarray
    voiced_frames: int


def key_name(index: int) -> str:
    """mir_eval key name of key ``index`` (0-11: C..B major, 12-23: C..B minor)."""
    return f"{NAMES[index % 12]} {'major' if index < 12 else 'minor'}"


def _mono(samples: np.ndarray, factor: int) -> np.ndarray:
    """Channel average, with each run of ``factor`` samples averaged (a box low-pass) into one.

    A finite float32 mono signal with ``factor`` 1 is returned as it is (no copy).
    """
    x = np.asarray(samples, dtype=np.float32)
    x = x if x.ndim == 2 else x.reshape(1, -1)
    if factor == 1 and x.shape[0] == 1:
        mono = x[0]
    else:
        n = x.shape[1] // factor
        mono = np.zeros(n, np.float32)
        for channel in x:
            for k in range(factor):
                mono += channel[k : n * factor : factor]
        mono *= 1.0 / (factor * x.shape[0])
    if not np.isfinite(mono.sum(dtype=np.float64)):
        mono = np.nan_to_num(mono, nan=0.0, posinf=0.0, neginf=0.0)
    return mono


def _spectrum_db(mono: np.ndarray, sample_rate: float, hop_s: float,
                 n_frames: int) -> tuple[np.ndarray, int, float, float]:
    """dB magnitude of ``n_frames`` frames, ``hop_s`` apart, in the bins around 50 Hz - 5 kHz.

    Returns the (frames, bins) array, the FFT index of its first bin, the bin spacing in Hz and
    the dB level of a full-scale sine's peak.
    """
    n_fft = 1 << max(8, round(np.log2(sample_rate * WINDOW_S)))
    bin_hz = sample_rate / n_fft
    lo = max(1, int(F_LO_HZ / bin_hz) - 1)
    hi = min(n_fft // 2 + 1, int(np.ceil(F_HI_HZ / bin_hz)) + 2)
    starts = np.round(np.arange(n_frames) * hop_s * sample_rate).astype(int)  # frame centres
    window = np.hanning(n_fft).astype(np.float32)
    db = np.empty((n_frames, hi - lo), np.float32)
    for i in range(0, n_frames, FFT_CHUNK):
        centres = starts[i : i + FFT_CHUNK]
        first = centres[0] - n_fft // 2
        segment = excerpt(mono, first, centres[-1] - first + n_fft - n_fft // 2)
        frames = np.lib.stride_tricks.sliding_window_view(segment, n_fft)[centres - centres[0]]
        mag = np.abs(np.fft.rfft(frames * window, axis=1)[:, lo:hi])
        db[i : i + FFT_CHUNK] = 20 * np.log10(mag + 1e-9)
    return db, lo, bin_hz, float(20 * np.log10(window.sum() / 2))


def _peaks(db: np.ndarray, lo: int, bin_hz: float, full_scale_db: float):
    """Prominent peaks: frame index, MIDI pitch (A4 = 69 at 440 Hz), level (dB), weight.

    Also returns the number of non-silent frames. Frames are handled PEAK_CHUNK at a time so
    that a long file needs no more working memory than its dB spectrogram.
    """
    loudest = db.max(axis=1)
    top = np.percentile(loudest, 95)
    voiced = (loudest > top - GATE_DB) & (loudest > full_scale_db + FLOOR_DBFS)
    parts = [_chunk_peaks(db[i : i + PEAK_CHUNK], voiced[i : i + PEAK_CHUNK], i, lo, bin_hz)
             for i in range(0, len(db), PEAK_CHUNK)]
    f_idx, midi, level, weight = (np.concatenate(column) for column in zip(*parts))
    return f_idx, midi, level, weight, int(voiced.sum())


def _chunk_peaks(db: np.ndarray, voiced: np.ndarray, first: int, lo: int, bin_hz: float):
    """Peaks of the frames in ``db`` (frame indices offset by ``first``)."""
    n_frames, n_bins = db.shape
    w = max(2, round(ENV_HZ / bin_hz))
    csum = np.zeros((n_frames, n_bins + 1), np.float32)
    np.cumsum(db, axis=1, out=csum[:, 1:])
    k = np.arange(n_bins)
    a, b = np.clip(k - w, 0, n_bins), np.clip(k + w + 1, 0, n_bins)
    env = (csum[:, b] - csum[:, a]) / (b - a).astype(np.float32)
    mid = db[:, 1:-1]
    is_peak = (mid > db[:, :-2]) & (mid >= db[:, 2:]) & (mid - env[:, 1:-1] > PROMINENCE_DB) & voiced[:, None]
    f_idx, k_idx = np.nonzero(is_peak)
    k_idx += 1
    left, centre, right = db[f_idx, k_idx - 1], db[f_idx, k_idx], db[f_idx, k_idx + 1]
    curve = np.minimum(left - 2 * centre + right, -1e-6)
    offset = np.clip(0.5 * (left - right) / curve, -0.5, 0.5)
    freq = (lo + k_idx + offset) * bin_hz
    level = centre - 0.25 * (left - right) * offset
    weight = np.minimum(level - env[f_idx, k_idx] - PROMINENCE_DB, WEIGHT_CAP_DB)
    keep = (freq >= F_LO_HZ) & (freq <= F_HI_HZ) & (weight > 0)
    midi = 69 + 12 * np.log2(freq[keep] / 440.0)
    return f_idx[keep] + first, midi, level[keep], weight[keep]


def _tuning(midi: np.ndarray, weight: np.ndarray) -> float:
    """Weighted circular mean of the deviations from the equal-tempered grid, in semitones."""
    z = np.sum(weight * np.exp(2j * np.pi * midi))
    return float(np.angle(z) / (2 * np.pi)) if abs(z) > 0 else 0.0


def _harmonic_weights(f_idx: np.ndarray, midi: np.ndarray, level: np.ndarray, weight: np.ndarray,
                      n_frames: int) -> np.ndarray:
    """``weight`` with peaks that sit on a stronger peak's 3rd/5th/6th/7th harmonic weighted down."""
    semis = np.round(midi).astype(int)
    base = semis.min() - 24
    loudest = np.full((n_frames, semis.max() - base + 1), -np.inf, np.float32)
    np.maximum.at(loudest, (f_idx, semis - base), level)
    out = weight.copy()
    for h in HARMONICS:
        sub = np.round(midi - 12 * np.log2(h)).astype(int) - base
        expected = loudest[f_idx, sub] - 20 * np.log10(h)
        out[expected + HARMONIC_MARGIN_DB > level] *= HARMONIC_WEIGHT
    return out


def _fold(f_idx: np.ndarray, midi: np.ndarray, weight: np.ndarray, n_frames: int) -> np.ndarray:
    """Pitch-class weights per frame (12, n_frames); a peak d semitones off is shared cos^2/sin^2."""
    near = np.round(midi)
    d = midi - near
    pc = near.astype(int) % 12
    other = (pc + np.where(d >= 0, 1, -1)) % 12
    w_near = weight * np.cos(np.pi * d / 2) ** 2
    out = np.bincount(f_idx * 12 + pc, w_near, minlength=n_frames * 12)
    out += np.bincount(f_idx * 12 + other, weight - w_near, minlength=n_frames * 12)
    return out.reshape(n_frames, 12).T


def _analyse(samples: np.ndarray, sample_rate: int, hop_s: float) -> _Chroma:
    """Tuning-corrected chroma and bass chroma of ``samples`` on a ``hop_s`` frame grid."""
    factor = max(1, sample_rate // DECIMATE_TO_HZ)
    rate = sample_rate / factor
    mono = _mono(samples, factor)
    n_frames = -(-np.shape(samples)[-1] // max(1, round(hop_s * sample_rate)))
    if not len(mono):
        return _Chroma(np.zeros((12, n_frames)), np.zeros((12, n_frames)), 0)
    db, lo, bin_hz, full_scale_db = _spectrum_db(mono, rate, hop_s, n_frames)
    f_idx, midi, level, weight, voiced = _peaks(db, lo, bin_hz, full_scale_db)
    if not len(midi):
        return _Chroma(np.zeros((12, n_frames)), np.zeros((12, n_frames)), voiced)
    weight = _harmonic_weights(f_idx, midi - _tuning(midi, weight), level, weight, n_frames)
    tuning = _tuning(midi, weight)  # again, now that harmonics (5th: -14, 7th: -31 cents) count less
    midi = midi - tuning
    bass = midi < BASS_MIDI
    return _Chroma(_fold(f_idx, midi, weight, n_frames), _fold(f_idx[bass], midi[bass], weight[bass], n_frames),
                   voiced)


def chroma(samples: np.ndarray, sample_rate: int, *, hop_s: float = HOP_S) -> np.ndarray:
    """Tuning-corrected chroma of ``samples``.

    Parameters
    ----------
    samples : np.ndarray
        Audio, float (channels, frames) or mono (frames,); channels are averaged.
    sample_rate : int
        Sample rate in Hz.
    hop_s : float
        Frame spacing in seconds.

    Returns
    -------
    np.ndarray
        Shape (12, ceil(len / hop)), rows C..B, column ``i`` centred on ``i * hop_s`` seconds;
        values are summed peak weights (prominence in dB above the threshold), 0 in silent
        frames. Normalise per column for a timbre-free chroma.
    """
    return _analyse(samples, sample_rate, hop_s).full


def _correlate(profiles: np.ndarray) -> np.ndarray:
    """Pearson correlation of pitch-class profiles (12, ...) with the 24 keys, (24, ...).

    The key profiles are centred, so only the norm of each profile about its mean is needed.
    """
    centred = np.sqrt(np.maximum((profiles**2).sum(axis=0) - profiles.sum(axis=0) ** 2 / 12, 0.0))
    return np.tensordot(TEMPLATES, profiles, axes=1) / np.where(centred > 0, centred, 1.0)


def _edge_cue(bass: np.ndarray, from_end: bool) -> np.ndarray:
    """Tonic cue (24,) from the bass that opens (``from_end`` False) or ends a stretch.

    Over the first (last) ``EDGE_S`` seconds of ``bass`` (12, frames): the share of the bass
    weight on each pitch class, times the share of it in frames whose strongest bass note is
    that of the first (last) frame with bass.
    """
    edge = bass[:, -round(EDGE_S / HOP_S) :] if from_end else bass[:, : round(EDGE_S / HOP_S)]
    per_frame = edge.sum(axis=0)
    total = per_frame.sum()
    if total <= 0:
        return np.zeros(24)
    note = np.argmax(edge, axis=0)
    sounding = np.flatnonzero(per_frame > 0)
    held = per_frame[note == note[sounding[-1] if from_end else sounding[0]]].sum() / total
    return np.tile(edge.sum(axis=1) / total * held, 2)


def _key_scores(full: np.ndarray, bass: np.ndarray) -> np.ndarray:
    """Key scores (24,) of a stretch of chroma and bass chroma (12, frames): the correlation
    with the key profiles plus the three bass tonic cues."""
    bass_sum = bass.sum(axis=1)
    share = bass_sum / bass_sum.sum() if bass_sum.sum() > 0 else bass_sum
    return (_correlate(full.sum(axis=1)) + BASS_SHARE_WEIGHT * np.tile(share, 2)
            + START_WEIGHT * _edge_cue(bass, False) + END_WEIGHT * _edge_cue(bass, True))


def _segments(full: np.ndarray, block: int) -> list[tuple[int, int]]:
    """Best cut of the frames into segments of one key each: (first frame, end frame) pairs.

    Each frame's chroma, normalised to sum to (nearly) 1, is scored per key by its
    log-likelihood under the key's pitch-class distribution (the key profile smoothed by
    ``PROFILE_FLOOR``); the cut maximises the sum over segments of their best key's
    log-likelihood minus ``SWITCH_COST`` per cut, with segments of at least ``MIN_CHANGE_S``.

    Parameters
    ----------
    full : np.ndarray
        Chroma (12, frames), trimmed to the frames with peaks.
    block : int
        Frames per block; cuts fall on block boundaries.
    """
    n_frames = full.shape[1]
    n = -(-n_frames // block)
    bounds = np.minimum(np.arange(n + 1) * block, n_frames)
    frame_ll = LOG_PROFILES @ (full / (full.sum(axis=0) + FRAME_WEIGHT_HALF))
    cum = np.zeros((24, n_frames + 1))
    np.cumsum(frame_ll, axis=1, out=cum[:, 1:])
    cum = cum[:, bounds]
    value = (cum[:, None, :] - cum[:, :, None]).max(axis=0) - SWITCH_COST * (np.arange(n + 1) > 0)[:, None]
    min_len = max(1, round(MIN_CHANGE_S / (block * HOP_S)))
    best = np.full(n + 1, -np.inf)
    best[0] = 0.0
    back = np.zeros(n + 1, int)
    for j in range(min_len, n + 1):
        total = best[: j - min_len + 1] + value[: j - min_len + 1, j]
        back[j] = int(np.argmax(total))
        best[j] = total[back[j]]
    if not np.isfinite(best[n]):
        back[n] = 0  # shorter than two segments: the whole piece
    cuts, j = [], n
    while j > 0:
        cuts.append((int(bounds[back[j]]), int(bounds[j])))
        j = back[j]
    return cuts[::-1]


def detect_key(samples: np.ndarray, sample_rate: int) -> Key:
    """Estimate the key, its confidence and the key changes of a piece.

    Parameters
    ----------
    samples : np.ndarray
        Audio, float32 (channels, frames) or mono (frames,).
    sample_rate : int
        Sample rate in Hz.

    Returns
    -------
    Key
        ``key`` None (confidence 0) when no frame has a prominent spectral peak (silence, most
        noise); see the module docstring for the method and the meaning of ``confidence``.
    """
    c = _analyse(samples, sample_rate, HOP_S)
    per_frame = c.full.sum(axis=0)
    sounding = np.flatnonzero(per_frame > 0)
    if not len(sounding):
        return Key(None, 0.0, [])
    span = slice(sounding[0], sounding[-1] + 1)
    full, bass = c.full[:, span], c.bass[:, span]
    scores = _key_scores(full, bass)
    order = np.argsort(scores)[::-1]
    margin = scores[order[0]] - scores[order[1]]
    held = np.maximum(np.pad(c.full[:, :-1], ((0, 0), (1, 0))), np.pad(c.full[:, 1:], ((0, 0), (0, 1))))
    density = np.minimum(c.full, held).sum() / max(c.voiced_frames, 1)
    evidence = min(1.0, len(sounding) * HOP_S / FULL_EVIDENCE_S)
    confidence = (1 - np.exp(-margin / MARGIN_SCALE)) * density**2 / (density**2 + DENSITY_HALF**2) * evidence
    block = max(round(BLOCK_S / HOP_S), -(-full.shape[1] // MAX_BLOCKS))
    changes, previous = [], int(order[0])
    segments = _segments(full, block)
    for first, end in segments if len(segments) > 1 else ():
        k = int(np.argmax(_key_scores(full[:, first:end], bass[:, first:end])))
        if k != previous:
            changes.append(KeyChange(round(float((sounding[0] + first) * HOP_S), 2), key_name(k)))
        previous = k
    return Key(key_name(int(order[0])), float(np.clip(confidence, 0.0, 1.0)), changes)
