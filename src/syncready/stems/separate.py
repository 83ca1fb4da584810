"""Separating a mix into four stems: the backend registry, in memory and to files.

Conventions
-----------
- Roles are :data:`ROLES`, the 4-stem convention of Demucs: ``vocals`` (the lead: a voice,
  or a lead instrument when nobody sings), ``drums``, ``bass`` and ``other``.
- Stems have the mix's sample rate, channel count and length (float32
  ``(channels, frames)`` in memory; 24-bit WAV files named ``<role>.wav`` on disk).
- Backends (:data:`BACKENDS`): ``dsp`` (:mod:`.dsp`, no weights, a rough fallback whose
  stems sum to the mix) and ``demucs`` (:mod:`.demucs_backend`, a trained model the user
  has locally; needs the ``demucs`` extra). A backend module is imported only when used.
- The *null residual* is ``mix - sum(stems)`` as written (24-bit files re-read), its RMS
  in dB relative to the mix's (:func:`syncready.stems.stemset.residual_db`).
"""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..audio import Audio, load, save
from ..errors import BadInputError, UsageError
from ..outputs import guard
from .stemset import residual_db

ROLES = ("vocals", "drums", "bass", "other")
BACKENDS = {"dsp": "syncready.stems.dsp", "demucs": "syncready.stems.demucs_backend"}
"""Backend name -> module with ``separate(audio, model) -> Separation``."""
SILENCE_DBFS = -90.0
"""A mix whose peak is below this is silent: there is nothing to separate."""


class Separation(NamedTuple):
    """What a backend returns.

    Attributes
    ----------
    stems : dict of str to numpy.ndarray
        Every role of :data:`ROLES` -> float32 ``(channels, frames)`` like the mix.
    model : str or None
        The model actually used (a file or folder), None for ``dsp``.
    notes : list of str
        Caveats for the user.
    """

    stems: dict[str, np.ndarray]
    model: str | None
    notes: list[str]


@dataclass
class SplitResult:
    """What :func:`split` wrote.

    Attributes
    ----------
    backend : str
        ``"dsp"`` or ``"demucs"``.
    model : str or None
        Path of the model used; None for ``dsp``.
    stems : list of dict
        ``{"role": role, "path": file}`` in :data:`ROLES` order.
    notes : list of str
        Caveats of the backend, and the null residual.
    seconds : float
        Wall time of the whole split (reading, separating, writing, re-reading), s.
    residual_db : float
        The null residual of the written stems against the mix, dB re the mix.
    """

    backend: str
    model: str | None
    stems: list[dict[str, str]]
    notes: list[str]
    seconds: float
    residual_db: float

    def to_dict(self) -> dict:
        """Plain JSON-able dict of the fields."""
        return asdict(self)


def separate(audio: Audio, backend: str = "dsp", model: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """Separate a mix in memory.

    Parameters
    ----------
    audio : Audio
        The mix.
    backend : str
        A key of :data:`BACKENDS`.
    model : path or None
        For ``demucs``: a checkpoint file or model folder (None: the cached ``htdemucs``).

    Returns
    -------
    dict of str to numpy.ndarray
        Role -> float32 ``(channels, frames)``, every role of :data:`ROLES`.

    Raises
    ------
    UsageError
        Unknown backend, a model where none is taken, no usable model.
    BadInputError
        A silent mix.
    """
    return _run(audio, backend, model, "the mix").stems


def split(
    mix_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    backend: str = "dsp",
    model: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> SplitResult:
    """Separate a mix file into ``<role>.wav`` files (24-bit, the mix's rate and channels).

    Every destination is checked before the separation starts: none may be the mix, and
    none may exist unless ``overwrite``. The written files are read back to measure the
    null residual.

    Parameters
    ----------
    mix_path : path
        The mix, any format :func:`syncready.audio.load` reads.
    out_dir : path
        Folder for the stems (created if missing).
    backend, model
        As :func:`separate`.
    overwrite : bool
        Replace existing stem files.

    Returns
    -------
    SplitResult

    Raises
    ------
    BadInputError
        The mix cannot be read or is silent.
    UsageError
        As :func:`separate`; a destination that exists, is the mix, or cannot be written.
    """
    started = time.perf_counter()
    name = os.fspath(mix_path)
    targets = {role: Path(out_dir) / f"{role}.wav" for role in ROLES}
    for path in targets.values():
        guard(path, [mix_path], overwrite=overwrite)
    mix = load(mix_path)
    result = _run(mix, backend, model, name)
    total = np.zeros_like(mix.samples)
    for role, path in targets.items():
        save(Audio(result.stems[role], mix.sample_rate), path, protect=[mix_path], overwrite=overwrite)
        total += load(path).samples
    residual = residual_db(mix.samples - total, mix.samples)
    notes = [*result.notes, f"null residual (mix minus the written stems): {residual:.1f} dB re the mix"]
    return SplitResult(backend, result.model, [{"role": role, "path": str(path)} for role, path in targets.items()],
                       notes, time.perf_counter() - started, round(residual, 1))


def _run(audio: Audio, backend: str, model: str | os.PathLike | None, name: str) -> Separation:
    """Check the arguments and the mix, then call the backend."""
    if backend not in BACKENDS:
        raise UsageError(f"unknown separation backend {backend!r}; use one of: {', '.join(BACKENDS)}")
    peak = float(np.max(np.abs(audio.samples), initial=0.0))
    if peak < 10 ** (SILENCE_DBFS / 20):
        raise BadInputError(f"{name}: is silent (peak below {SILENCE_DBFS:.0f} dBFS); nothing to separate")
    return importlib.import_module(BACKENDS[backend]).separate(audio, None if model is None else os.fspath(model))
