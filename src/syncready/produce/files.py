"""Reading a track for production and writing its edits.

Edits keep the source's sample rate and are written as 24-bit PCM (a 16-bit source's
untouched samples stay exact; fades and crossfades keep their resolution); converting to a
delivery format is :mod:`syncready.produce.master`'s job. An output never replaces an input, and replaces an existing file only when asked.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from .. import audio
from ..analysis import Analysis, analyze
from ..audio import Audio, SourceInfo
from ..errors import BadInputError
from ..outputs import atomic_path

EDIT_BIT_DEPTH = 24


def load_track(path: str | Path, *, use_cache: bool = True, action: str = "edit",
               analysis: Analysis | None = None) -> tuple[Audio, Analysis]:
    """The samples and the (cached, or given) analysis of ``path``.

    Raises
    ------
    BadInputError
        Unreadable, or silent (``"... is silent; nothing to <action>"``).
    """
    analysis = analysis if analysis is not None else analyze(path, use_cache=use_cache)
    if analysis.levels.head_s is None:
        raise BadInputError(f"{path}: the file is silent; nothing to {action}")
    return audio.load(path), analysis


def write_edit(samples: np.ndarray, like: Audio, out: str | Path, *, protect: list[str | Path], overwrite: bool) -> SourceInfo:
    """Save ``samples`` (``(channels, frames)``) as 24-bit at ``like``'s rate."""
    edit = Audio(samples, like.sample_rate, like.source)
    return audio.save(edit, out, bit_depth=EDIT_BIT_DEPTH, protect=protect, overwrite=overwrite)


def write_unchanged(path: str | Path, sound: Audio, out: str | Path, *, overwrite: bool) -> None:
    """Deliver an input that needs no change: a byte-for-byte copy when ``out`` has the
    input's suffix, else the same samples written in ``out``'s format."""
    if Path(out).suffix.lower() != Path(path).suffix.lower():
        write_edit(sound.samples, sound, out, protect=[path], overwrite=overwrite)
    else:
        copy_file(path, out, overwrite=overwrite)


def copy_file(path: str | Path, out: str | Path, *, overwrite: bool) -> None:
    """Copy ``path`` byte for byte to ``out``, atomically, never over an input."""
    with atomic_path(out, [path], overwrite=overwrite) as temp:
        shutil.copyfile(path, temp)
