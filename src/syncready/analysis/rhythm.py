"""Tempo, beat grid, downbeats and meter of a track.

:func:`track` takes the samples in memory and returns a :class:`Rhythm`.

Conventions
-----------
- Units: times in seconds from the first sample, tempo in beats per minute (BPM), meter
  in beats per bar. A beat is the counted pulse of the notation (the quarter note in
  pop 4/4 and 3/4). ``None`` means "not determined", never a guess.
- Analysis grid: the channels are averaged and decimated to about 22.05 kHz (a box
  average of ``k = round(fs / 22050)`` samples); frames of 46 ms (Hann) every 5 ms
  (``HOP_S``), so there are about 200 frames per second. The signal is scaled to RMS 1
  and each band's summed magnitude ``m`` compressed to ``log(1 + m / (COMPRESS *
  REFERENCE_MAGNITUDE * window sum))``. The onset strength is the spectral flux of these
  log band magnitudes (24 bands per octave, 30 Hz-16 kHz),
  taken against the frame 15 ms earlier after a 3-band maximum filter (SuperFlux-style,
  which ignores vibrato and the beating of sustained tones). The low-band (< 200 Hz,
  kick and bass) and low-mid (< 4 kHz, everything but hats and cymbals) fluxes are kept
  apart for the metrical decisions below.
- Pitch frames: 186 ms (Hann) every 23 ms (``CHROMA_HOPS`` per window), magnitudes summed
  per semitone from 60 Hz to 2.1 kHz; their chroma (100 Hz-2 kHz) serves the meter. The
  harmonic flux is the rise of the log semitone magnitudes, averaged over
  ``HARMONIC_SPAN`` frames after against the 3-semitone maximum of as many before, clipped
  at its 99th percentile: a chord change shows in it however softly the notes begin, and
  the long window averages away the tremolo of bowed strings and organ pipes.
- Latency compensation: an attack produces its flux peak before the attack time (the
  window sees it coming); the peak of a sharp attack lies about 6 ms early and a
  General MIDI instrument's softer one a few ms later. ``LATENCY_S`` is added to every
  peak time so that beats sit on the attacks (calibrated on synthetic drums and on GM
  soundfont renders: mean offset within +-5 ms on both). Peaks are located to a fraction
  of a frame by a parabola through the three highest points.
- Tempo: the autocorrelation of the low-mid flux, weighted by a log-normal tempo prior
  centred on ``PRIOR_BPM`` (one octave standard deviation), picks a first period in
  ``BPM_RANGE``; then metrical evidence moves it: a level 2 or 3 times faster (up to
  ``BEAT_BPM_RANGE[1]``) is taken, and a level is doubled (down to
  ``BEAT_BPM_RANGE[0]``) unless, when its autocorrelation relative to the slower level's
  plus the evenness of onset strength over its phases (min/max of the phase medians of
  pulses tracked at that level, in runs of a few pulses) reaches ``LEVEL_SCORE``. Kick
  and snare at 150 BPM pass; off-beat hats, eighth-note bass or passing notes at twice a
  75 BPM beat are weaker and alternate strong/weak, so they do not. Autocorrelations over
  ``LOCAL_WINDOW_S`` windows then give the local period near that one; where it departs
  by more than ``MAX_DRIFT`` the tracker follows the local period curve. A dynamic
  program (Ellis 2007) tracks the beats, each beat is snapped to the strongest onset peak
  within ``SNAP_S``, beats without attacks at the head and tail are dropped, and a robust
  least-squares line through the beat times gives the period: the tempo is
  ``60 / slope``, a fit over every beat rather than a histogram peak.
- Steady tempo: the slope is also fitted over windows of ``LOCAL_SPAN`` beats; when none
  departs from the global one by more than ``MAX_DRIFT`` (2 %), ``tempo_stable`` is True
  and the beats are the fitted grid, each snapped to an onset peak within ``SNAP_S``
  (beats where the music has no attack stay on the grid); the grid is extended at either
  end for as long as each further grid position has an onset peak of at least
  ``EXTEND_FRACTION`` of the median beat strength and ``PROMINENCE`` times the median
  onset strength over the beat around it (the quiet attacks in the tail of a fade-out,
  not the ripples of a ring-out). Otherwise (drift, a tempo change) the tracked beats are
  returned as they are and ``tempo_bpm`` is the mean tempo; so they are too when more
  than ``OFF_GRID_FRACTION`` of them lie over ``SNAP_S`` off the fitted line although
  the tempo is steady (a break or an edit that shifts the beat phase).
- Soft attacks: when that clarity (below) is under ``HARMONIC_BELOW``, the tempo is also
  taken from the harmonic flux; its pulse is steady when the mean of its autocorrelation at
  1 to 4 beat periods reaches ``HARMONIC_PULSE_MIN`` (speech and free tempo stay at or
  below 0.2, chorales on strings or organ reach 0.3-0.65). A steady harmonic pulse that beats the percussive
  clarity drives the tracker instead of the onset strength; its broad peaks are not
  snapped to (a steady grid is kept as fitted, beats within ``HARMONIC_SNAP_S`` of it count
  as on it), and the check for attacks asks for a median flux at the beats of
  ``HARMONIC_MIN_ATTACK``.
- Confidence: ``tempo_confidence`` is the autocorrelation of the (20 ms smoothed) onset
  strength (or harmonic flux) at the beat period, mapped linearly from 0.1 (0) to 0.6 (1):
  near 1 for drums and pianos, 0.1-0.3 for organs or strings (0.4-1 from their harmonic
  flux), about 0 for noise. Below ``PULSE_MIN``, without a steady harmonic pulse, there is
  no steady pulse: ``tempo_bpm`` is None, the lists are empty, ``meter`` is None and
  ``tempo_stable`` is False. The same answer, with confidence 0, comes for input shorter
  than ``MIN_SECONDS``, fewer than ``MIN_BEATS`` beats, or beats whose median onset
  strength is below ``MIN_ATTACK`` (the slow beating of a held chord is periodic, but it
  has no attacks).
- Meter and downbeats: each beat gets an accent, the sum of its z-scored low-band onset
  strength (kick, bass), its z-scored chord change (cosine distance between the chroma of
  the two beats after it and the two before it) and ``W_ONSET`` times its z-scored onset
  strength (small: snare backbeats are the loudest onsets in pop). For meters 3 and 4 and
  every phase, the mean accent of the candidate downbeats minus the mean of all beats is
  the contrast. Bar periodicity adds evidence without a sign: the beat feature vectors
  (low, onset, low-mid, chord change) differ less at lags 3 and 6 than at 4 and 8 in
  triple time, and the other way round in 4/4 (kick on 1 and 3, snare on 2 and 4). Meter
  3 wins when its best contrast minus the best 4 contrast, minus ``PERIODICITY_WEIGHT``
  times that relative distance difference, is positive; the phase is that meter's best.
  Below ``METER_MIN_CONTRAST`` ``meter`` is None and there are no downbeats (an
  unaccented click track). 2/4 and 2/2 read as 4 (two bars make one), 6/8 counted in
  eighths as 3 and counted in dotted quarters as 4. ``pickup_beats`` is the number of
  beats before the first downbeat.
- Meter without kick and bass: when the best contrast stays under ``KICK_CONTRAST`` (no
  drums mark the bar: a chorale, strings, a piano hymn) and the harmony moves from beat to
  beat, harmonic rhythm and phrase structure decide instead (:func:`_harmonic_meter`): the
  piece begins on a downbeat or with a one-beat pickup; the chord struck on a downbeat
  changes more than the beat after it (held, or passed through); chord changes repeat
  with the bar; and the last chord falls on a strong beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.fft
from numba import njit

from .frames import moving_average

TARGET_RATE = 22050
HOP_S = 0.005
WINDOW_S = 0.046
BANDS_PER_OCTAVE = 24
COMPRESS = 0.02  # log1p(x / (COMPRESS * REFERENCE_MAGNITUDE * window sum))
REFERENCE_MAGNITUDE = 0.05  # about the mean band magnitude of music at RMS 1, per unit window sum
FLUX_LAG_S = 0.015
LOW_BAND_HZ = 200.0
LOWMID_HZ = 4000.0
CHROMA_WINDOW_S = 0.186
CHROMA_HOPS = 8  # pitch frames every CHROMA_WINDOW_S / CHROMA_HOPS (23 ms)
CHROMA_RANGE_HZ = (100.0, 2000.0)
PITCH_RANGE_HZ = (60.0, 2100.0)
HARMONIC_REFERENCE = 0.008  # log1p(x / (HARMONIC_REFERENCE * window sum)), ~1/10 the mean
HARMONIC_SPAN = 2  # pitch frames averaged on either side of the harmonic flux
HARMONIC_CLIP = 99.0  # percentile
HARMONIC_BELOW = 0.4
HARMONIC_PULSE_MIN = 0.3
HARMONIC_MIN_ATTACK = 0.02  # median harmonic flux at the beats; a held chord's beating is ~0.005
HARMONIC_LATENCY_S = 0.0
HARMONIC_SNAP_S = 0.07
LATENCY_S = 0.004
MIN_SECONDS = 4.0
MIN_BEATS = 8
MIN_ATTACK = 0.04  # median onset strength at the beats; a held chord's beating is ~0.01
BPM_RANGE = (50.0, 220.0)
BEAT_BPM_RANGE = (55.0, 210.0)
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 1.0
LEVEL_SCORE = 1.12
TIGHTNESS = 100.0
SNAP_S = 0.035
EDGE_FRACTION = 0.3
EXTEND_FRACTION = 0.05
PROMINENCE = 4.0
LOCAL_SPAN = 16
LOCAL_WINDOW_S = 8.0
LOCAL_MIN_R = 0.2
OFF_GRID_FRACTION = 0.1
MAX_DRIFT = 0.02
PULSE_MIN = 0.2
CONFIDENCE_RANGE = (0.1, 0.6)
W_LOW, W_CHROMA, W_ONSET = 1.0, 1.0, 0.25
PERIODICITY_WEIGHT = 2.0
METER_MIN_CONTRAST = 0.25
RELATIVE_FLOOR = 0.25
CHANGE_FLOOR = 0.05
KICK_CONTRAST = 1.5  # a best contrast this high is a bar marked by kick and bass
MIN_CHORD_CHANGE = 0.02  # median chroma distance from beat to beat: below, the harmony stands still
HARMONIC_BAR_WEIGHT = 30.0
END_BONUS = 2.0


@dataclass
class Rhythm:
    """Tempo, beat grid, downbeats and meter (see the module's Conventions).

    Attributes
    ----------
    tempo_bpm : float or None
        Tempo of the beat grid; None when there is no steady pulse.
    tempo_confidence : float
        0 (no pulse) to 1 (a clear pulse).
    meter : int or None
        Beats per bar, 3 or 4; None without tempo or without bar accents.
    beats : list of float
        Beat times on the attacks, seconds.
    downbeats : list of float
        Bar starts, a subset of ``beats``.
    first_downbeat_s : float or None
        ``downbeats[0]``.
    pickup_beats : int
        Beats before the first downbeat.
    tempo_stable : bool
        False when the local tempo drifts by more than 2 % (or there is no tempo).
    """

    tempo_bpm: float | None
    tempo_confidence: float
    meter: int | None
    beats: list[float] = field(default_factory=list)
    downbeats: list[float] = field(default_factory=list)
    first_downbeat_s: float | None = None
    pickup_beats: int = 0
    tempo_stable: bool = False


@dataclass
class _Features:
    """Onset strengths (per 5 ms frame) and chroma of a track."""

    fps: float  # onset frames per second
    onset: np.ndarray  # all bands
    low: np.ndarray  # bands below LOW_BAND_HZ
    lowmid: np.ndarray  # bands below LOWMID_HZ
    harmonic: np.ndarray  # rise of the pitch spectrum, on the onset frames
    chroma: np.ndarray  # (frames, 12), C = 0
    chroma_fps: float


def track(samples: np.ndarray, sample_rate: int) -> Rhythm:
    """Tempo, beats, downbeats and meter of ``samples``.

    Parameters
    ----------
    samples : numpy.ndarray
        float32 (channels, frames); a 1-D array is taken as mono. Non-finite samples
        count as silence.
    sample_rate : int
        Hz.

    Returns
    -------
    Rhythm
        ``tempo_bpm`` None (and empty beat lists) when there is no steady pulse: silence,
        noise, speech, free tempo, a held chord, or less than ``MIN_SECONDS`` of audio.
    """
    feats = _features(samples, sample_rate)
    if feats is None:
        return Rhythm(None, 0.0, None)
    fps = feats.fps
    max_lag = int(np.ceil(2 * 60 * fps / BPM_RANGE[0])) + 2
    period = _beat_period(_autocorr(feats.lowmid, fps, max_lag), feats.onset, fps)
    clarity = _r_at(_autocorr(_smooth(feats.onset, 0.02 * fps), fps, max_lag), period)
    onset, latency, harmonic = feats.onset, LATENCY_S, False
    if clarity < HARMONIC_BELOW:  # soft attacks: is there a steadier pulse of chord changes?
        h_period = _beat_period(_autocorr(feats.harmonic, fps, max_lag), feats.harmonic, fps)
        r = _autocorr(_smooth(feats.harmonic, 0.02 * fps), fps, int(4 * h_period) + 2)
        comb = float(np.mean([_r_at(r, k * h_period) for k in (1, 2, 3, 4)]))
        h_clarity = _r_at(r, h_period)
        if comb >= HARMONIC_PULSE_MIN and h_clarity > clarity:
            onset, latency, harmonic = feats.harmonic, HARMONIC_LATENCY_S, True
            period, clarity = h_period, h_clarity
    lo, hi = CONFIDENCE_RANGE
    confidence = float(np.clip((clarity - lo) / (hi - lo), 0.0, 1.0))
    if clarity < PULSE_MIN and not harmonic:
        return Rhythm(None, confidence, None)
    beats, slope, stable = _beat_grid(onset, fps, period, harmonic)
    min_attack = HARMONIC_MIN_ATTACK if harmonic else MIN_ATTACK
    if beats.size < MIN_BEATS or np.median(_strength(onset, beats * fps, 3)) < min_attack:
        return Rhythm(None, 0.0, None)
    meter, phase = _meter(feats, beats)
    beats = beats + latency
    downbeats = beats[phase::meter] if meter else np.empty(0)
    return Rhythm(
        tempo_bpm=60.0 / slope,
        tempo_confidence=confidence,
        meter=meter,
        beats=beats.tolist(),
        downbeats=downbeats.tolist(),
        first_downbeat_s=float(downbeats[0]) if downbeats.size else None,
        pickup_beats=phase if meter else 0,
        tempo_stable=stable,
    )


# --- onset strength and chroma -------------------------------------------------------


def _features(samples: np.ndarray, sample_rate: int) -> _Features | None:
    """Onset strengths and chroma; None for silence or less than ``MIN_SECONDS``."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[0] == 0 or sample_rate <= 0 or x.shape[1] < MIN_SECONDS * sample_rate:
        return None
    x = np.ascontiguousarray(x)
    k = max(1, round(sample_rate / TARGET_RATE))
    rate = sample_rate / k
    n_fft = 2 ** int(round(np.log2(WINDOW_S * rate)))
    hop = max(1, int(round(HOP_S * rate)))
    n_c = 2 ** int(round(np.log2(CHROMA_WINDOW_S * rate)))
    pad = max(n_fft, n_c) // 2
    padded = _mono_decimate(x, k, pad)  # the signal with ``pad`` zeros on each side, one copy
    y = padded[pad : padded.size - pad]
    rms = float(np.sqrt(np.dot(y, y) / y.size))
    if rms < 1e-6:
        return None
    y *= np.float32(1.0 / rms)
    onset, low, lowmid = _onset_strengths(_frames(padded, pad, n_fft, hop), n_fft, hop, rate)
    c_hop = n_c // CHROMA_HOPS
    chroma, rise = _pitch_features(_frames(padded, pad, n_c, c_hop), n_c, rate)
    # the harmonic flux onto the onset frames
    harmonic = np.interp(np.arange(onset.size) * (hop / c_hop), np.arange(rise.size), rise)
    return _Features(rate / hop, onset, low, lowmid, harmonic, chroma, rate / c_hop)


@njit(cache=True)
def _mono_decimate(x: np.ndarray, k: int, pad: int) -> np.ndarray:
    """Mean over channels and over blocks of ``k`` samples, with ``pad`` zeros added on each
    side; non-finite samples count as 0."""
    channels, n = x.shape
    m = n // k
    out = np.zeros(m + 2 * pad, np.float32)
    acc = out[pad : pad + m]
    for c in range(channels):
        row = x[c]
        for j in range(m):
            s = np.float32(0.0)
            for i in range(j * k, j * k + k):
                s += row[i]
            if not np.isfinite(s):  # rare: sum the finite samples only
                s = np.float32(0.0)
                for i in range(j * k, j * k + k):
                    if np.isfinite(row[i]):
                        s += row[i]
            acc[j] += s
    acc *= np.float32(1.0 / (channels * k))
    return out


def _band_edges(n_fft: int, rate: float) -> np.ndarray:
    """FFT-bin edges of log-spaced bands, ``BANDS_PER_OCTAVE`` per octave from 30 Hz to
    16 kHz (or Nyquist); narrow bands at the bottom merge into single bins."""
    hz = rate / n_fft
    top = min(16000.0, rate / 2)
    f = 30.0 * 2.0 ** (np.arange(int(BANDS_PER_OCTAVE * np.log2(top / 30.0)) + 1) / BANDS_PER_OCTAVE)
    edges = np.unique(np.round(f / hz).astype(np.int64))
    return edges[(edges >= 1) & (edges <= n_fft // 2)]


def _frames(padded: np.ndarray, pad: int, n_fft: int, hop: int) -> np.ndarray:
    """Frames of ``n_fft`` samples every ``hop``, frame ``i`` centred on sample ``i * hop`` of
    the signal that ``padded`` holds after ``pad`` zeros (a view: nothing is copied)."""
    view = padded[pad - n_fft // 2 : padded.size - pad + n_fft // 2]
    return np.lib.stride_tricks.sliding_window_view(view, n_fft)[::hop]


def _onset_strengths(frames: np.ndarray, n_fft: int, hop: int, rate: float) -> tuple[np.ndarray, ...]:
    """Onset strength of all bands, of the low bands and of the low-mid bands, one value per
    frame; the STFT runs in blocks, so only a block of band magnitudes is ever held."""
    edges = _band_edges(n_fft, rate)
    centres = np.sqrt(edges[:-1] * edges[1:]) * rate / n_fft
    n_low, n_lowmid = int(np.sum(centres < LOW_BAND_HZ)), int(np.sum(centres < LOWMID_HZ))
    lag = max(1, int(round(FLUX_LAG_S * rate / hop)))
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    scale = np.float32(1.0 / (COMPRESS * REFERENCE_MAGNITUDE * window.sum()))
    out = np.zeros((3, frames.shape[0]))
    tail = np.empty((0, edges.size - 1), np.float32)
    step = 2048
    for start in range(0, frames.shape[0], step):
        spec = scipy.fft.rfft(frames[start : start + step] * window, axis=1, workers=-1)
        block = np.vstack((tail, _log_bands(spec, edges, scale)))
        _flux(block, tail.shape[0], lag, n_low, n_lowmid, out[:, start - tail.shape[0] :])
        tail = block[-lag:]
    return out[0], out[1], out[2]


@njit(cache=True, fastmath=True)
def _log_bands(spec: np.ndarray, edges: np.ndarray, scale: np.float32) -> np.ndarray:
    """``log1p(scale * summed magnitude)`` per band, float32 (frames, bands)."""
    out = np.empty((spec.shape[0], edges.size - 1), np.float32)
    for t in range(spec.shape[0]):
        for b in range(edges.size - 1):
            acc = np.float32(0.0)
            for j in range(edges[b], edges[b + 1]):
                v = spec[t, j]
                acc += np.sqrt(v.real * v.real + v.imag * v.imag)
            out[t, b] = np.log(np.float32(1.0) + scale * acc)
    return out


@njit(cache=True)
def _flux(logb: np.ndarray, first: int, lag: int, n_low: int, n_lowmid: int, out: np.ndarray) -> None:
    """Half-wave rectified rise of ``logb`` rows from ``first`` on over the 3-band maximum
    ``lag`` rows earlier, averaged over all bands, the lowest ``n_low`` and the lowest
    ``n_lowmid``, into ``out[0..2, row]`` (rows before ``lag`` have no reference: 0)."""
    n, nb = logb.shape
    for t in range(max(first, lag), n):
        acc = 0.0
        for b in range(nb):
            ref = logb[t - lag, b]
            if b > 0 and logb[t - lag, b - 1] > ref:
                ref = logb[t - lag, b - 1]
            if b < nb - 1 and logb[t - lag, b + 1] > ref:
                ref = logb[t - lag, b + 1]
            rise = logb[t, b] - ref
            if rise > 0:
                acc += rise
            if b + 1 == n_low:
                out[1, t] = acc / max(n_low, 1)
            if b + 1 == n_lowmid:
                out[2, t] = acc / max(n_lowmid, 1)
        out[0, t] = acc / nb


def _pitch_features(frames: np.ndarray, n_fft: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude chroma of ``frames`` (12 pitch classes, C = 0) and their harmonic flux.

    The magnitudes are summed per semitone over ``PITCH_RANGE_HZ`` and compressed to
    ``log1p(m / (HARMONIC_REFERENCE * window sum))``; the flux of frame ``t`` is the mean
    over semitones of the rise of the mean of frames ``t .. t + HARMONIC_SPAN - 1`` over the
    maximum of the semitone and its neighbours in frames ``t - HARMONIC_SPAN .. t - 1``
    (SuperFlux-like, on a spectrum fine enough for bass notes and averaged over a tremolo),
    clipped at its ``HARMONIC_CLIP`` percentile (a re-entry after a rest is one change)."""
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    freqs = np.arange(n_fft // 2 + 1) * rate / n_fft
    use = np.flatnonzero((freqs >= PITCH_RANGE_HZ[0]) & (freqs <= PITCH_RANGE_HZ[1]))
    semitone = np.round(12 * np.log2(freqs[use] / 440.0)).astype(np.int64)
    semitone -= semitone.min()
    n_semi = int(semitone.max()) + 1
    to_semi = np.zeros((use.size, n_semi), np.float32)
    to_semi[np.arange(use.size), semitone] = 1.0
    lo = int(np.round(12 * np.log2(freqs[use[0]] / 440.0)))  # semitone 0, relative to A4
    centre = 440.0 * 2.0 ** ((np.arange(n_semi) + lo) / 12)
    in_chroma = (centre >= CHROMA_RANGE_HZ[0]) & (centre <= CHROMA_RANGE_HZ[1])
    to_chroma = np.zeros((n_semi, 12), np.float32)
    to_chroma[np.flatnonzero(in_chroma), (np.flatnonzero(in_chroma) + lo + 9) % 12] = 1.0
    scale = np.float32(1.0 / (HARMONIC_REFERENCE * window.sum()))
    n = frames.shape[0]
    chroma = np.empty((n, 12), np.float32)
    rise = np.zeros(n)
    span = HARMONIC_SPAN
    step = 1024  # frames per FFT call: bounds the working memory on long files
    tail = np.zeros((0, n_semi), np.float32)  # the last 2 * span compressed frames before the block
    for start in range(0, n, step):
        spec = scipy.fft.rfft(frames[start : start + step] * window, axis=1, workers=-1)
        semis = np.abs(spec[:, use]) @ to_semi
        chroma[start : start + step] = semis @ to_chroma
        block = np.vstack((tail, np.log1p(scale * semis)))
        first = start - tail.shape[0]  # the frame of block row 0
        _harmonic_rise(block, first, span, rise)
        tail = block[-2 * span :]
    if n:
        rise = np.minimum(rise, np.percentile(rise, HARMONIC_CLIP))
    return chroma, rise


@njit(cache=True)
def _harmonic_rise(block: np.ndarray, first: int, span: int, out: np.ndarray) -> None:
    """``out[first + t]`` for the rows ``t`` of ``block`` with ``span`` rows before and after
    (see :func:`_pitch_features`)."""
    n, nb = block.shape
    before = np.empty(nb)
    after = np.empty(nb)
    for t in range(span, n - span + 1):
        for b in range(nb):
            acc_b = 0.0
            acc_a = 0.0
            for k in range(span):
                acc_b += block[t - span + k, b]
                acc_a += block[t + k, b]
            before[b] = acc_b / span
            after[b] = acc_a / span
        acc = 0.0
        for b in range(nb):
            ref = before[b]
            if b > 0 and before[b - 1] > ref:
                ref = before[b - 1]
            if b < nb - 1 and before[b + 1] > ref:
                ref = before[b + 1]
            if after[b] > ref:
                acc += after[b] - ref
        out[first + t] = acc / nb


# --- tempo ---------------------------------------------------------------------------


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing, ``sigma`` in samples."""
    half = max(1, int(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / max(sigma, 1e-6)) ** 2)
    return np.convolve(x, kernel / kernel.sum(), mode="same")


def _autocorr(env: np.ndarray, fps: float, max_lag: int) -> np.ndarray:
    """Normalised (r[0] = 1), unbiased autocorrelation of ``env`` minus its 1 s moving average."""
    e = env - moving_average(env, max(1, int(fps)))
    n = e.size
    size = scipy.fft.next_fast_len(2 * n)
    spec = scipy.fft.rfft(e, size)
    r = scipy.fft.irfft(spec.real**2 + spec.imag**2, size)[: max_lag + 1]
    if r[0] <= 0:
        return np.zeros(max_lag + 1)
    lags = np.arange(r.size)
    return r / r[0] * n / np.maximum(n - lags, 1)


def _r_at(r: np.ndarray, lag: float) -> float:
    """Autocorrelation at a fractional lag: the larger of the two neighbouring lags."""
    i = int(np.floor(lag))
    if i < 0 or i + 1 >= r.size:
        return 0.0
    return float(max(r[i], r[i + 1]))


def _beat_period(r: np.ndarray, onset: np.ndarray, fps: float) -> float:
    """Beat period in frames: the prior-weighted autocorrelation peak, then metrical levels."""
    lags = np.arange(r.size)
    bpm = 60 * fps / np.maximum(lags, 1)
    ok = (bpm >= BPM_RANGE[0]) & (bpm <= BPM_RANGE[1])
    weighted = np.where(ok, r * np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2), -np.inf)
    best = int(np.argmax(weighted))
    period = float(best)
    if 0 < best < r.size - 1:
        a, b, c = r[best - 1], r[best], r[best + 1]
        if a - 2 * b + c < 0:  # (best need not be a peak of r: the prior weights it)
            period += float(np.clip(0.5 * (a - c) / (a - 2 * b + c), -1.0, 1.0))
    fastest = 60 * fps / BEAT_BPM_RANGE[1]
    slowest = 60 * fps / BEAT_BPM_RANGE[0]
    moved = True
    while moved:
        moved = False
        for k in (2, 3):
            if period / k >= fastest and _is_level(r, onset, period / k, k):
                period /= k
                moved = True
                break
    while period < fastest or (2 * period <= slowest and not _is_level(r, onset, period, 2)):
        period *= 2
    return period


def _is_level(r: np.ndarray, onset: np.ndarray, period: float, k: int) -> bool:
    """Whether pulses every ``period`` frames are beats rather than subdivisions of beats
    ``k`` times slower: their autocorrelation relative to the slower level's, plus how evenly
    the onset strength spreads over the ``k`` phases of tracked pulses (min/max of the phase
    medians), reaches ``LEVEL_SCORE``. Subdivisions are weaker and alternate strong/weak."""
    slower = _r_at(r, k * period)
    if slower <= 0:
        return True
    pulses = _dp_beats(_track_score(onset, period), np.full(onset.size, period), TIGHTNESS)
    if pulses.size < 4 * k:
        return False
    strength = _strength(onset, pulses, 3)
    # phase medians within runs of 4k pulses, so that a phase slip (a break, a fill) between
    # runs cannot blend strong and weak phases
    span = 4 * k
    runs = strength[: strength.size // span * span].reshape(-1, 4, k)
    medians = np.median(runs, axis=1)
    evenness = float(np.median(medians.min(axis=1) / np.maximum(medians.max(axis=1), 1e-12)))
    return _r_at(r, period) / slower + evenness >= LEVEL_SCORE


# --- beats ---------------------------------------------------------------------------


def _track_score(onset: np.ndarray, period: float) -> np.ndarray:
    """The tracker's local score: onset strength over its deviation, smoothed by period / 32."""
    return _smooth(onset / max(onset.std(), 1e-12), max(1.0, period / 32))


def _period_curve(onset: np.ndarray, fps: float, period: float) -> np.ndarray:
    """Beat period (frames) at every frame: ``period`` unless windowed autocorrelations
    (``LOCAL_WINDOW_S`` long, a quarter of that apart, searched within 30 % of ``period``)
    find the local tempo elsewhere by more than ``MAX_DRIFT``."""
    flat = np.full(onset.size, period)
    width = int(LOCAL_WINDOW_S * fps)
    if onset.size < 2 * width:
        return flat
    env = _smooth(onset, 0.02 * fps)
    lo, hi = int(period / 1.3), int(np.ceil(period * 1.3))
    centres, found = [], []
    for start in range(0, onset.size - width + 1, width // 4):
        r = _autocorr(env[start : start + width], fps, hi + 1)
        lag = lo + int(np.argmax(r[lo : hi + 1]))
        if r[lag] >= LOCAL_MIN_R and 0 < lag < r.size - 1:
            a, b, c = r[lag - 1], r[lag], r[lag + 1]
            centres.append(start + width / 2)
            found.append(lag + (0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c < 0 else 0.0))
    if len(found) < 3:
        return flat
    found = np.array(found)
    found[1:-1] = np.median(np.stack((found[:-2], found[1:-1], found[2:])), axis=0)
    if np.max(np.abs(found / period - 1)) <= MAX_DRIFT:
        return flat
    return np.interp(np.arange(onset.size), centres, found)


def _beat_grid(onset: np.ndarray, fps: float, period: float, harmonic: bool = False) -> tuple[np.ndarray, float, bool]:
    """Beat times (s, before latency compensation), beat period (s) and steadiness. On the
    ``harmonic`` flux, whose peaks are broad, beats up to ``HARMONIC_SNAP_S`` off the fitted
    grid are on it, and a steady grid is returned unsnapped."""
    snap_s = HARMONIC_SNAP_S if harmonic else SNAP_S
    periods = _period_curve(onset, fps, period)
    tracked = _dp_beats(_track_score(onset, period), periods, TIGHTNESS)
    if tracked.size < MIN_BEATS:
        return np.empty(0), period / fps, False
    peak_pos, peak_val = _peaks(onset)
    floor = 0.2 * float(np.median(_strength(onset, tracked, 3)))
    refined, _ = _snap(tracked.astype(np.float64), peak_pos, peak_val, SNAP_S * fps, floor)
    strong = np.flatnonzero(_strength(onset, refined, 3) >= EDGE_FRACTION * np.median(_strength(onset, refined, 3)))
    times = refined[strong[0] : strong[-1] + 1] / fps
    if times.size < MIN_BEATS:
        return np.empty(0), period / fps, False
    steps = np.maximum(1, np.round(np.diff(times) * fps / periods[refined[strong[0] : strong[-1]].astype(np.int64)]))
    steps = steps.astype(np.int64)
    idx = np.concatenate(([0], np.cumsum(steps)))
    icpt, slope = _fit_line(idx, times)
    local = _local_periods(idx, times)
    if local.size and np.max(np.abs(local / slope - 1)) > MAX_DRIFT:
        return times, slope, False
    if np.mean(np.abs(times - (icpt + slope * idx)) > snap_s) > OFF_GRID_FRACTION:
        return times, slope, True  # a steady tempo, but the beat jumps (a break, an edit)
    radius = min(SNAP_S, 0.12 * slope) * fps
    first, last = 0, idx[-1]
    # extend the grid over quiet attacks at the edges (the tail of a fade) while they keep coming
    faint = EXTEND_FRACTION * float(np.median(_strength(onset, times * fps, 3)))

    def attack_at(k: int) -> bool:
        centre = (icpt + slope * k) * fps
        if not 0 < centre < onset.size - 1:
            return False
        lo, hi = np.searchsorted(peak_pos, [centre - radius, centre + radius])
        if hi == lo:
            return False
        around = onset[max(0, int(centre - slope * fps / 2)) : int(centre + slope * fps / 2) + 1]
        return peak_val[lo:hi].max() >= max(faint, PROMINENCE * float(np.median(around)))

    while attack_at(last + 1):
        last += 1
    while attack_at(first - 1):
        first -= 1
    grid = (icpt + slope * np.arange(first, last + 1)) * fps
    if harmonic:
        return grid / fps, slope, True
    snapped, hit = _snap(grid, peak_pos, peak_val, radius, floor)
    beats = snapped / fps
    if hit.sum() >= MIN_BEATS:
        slope = _fit_line(np.flatnonzero(hit), beats[hit])[1]
    return beats, slope, True


@njit(cache=True)
def _dp_beats(score: np.ndarray, periods: np.ndarray, tightness: float) -> np.ndarray:
    """Dynamic-programming beat tracker (Ellis 2007): frames maximising the onset score
    minus ``tightness * log(interval / period) ** 2`` per interval, ``periods`` (frames) given
    for every frame."""
    n = score.size
    log_d = np.log(np.maximum(np.arange(int(2 * periods.max()) + 2), 1))
    cum = np.empty(n)
    back = np.full(n, -1, np.int64)
    for t in range(n):
        best = 0.0
        log_p = np.log(periods[t])
        for d in range(max(1, int(round(periods[t] * 0.5))), int(round(periods[t] * 2.0)) + 1):
            p = t - d
            if p < 0:
                break
            v = cum[p] - tightness * (log_d[d] - log_p) ** 2
            if v > best:
                best = v
                back[t] = p
        cum[t] = score[t] + best
    # the last beat: the last local maximum of the cumulative score above half their median
    maxima = np.empty(n, np.int64)
    n_max = 0
    for t in range(1, n - 1):
        if cum[t] >= cum[t - 1] and cum[t] > cum[t + 1]:
            maxima[n_max] = t
            n_max += 1
    if n_max == 0:
        return np.empty(0, np.int64)
    threshold = 0.5 * np.median(cum[maxima[:n_max]])
    t = maxima[n_max - 1]
    for i in range(n_max - 1, -1, -1):
        if cum[maxima[i]] >= threshold:
            t = maxima[i]
            break
    out = np.empty(n, np.int64)
    k = 0
    while t >= 0:
        out[k] = t
        k += 1
        t = back[t]
    return out[:k][::-1].copy()


@njit(cache=True)
def _peaks(env: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima of ``env`` refined by a parabola: (fractional frames, heights)."""
    n = env.size
    pos = np.empty(n)
    val = np.empty(n)
    k = 0
    for i in range(1, n - 1):
        if env[i] > env[i - 1] and env[i] >= env[i + 1]:
            a, b, c = env[i - 1], env[i], env[i + 1]
            den = a - 2 * b + c
            off = 0.5 * (a - c) / den if den < 0 else 0.0
            pos[k] = i + off
            val[k] = b - 0.25 * (a - c) * off
            k += 1
    return pos[:k].copy(), val[:k].copy()


def _snap(
    frames: np.ndarray, peak_pos: np.ndarray, peak_val: np.ndarray, radius: float, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Move each frame to the strongest peak within ``radius`` frames if it reaches ``floor``;
    returns the new frames and which of them moved onto a peak."""
    out = frames.copy()
    hit = np.zeros(frames.size, bool)
    lo = np.searchsorted(peak_pos, frames - radius)
    hi = np.searchsorted(peak_pos, frames + radius)
    for i in np.flatnonzero(hi > lo):
        j = lo[i] + int(np.argmax(peak_val[lo[i] : hi[i]]))
        if peak_val[j] >= floor:
            out[i] = peak_pos[j]
            hit[i] = True
    return out, hit


def _strength(env: np.ndarray, frames: np.ndarray, radius: int) -> np.ndarray:
    """Maximum of ``env`` within ``radius`` frames of each (fractional) frame."""
    idx = np.round(frames).astype(np.int64)[:, None] + np.arange(-radius, radius + 1)
    return env[np.clip(idx, 0, env.size - 1)].max(axis=1)


def _fit_line(idx: np.ndarray, times: np.ndarray) -> tuple[float, float]:
    """Least-squares ``times = icpt + slope * idx``, refitted without outliers (> 3 MAD, > 20 ms)."""
    keep = np.ones(idx.size, bool)
    for _ in range(3):
        slope, icpt = np.polyfit(idx[keep], times[keep], 1)
        resid = np.abs(times - (icpt + slope * idx))
        new = resid <= max(3 * 1.4826 * np.median(resid[keep]), 0.02)
        if new.sum() < MIN_BEATS // 2 or (new == keep).all():
            break
        keep = new
    return float(icpt), float(slope)


def _local_periods(idx: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Beat periods fitted over half-overlapping windows of ``LOCAL_SPAN`` beats."""
    out = []
    for start in range(0, max(1, idx[-1] - LOCAL_SPAN + 1), LOCAL_SPAN // 2):
        sel = (idx >= start) & (idx <= start + LOCAL_SPAN)
        if sel.sum() >= LOCAL_SPAN // 2:
            out.append(np.polyfit(idx[sel], times[sel], 1)[0])
    return np.array(out)


# --- meter and downbeats --------------------------------------------------------------


def _meter(feats: _Features, beats: np.ndarray) -> tuple[int | None, int]:
    """Meter (3 or 4, or None) and the index of the first downbeat in ``beats`` (s)."""
    frames = beats * feats.fps
    low = _zscore(_strength(feats.low, frames, 3))
    onset = _zscore(_strength(feats.onset, frames, 3))
    lowmid = _zscore(_strength(feats.lowmid, frames, 3))
    chroma = _beat_chroma(feats.chroma, feats.chroma_fps, beats)
    padded = np.vstack((chroma[:1], chroma[:1], chroma, chroma[-1:]))
    before = padded[:-3] + padded[1:-2]
    after = padded[2:-1] + padded[3:]
    norm = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
    change = 1.0 - np.sum(before * after, axis=1) / np.maximum(norm, 1e-12)
    change = (change - change.mean()) / max(change.std(), CHANGE_FLOOR)
    accent = W_LOW * low + W_CHROMA * change + W_ONSET * onset
    contrast = {
        (m, p): accent[p::m].mean() - accent.mean() for m in (3, 4) for p in range(m) if beats.size >= 2 * m
    }
    if not contrast:
        return None, 0
    # bar periodicity: beat features repeat after a bar (and two), not after the other meter's bar
    features = np.stack((low, onset, lowmid, change), axis=1)
    distance = {
        lag: float(np.mean(np.sum((features[lag:] - features[:-lag]) ** 2, axis=1))) if beats.size > lag else 0.0
        for lag in (3, 4, 6, 8)
    }
    total = sum(distance.values())
    periodic4 = (distance[3] + distance[6] - distance[4] - distance[8]) / total if total > 0 else 0.0
    best = {m: max((v, p) for (mm, p), v in contrast.items() if mm == m) for m in (3, 4)}
    meter = 3 if best[3][0] - best[4][0] - PERIODICITY_WEIGHT * periodic4 > 0 else 4
    score, phase = best[meter]
    if score < KICK_CONTRAST:
        harmonic = _harmonic_meter(feats, beats, chroma, change)
        if harmonic is not None:
            return harmonic
    if score < METER_MIN_CONTRAST:
        return None, 0
    return meter, phase


def _harmonic_meter(
    feats: _Features, beats: np.ndarray, chroma: np.ndarray, change: np.ndarray
) -> tuple[int, int] | None:
    """Meter and first downbeat from harmonic rhythm and phrase structure, for music whose
    bars no kick or bass marks (a chorale, a string quartet); None where the harmony stands
    still (median chroma distance from beat to beat under ``MIN_CHORD_CHANGE``).

    The piece begins on a downbeat or with a one-beat pickup (phase 0 or 1). For each meter
    and phase: the harmonic accent (z-scored harmonic flux, chroma distance from the beat
    before and the two-beat ``change`` of :func:`_meter`) of the downbeats over the beats
    after them (a chord is struck on the downbeat and held or passed through after it), plus
    ``HARMONIC_BAR_WEIGHT`` times the share of the variance of the two chroma distances that
    the position in the bar explains, plus ``END_BONUS`` when the last chord (the last beat
    with half the median harmonic flux) falls on a downbeat (or on the third beat in 4/4).
    """
    unit = chroma / np.maximum(np.linalg.norm(chroma, axis=1, keepdims=True), 1e-12)
    step = np.concatenate(([0.0], 1.0 - np.sum(unit[1:] * unit[:-1], axis=1)))
    if beats.size < 8 or np.median(step[1:]) < MIN_CHORD_CHANGE:
        return None
    flux = _strength(feats.harmonic, beats * feats.fps, 6)
    last = int(np.flatnonzero(flux >= 0.5 * np.median(flux))[-1])
    accents = (_zscore(flux), _zscore(step), change)
    best, answer = -np.inf, None
    for m in (3, 4):
        bar = _bar_share(accents[1], m) + _bar_share(change, m)
        for p in (0, 1):
            lift = sum(float(a[p::m].mean() - a[p + 1 :: m].mean()) for a in accents)
            end = (last - p) % m in ((0, 2) if m == 4 else (0,))
            score = lift + HARMONIC_BAR_WEIGHT * bar + (END_BONUS if end else 0.0)
            if score > best:
                best, answer = score, (m, p)
    return answer


def _bar_share(x: np.ndarray, m: int) -> float:
    """Share of the variance of ``x`` that the position in bars of ``m`` beats explains."""
    rows = x[: x.size // m * m].reshape(-1, m)
    return float(np.mean((rows.mean(axis=0) - rows.mean()) ** 2) / max(rows.var(), 1e-12))


def _beat_chroma(chroma: np.ndarray, chroma_fps: float, beats: np.ndarray) -> np.ndarray:
    """Mean chroma from each beat to the next (the last one lasts a median beat)."""
    ends = np.append(beats[1:], beats[-1] + np.median(np.diff(beats)))
    lo = np.clip(np.round(beats * chroma_fps).astype(np.int64), 0, chroma.shape[0] - 1)
    hi = np.clip(np.round(ends * chroma_fps).astype(np.int64), lo + 1, chroma.shape[0])
    csum = np.vstack((np.zeros((1, 12)), np.cumsum(chroma, axis=0, dtype=np.float64)))
    return (csum[hi] - csum[lo]) / (hi - lo)[:, None]


def _zscore(x: np.ndarray) -> np.ndarray:
    """``(x - mean) / sd``, the scale at least ``RELATIVE_FLOOR`` times the mean: a nearly
    constant feature (identical clicks) stays near 0 instead of amplifying its noise."""
    mean = x.mean()
    return (x - mean) / max(x.std(), RELATIVE_FLOOR * abs(mean), 1e-12)
