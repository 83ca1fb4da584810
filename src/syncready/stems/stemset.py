"""A stem set and its mix: loading, offsets by cross-correlation, and the null test.

Conventions
-----------
- Stems are compared with the mix at the mix's sample rate and channel count: a stem at
  another rate is resampled, a mono stem is spread to every channel of the mix, a stereo
  stem of a mono mix is folded down. Frames are mix frames.
- A stem's *offset* is where it sits against the mix, in frames: positive when the stem is
  late (its audio starts ``offset`` frames after the mix's). It is the lag of the largest
  cross-correlation between the stem and the mix (channel sums), found on
  ``COARSE_RATE`` Hz copies within ``MAX_OFFSET_S`` (of peaks within ``NEAR_PEAK`` of the
  largest, the one nearest zero: a steady bass line correlates every period) and refined
  to the frame at the full rate; ``correlation`` is the normalised correlation of the aligned stem with the mix
  (0: the stem is not in this mix, 1: it *is* the mix).
- The *null test*: the residual ``mix - sum(stems)``, in dB relative to the mix (ratio of
  RMS); ``raw`` with the stems as delivered (cut or padded with silence to the mix's
  length), also per section of the mix's analysis, and ``aligned`` after moving each stem
  by its offset. ``FLOOR_DB`` stands for a bit-exact null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.signal
import soxr

from .. import audio
from ..analysis import analyze
from ..audio import Audio
from ..errors import BadInputError, UsageError
from ..outputs import same_file
from ..workers import each
from .roles import assign

AUDIO_SUFFIXES = frozenset({".wav", ".wave", ".flac", ".aif", ".aiff", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac"})
COARSE_RATE = 4000
MAX_OFFSET_S = 5.0
NEAR_PEAK = 0.98  # correlation peaks this close to the largest are equally good candidates
REFINE_S = 20.0  # length of the excerpt the full-rate refinement correlates
FLOOR_DB = -200.0


@dataclass
class Stem:
    """One stem file: its role and its samples as read."""

    path: Path
    role: str
    sound: Audio


@dataclass
class StemSet:
    """A mix and its stems."""

    mix_path: Path
    mix: Audio
    stems: list[Stem]


@dataclass
class Placement:
    """Where one stem sits against the mix (see the module notes)."""

    offset: int
    correlation: float


@dataclass
class Aligned:
    """A stem set lined up with its mix at a delivery rate: the work that versions and
    delivered stems share, done once (:func:`align`).

    Attributes
    ----------
    stems : list of numpy.ndarray
        Each stem conformed, moved by its offset, cut or padded to the mix's length and
        resampled to ``sample_rate``: float32 ``(channels, frames)``, in the set's order.
    placements : list of Placement
        Where each stem was found against the mix (mix frames).
    sample_rate, frames : int
        The delivery rate and the mix's length at it.
    raw_null_db : float
        The null residual of the stems as given (cut or padded, not moved), dB re the mix.
    """

    stems: list[np.ndarray]
    placements: list[Placement]
    sample_rate: int
    frames: int
    raw_null_db: float


@dataclass
class NullTest:
    """Residual of ``mix - sum(stems)``, dB relative to the mix, overall and per section."""

    raw_db: float
    aligned_db: float
    sections: list[dict] = field(default_factory=list)


def stem_files(directory: str | Path, mix_path: str | Path) -> list[Path]:
    """The audio files in ``directory`` (not its sub-folders), sorted, the mix excluded.

    Raises
    ------
    UsageError
        Not a folder, or no audio file in it.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder of stems")
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
                   and not same_file(p, mix_path))
    if not found:
        raise UsageError(f"{folder}: no stems (audio files) in this folder")
    return found


def check_paths(mix_path: str | Path, stem_paths: list[str | Path]) -> list[Path]:
    """The stem paths, refused before anything is read or any role is asked: none given, a
    missing one (:class:`BadInputError`), the mix among them, or one given twice."""
    paths = [Path(p) for p in stem_paths]
    if not paths:
        raise UsageError("no stems given: name stem files or --dir DIR")
    for p in paths:
        if not p.exists():
            raise BadInputError(f"{p}: file not found")
        if same_file(p, mix_path):
            raise UsageError(f"{p}: is the mix file itself, not a stem")
    if len({p.resolve() for p in paths}) != len(paths):
        raise UsageError("the same stem file is given twice")
    return paths


