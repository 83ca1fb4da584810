"""The weight-free separation backend: REPET-SIM, HPSS and a bass crossover on one STFT.

A rough fallback for when no trained model is at hand; expect bleed between the stems.

Method
------
1. One STFT of every channel (periodic Hann window of about 46 ms, hop a quarter of it).
   Masks are estimated once on the channels' mean magnitude and applied to every
   channel, so the stems keep the mix's stereo image.
2. Masks are estimated on a coarser grid (:data:`POOL`: frames averaged in pairs), which
   halves the cost of the median filters, and interpolated back (pooling bins as well
   cost the drums 2 dB of SDR in bench/bench_separation.py).
3. **Vocals** (REPET-SIM, Rafii & Pardo 2012): for each frame, the :data:`NEIGHBOURS` most
   similar frames (cosine similarity of compressed band magnitudes; at most one per
   :data:`MIN_GAP_S` stretch, none within that distance of the frame itself) give a
   repeating model, their element-wise median; ``min(model, V) / V`` is the repeating
   (accompaniment) share. The rest, above a smooth high-pass at :data:`VOCAL_CUTOFF_HZ`,
   is the non-repeating lead: a voice, or a lead instrument when nobody sings.
4. **Drums** (HPSS, Fitzgerald 2010) on the accompaniment: median filters across time
   (harmonic) and across frequency (percussive) of its magnitude, soft (Wiener, power 2)
   masks.
5. **Bass**: the harmonic accompaniment below a smooth crossover at
   :data:`BASS_CUTOFF_HZ`; **other**: the rest of it.

The four masks are products of complementary pairs (``m`` and ``1 - m``), so they sum to
one in every time-frequency cell: the stems add up to the inverse STFT of the mix, which
is the mix to float32 rounding (a null residual near -130 dB).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
from scipy.ndimage import median_filter

from ..audio import Audio
from ..errors import UsageError
from ..workers import per_channel
from .separate import Separation

WINDOW_S = 0.046
"""STFT window length, s (rounded to a power of two of samples: 2048 at 44.1 and 48 kHz)."""
POOL = (2, 1)
"""Frames and bins averaged together for the mask estimation grid."""
NEIGHBOURS = 20
"""Similar frames whose median is the repeating model (REPET-SIM's k)."""
MIN_GAP_S = 1.0
"""Least distance between chosen similar frames, and from the frame itself, s."""
SIMILARITY_BANDS = 64
"""Log-spaced bands of the features that frame similarity is measured on."""
HARMONIC_S = 0.2
"""Length of the median filter across time (harmonic), s."""
PERCUSSIVE_HZ = 400.0
"""Width of the median filter across frequency (percussive), Hz."""
VOCAL_CUTOFF_HZ = 150.0
"""Crossover below which non-repeating content stays in the accompaniment, Hz."""
BASS_CUTOFF_HZ = 200.0
"""Crossover between bass and other in the harmonic accompaniment, Hz."""
CROSSOVER_ORDER = 4
# NEIGHBOURS, MIN_GAP_S and the two cutoffs were chosen on bench/bench_separation.py's songs.
"""Slope of the crossovers: ``1 / (1 + (f / fc) ** (2 * order))``, 24 dB/octave."""
NOTE = "dsp: a rough, weight-free fallback; expect bleed"

_BLOCK_ROWS = 512  # frames whose similarity rows are held at once


def separate(audio: Audio, model: str | None = None) -> Separation:
    """Split ``audio`` into vocals, drums, bass and other.

    Parameters
    ----------
    audio : Audio
        The mix, any rate and channel count.
    model : None
        This backend has no model.

    Returns
    -------
    Separation
        Stems (float32 ``(channels, frames)`` like ``audio.samples``, summing to the mix),
        no model, and the notes that label this backend a rough fallback.

    Raises
    ------
    UsageError
        A model was given.
    """
    if model is not None:
        raise UsageError(f"{model}: the dsp backend takes no model (--model is for --backend demucs)")
    n_fft = 2 ** round(math.log2(WINDOW_S * audio.sample_rate))
    spectra = stft(audio.samples, n_fft)
    masks = role_masks(np.abs(spectra).mean(axis=0), audio.sample_rate, n_fft)
    stems = {role: istft(spectra * mask, n_fft, audio.frames) for role, mask in masks.items()}
    return Separation(stems, None, [NOTE, f"dsp: vocals is the non-repeating part above {VOCAL_CUTOFF_HZ:.0f} Hz "
                                          "(REPET-SIM): a lead instrument lands there too"])


def stft(x: np.ndarray, n_fft: int) -> np.ndarray:
    """Short-time spectra of every channel.

    Parameters
    ----------
    x : numpy.ndarray
        float32 ``(channels, frames)``.
    n_fft : int
        Window length, samples (a multiple of 4); the hop is ``n_fft // 4``.

    Returns
    -------
    numpy.ndarray
        complex64 ``(channels, windows, n_fft // 2 + 1)``. The signal is padded with
        ``n_fft`` zeros at the start (and enough at the end), so every sample lies under
        four full windows and :func:`istft` inverts exactly.
    """
    hop = n_fft // 4
    windows = -(-(x.shape[1] + n_fft) // hop) + 1
    padded = np.zeros((x.shape[0], (windows + 3) * hop), np.float32)
    padded[:, n_fft : n_fft + x.shape[1]] = x
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft, axis=1)[:, ::hop][:, :windows]
    return scipy.fft.rfft(frames * _window(n_fft), axis=2, workers=-1).astype(np.complex64, copy=False)


def istft(spectra: np.ndarray, n_fft: int, frames: int) -> np.ndarray:
    """Inverse of :func:`stft` by weighted overlap-add; float32 ``(channels, frames)``."""
    hop = n_fft // 4
    channels, windows, _ = spectra.shape
    pieces = scipy.fft.irfft(spectra, n=n_fft, axis=2, workers=-1).astype(np.float32, copy=False)
    pieces *= _window(n_fft) / 1.5  # a periodic Hann squared sums to 1.5 at a quarter hop
    out = np.zeros((channels, (windows + 3) * hop), np.float32)
    for k in range(4):
        out[:, k * hop : (k + windows) * hop] += pieces[:, :, k * hop : (k + 1) * hop].reshape(channels, -1)
    return out[:, n_fft : n_fft + frames].copy()


def role_masks(magnitude: np.ndarray, sample_rate: int, n_fft: int) -> dict[str, np.ndarray]:
    """Soft masks of the four roles; they sum to one in every cell.

    Parameters
    ----------
    magnitude : numpy.ndarray
        Mean magnitude over the channels, ``(windows, bins)`` as from :func:`stft`.
    sample_rate : int
        Hz.
    n_fft : int
        Window length of the STFT, samples.

    Returns
    -------
    dict of str to numpy.ndarray
        Role (see :data:`.separate.ROLES`) -> float32 ``(windows, bins)`` in [0, 1].
    """
    hop_s = n_fft / 4 / sample_rate
    coarse = _pool(magnitude)
    coarse_hop_s = hop_s * POOL[0]
    bin_hz = sample_rate / n_fft * POOL[1]
    repeating = _repeating_share(coarse, sample_rate / n_fft, coarse_hop_s)
    accompaniment = repeating * coarse
    time_size = max(3, round(HARMONIC_S / coarse_hop_s) | 1)
    freq_size = max(3, round(PERCUSSIVE_HZ / bin_hz) | 1)
    harmonic, percussive = per_channel(
        lambda axis: median_filter(accompaniment, size=(time_size, freq_size)[axis], axes=axis), 2)
    percussive_share = percussive**2 / (percussive**2 + harmonic**2 + np.float32(1e-30))

    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate).astype(np.float32)
    lead = (1 - _upsample(repeating, magnitude.shape)) * _high_pass(freqs, VOCAL_CUTOFF_HZ)
    percussive_share = _upsample(percussive_share, magnitude.shape)
    drums = (1 - lead) * percussive_share
    harmonic_part = (1 - lead) * (1 - percussive_share)
    other = harmonic_part * _high_pass(freqs, BASS_CUTOFF_HZ)
    return {"vocals": lead, "drums": drums, "bass": harmonic_part * (1 - _high_pass(freqs, BASS_CUTOFF_HZ)),
            "other": other}