def load_set(mix_path: str | Path, stem_paths: list[str | Path], mapping: dict[str, str] | None = None) -> StemSet:
    """Read the mix and its stems (roles from names or ``mapping``, see :mod:`.roles`).

    Raises
    ------
    UsageError
        Unknown roles, or stem paths :func:`check_paths` refuses.
    BadInputError
        A file that is missing or cannot be read as audio.
    """
    paths = check_paths(mix_path, stem_paths)
    roles = assign(paths, mapping)
    mix, *sounds = each(audio.load, [mix_path, *paths])  # decoding releases the GIL: read them side by side
    return StemSet(Path(mix_path), mix, [Stem(p, roles[p], sound) for p, sound in zip(paths, sounds)])


def conform(sound: Audio, like: Audio) -> np.ndarray:
    """``sound``'s samples at ``like``'s rate and channel count (see the module notes)."""
    x = audio.resample(sound, like.sample_rate).samples
    if x.shape[0] == like.channels:
        return x
    if x.shape[0] == 1:
        return np.repeat(x, like.channels, axis=0)
    mono = x.mean(axis=0, keepdims=True)
    return mono if like.channels == 1 else np.repeat(mono, like.channels, axis=0)


def fit(x: np.ndarray, frames: int, offset: int = 0) -> np.ndarray:
    """``x`` moved ``offset`` frames earlier (``offset`` > 0: it was late) and cut or padded
    with silence to ``frames``."""
    out = np.zeros((x.shape[0], frames), np.float32)
    src = x[:, max(0, offset):]
    start = max(0, -offset)
    n = max(0, min(src.shape[1], frames - start))
    out[:, start : start + n] = src[:, :n]
    return out


def place(stem: np.ndarray, mix: np.ndarray, rate: int) -> Placement:
    """Offset and correlation of ``stem`` against ``mix`` (both conformed, see the module notes)."""
    a, b = stem.sum(axis=0), mix.sum(axis=0)
    if not np.any(a) or not np.any(b):
        return Placement(0, 0.0)
    ca = soxr.resample(a, rate, COARSE_RATE, quality="LQ")
    cb = soxr.resample(b, rate, COARSE_RATE, quality="LQ")
    limit = int(MAX_OFFSET_S * COARSE_RATE)
    xc = scipy.signal.correlate(cb, ca, mode="full", method="fft")
    lags = np.arange(-len(ca) + 1, len(cb))
    keep = np.abs(lags) <= limit
    strength = np.abs(xc[keep])
    near = lags[keep][strength >= NEAR_PEAK * strength.max()]  # periodic parts correlate at many lags:
    coarse = int(near[np.argmin(np.abs(near))])  # the one nearest zero is the likeliest
    centre = int(round(-coarse * rate / COARSE_RATE))  # positive: the stem is late
    offset = _refine(a, b, centre, max(2, int(np.ceil(rate / COARSE_RATE)) * 2), rate)
    aligned = fit(stem, mix.shape[1], offset).sum(axis=0)
    denom = np.sqrt(np.dot(aligned, aligned) * np.dot(b, b))
    return Placement(offset, float(np.dot(aligned, b) / denom) if denom > 0 else 0.0)


def place_all(stems: list[np.ndarray], mix: Audio) -> list[Placement]:
    """:func:`place` every conformed stem, loudest first, each against what the louder ones
    (aligned) leave of the mix: a quiet stem (a residual, a shaker) is found in what it
    explains instead of being drowned by the whole mix. Returned in the stems' order."""
    order = sorted(range(len(stems)), key=lambda i: -float(np.dot(stems[i].ravel(), stems[i].ravel())))
    remainder = mix.samples.copy()
    found: list[Placement] = [Placement(0, 0.0)] * len(stems)
    for i in order:
        found[i] = place(stems[i], remainder, mix.sample_rate)
        remainder -= fit(stems[i], mix.frames, found[i].offset)
    return found