def _window(n_fft: int) -> np.ndarray:
    """Periodic Hann window, float32."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)


def _high_pass(freqs: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Smooth high-pass share ``1 - 1 / (1 + (f / fc) ** (2 * order))`` per bin."""
    return (1 - 1 / (1 + (freqs / cutoff_hz) ** (2 * CROSSOVER_ORDER))).astype(np.float32)


def _pool(x: np.ndarray) -> np.ndarray:
    """Mean over :data:`POOL` blocks of ``(windows, bins)`` (a last partial block is averaged too)."""
    for axis, factor in enumerate(POOL):
        n = x.shape[axis]
        edges = np.arange(0, n, factor)
        counts = np.diff(np.append(edges, n)).astype(np.float32)
        x = np.add.reduceat(x, edges, axis=axis) / np.expand_dims(counts, 1 - axis)
    return x.astype(np.float32, copy=False)


def _upsample(x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Linear interpolation of a :func:`_pool`-ed array back to ``shape`` (block centres)."""
    for axis, (factor, n) in enumerate(zip(POOL, shape)):
        last = x.shape[axis] - 1
        pos = np.clip((np.arange(n) + 0.5) / factor - 0.5, 0, last)
        lo = np.minimum(pos.astype(np.int64), max(last - 1, 0))
        w = np.expand_dims((pos - lo).astype(np.float32), 1 - axis)
        x = np.take(x, lo, axis=axis) * (1 - w) + np.take(x, np.minimum(lo + 1, last), axis=axis) * w
    return x


def _similarity_features(magnitude: np.ndarray, bin_hz: float) -> np.ndarray:
    """Unit-length rows of cube-root band magnitudes, ``(windows, SIMILARITY_BANDS)``."""
    bins = magnitude.shape[1]
    freqs = (np.arange(bins) + 0.5) * bin_hz
    edges = np.geomspace(40.0, max(freqs[-1], 80.0), SIMILARITY_BANDS + 1)
    band = np.clip(np.searchsorted(edges, freqs) - 1, 0, SIMILARITY_BANDS - 1)
    weights = np.zeros((bins, SIMILARITY_BANDS), np.float32)
    weights[np.arange(bins), band] = 1.0
    features = np.cbrt(magnitude @ weights)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def _repeating_share(magnitude: np.ndarray, fft_bin_hz: float, hop_s: float) -> np.ndarray:
    """REPET-SIM's soft repeating mask ``min(model, V) / V`` on a ``(windows, bins)`` grid."""
    windows = magnitude.shape[0]
    gap = max(1, round(MIN_GAP_S / hop_s))
    blocks = -(-windows // gap)
    k = min(NEIGHBOURS, blocks - 3)  # the frame's own neighbourhood can reach into 3 blocks
    if k < 1:  # too short to repeat: everything counts as accompaniment
        return np.ones_like(magnitude)
    features = _similarity_features(magnitude, fft_bin_hz * POOL[1])
    model = np.empty_like(magnitude)
    for start in range(0, windows, _BLOCK_ROWS):
        rows = np.arange(start, min(start + _BLOCK_ROWS, windows))
        similarity = np.full((len(rows), blocks * gap), -np.inf, np.float32)
        similarity[:, :windows] = features[rows] @ features.T
        for offset in range(-gap + 1, gap):  # nothing near the frame itself
            cols = rows + offset
            keep = (cols >= 0) & (cols < windows)
            similarity[rows[keep] - start, cols[keep]] = -np.inf
        per_block = similarity.reshape(len(rows), blocks, gap)
        best_in_block = per_block.argmax(axis=2)
        block_best = np.take_along_axis(per_block, best_in_block[:, :, None], axis=2)[:, :, 0]
        chosen = np.argpartition(-block_best, k - 1, axis=1)[:, :k]
        frames = chosen * gap + np.take_along_axis(best_in_block, chosen, axis=1)
        model[rows] = np.median(magnitude[frames], axis=1)
    return np.divide(np.minimum(model, magnitude), magnitude, out=np.ones_like(magnitude), where=magnitude > 0)