def align(stem_set: StemSet, sample_rate: int, *, find_offsets: bool = True) -> Aligned:
    """Conform every stem to the mix, find and apply its offset (:func:`place_all`), cut or
    pad it to the mix and resample it to ``sample_rate`` (see the module notes).

    ``find_offsets=False`` is for stems aligned by construction (a separation of the mix):
    every offset is 0 and no correlation is measured (reported as 0.0).
    """
    mix = stem_set.mix
    conformed = [conform(stem.sound, mix) for stem in stem_set.stems]
    raw_null = residual_db(mix.samples - sum(fit(c, mix.frames) for c in conformed), mix.samples)
    placements = place_all(conformed, mix) if find_offsets else [Placement(0, 0.0) for _ in conformed]
    frames = round(mix.frames * sample_rate / mix.sample_rate)

    def deliver(i: int) -> np.ndarray:
        moved = fit(conformed[i], mix.frames, placements[i].offset)
        at_rate = audio.resample(Audio(moved, mix.sample_rate), sample_rate).samples
        return at_rate if at_rate.shape[1] == frames else fit(at_rate, frames)

    return Aligned(each(deliver, range(len(conformed))), placements, sample_rate, frames, raw_null)


def _refine(a: np.ndarray, b: np.ndarray, centre: int, radius: int, rate: int) -> int:
    """The frame offset within ``centre +- radius`` that best correlates ``a`` with ``b``,
    on the loudest ``REFINE_S`` of ``a``."""
    span = min(len(a), int(REFINE_S * rate))
    step = max(1, span // 4)
    blocks = np.add.reduceat(np.square(a), np.arange(0, len(a), step), dtype=np.float64)  # energy per step
    windows = np.convolve(blocks, np.ones(span // step), mode="valid")  # ~span-long windows starting on a step
    first = int(step * np.argmax(windows[: (len(a) - span) // step + 1]))
    piece = a[first : first + span]
    best, best_value = centre, -np.inf
    for offset in range(centre - radius, centre + radius + 1):
        lo = first - offset  # where the piece lies in the mix
        if lo < 0 or lo + span > len(b):
            continue
        value = float(np.dot(piece, b[lo : lo + span]))
        if value > best_value:
            best, best_value = offset, value
    return best


def _mean_square(x: np.ndarray) -> float:
    """Mean of ``x ** 2`` by one BLAS dot product in ``x``'s precision (float32: good to about
    1e-4 relative, a thousandth of a dB, and ten times faster than a float64 copy)."""
    flat = np.ascontiguousarray(x).ravel()
    return float(np.dot(flat, flat)) / flat.size if flat.size else 0.0


def residual_db(residual: np.ndarray, mix: np.ndarray) -> float:
    """RMS of ``residual`` relative to the RMS of ``mix``, dB (``FLOOR_DB`` for an exact null)."""
    r, m = np.sqrt(_mean_square(residual)), np.sqrt(_mean_square(mix))
    if m == 0.0:
        return 0.0 if r > 0 else FLOOR_DB
    return max(FLOOR_DB, float(20 * np.log10(r / m))) if r > 0 else FLOOR_DB


def null_test(stems: list[np.ndarray], offsets: list[int], mix: Audio) -> NullTest:
    """The null test of conformed ``stems`` against ``mix`` (see the module notes)."""
    frames = mix.frames
    raw = mix.samples - sum(fit(s, frames) for s in stems)
    aligned = mix.samples - sum(fit(s, frames, o) for s, o in zip(stems, offsets))
    sections = []
    if mix.source is not None and mix.source.path:
        for sec in analyze(mix.source.path).music.sections:
            lo, hi = int(sec.start * mix.sample_rate), int(sec.end * mix.sample_rate)
            if hi > lo:
                sections.append({"start_s": round(sec.start, 3), "end_s": round(sec.end, 3), "label": sec.label,
                                 "residual_db": round(residual_db(raw[:, lo:hi], mix.samples[:, lo:hi]), 1)})
    return NullTest(round(residual_db(raw, mix.samples), 1), round(residual_db(aligned, mix.samples), 1), sections)
