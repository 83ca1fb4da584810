"""The versions stage of a delivery: versions from stems with one stems folder each, or a
clearly labelled DSP instrumental.

With a stems folder (:func:`from_stems`)
----------------------------------------
The mix and its stems are read once and lined up once (:func:`syncready.stems.stemset.align`);
the same aligned arrays make the versions (:func:`syncready.stems.versions.mix_versions`: the
full version mastered once, its gain and limiter shared by every version) and the delivered
stems. Every version but ``full`` (the Main is the fixed master) is delivered with a folder
``<version file> Stems/`` of the stems it keeps, each at its row's gain (the underscore's
drums sit lower) and without limiter: summed, a folder is its version's mix before the shared
gain and limiter, and must null against it to the profile's ``stems.null_max_db`` (a stem that
clipped when written would not). The manifest notes how close the folder comes to the
delivered version once raised by the shared gain: the rest is the limiter's work.

Without stems, when asked (:func:`dsp_instrumental`)
----------------------------------------------------
The mix is separated by the weight-free ``dsp`` backend (:mod:`syncready.stems.separate`) and
the instrumental (everything but the vocals) is made from those parts exactly like a
stem-built one: the parts summed are the mix, so the shared gain structure is the mix's
master. It is labelled everywhere so that nobody takes it for a stem-built version: asset key
``instrumental_dsp`` (named "Main Inst (DSP)"), ``"method": "dsp-separation"`` in the manifest
and a note that it carries the separation's bleed. No separated stems are delivered.

Verification without reading back: versions and stems are quantised in memory to the delivery
bit depth before they are judged (:func:`syncready.audio.quantised`), written as they
are, and their manifest measures are taken from those samples (the files hold exactly them;
the written header's length and rate are checked). Identical files (a stem kept by several
versions) are written and measured once and copied. Files are written in parallel threads.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import audio
from ..audio import Audio, quantised
from ..errors import ContractError
from ..stems.stemset import Stem, StemSet, align, load_set, residual_db, stem_files
from ..stems.versions import mix_versions, select, version_stems
from ..workers import each
from .manifest import measure_sound, measures
from .naming import safe_name

if TYPE_CHECKING:
    from .package import _Build

DSP_KEY = "instrumental_dsp"
DSP_METHOD = "dsp-separation"
STEMS_METHOD = "stems"


@dataclass
class _File:
    """A file written to the scratch folder, its manifest measures and its SHA-256."""

    path: Path
    measured: dict
    sha256: str


def _write(sound: Audio, path: Path, bit_depth: int, loudness: tuple[float | None, float | None] | None = None) -> _File:
    """Write samples already on the ``bit_depth`` grid; their manifest measures come from
    ``loudness`` (integrated LUFS and the meter's true peak, taken on these samples) or are
    measured here (the file holds exactly these samples)."""
    info = audio.save(sound, path, bit_depth=bit_depth)
    if (info.frames, info.sample_rate) != (sound.frames, sound.sample_rate):
        raise ContractError(f"{path.name}: written with {info.frames} frames at {info.sample_rate} Hz, "
                            f"not {sound.frames} at {sound.sample_rate} Hz")
    measured = (measure_sound(Audio(sound.samples, sound.sample_rate, info)) if loudness is None
                else measures(sound.duration_s, info, *loudness))
    return _File(path, measured, info.sha256)


def from_stems(build: _Build, source: Path, folder: Path, scratch: Path) -> None:
    """The versions of the stem set in ``folder`` and one stems folder per version."""
    profile = build.profile
    rate, depth = profile.delivery.sample_rate, profile.delivery.bit_depth
    stem_set = load_set(source, stem_files(folder, source))
    chosen, skipped = select({s.role for s in stem_set.stems})
    lined = align(stem_set, rate)
    audios, made = mix_versions(stem_set, profile, aligned=lined, bit_depth=depth,
                                only=[v.name for v in chosen if v.name != "full"])  # the Main stands for full
    build.notes.extend(made.notes + [f"{name}: skipped, {why}" for name, why in skipped.items()])
    versions = made.versions
    parts = {v.name: version_stems(v.name, stem_set, lined) for v in versions}
    wanted = {(path, gain_db): x for kept_parts in parts.values() for path, gain_db, x in kept_parts}
    distinct = dict(zip(wanted, each(lambda x: Audio(quantised(x, depth), rate), wanted.values())))
    kept = {name: [(path, gain_db) for path, gain_db, _ in kept_parts] for name, kept_parts in parts.items()}
    gain = np.float32(10.0 ** (made.gain_db / 20.0))
    matches = dict(zip(parts, each(lambda name: _null(name, parts[name], [distinct[k].samples for k in kept[name]],
                                                      audios[name].samples, gain, profile), parts)))
    scratch.mkdir(parents=True, exist_ok=True)
    jobs = [(audios[v.name], scratch / f"version-{v.name}.wav", (v.integrated_lufs, v.meter_true_peak_dbtp))
            for v in versions]
    jobs += [(sound, scratch / f"stem-{i}.wav", None) for i, sound in enumerate(distinct.values())]
    files = each(lambda job: _write(job[0], job[1], depth, job[2]), jobs)
    stem_files_by_key = dict(zip(distinct, files[len(versions):]))
    for v, written in zip(versions, files):
        target = build.place(written.path, v.name, "version", measured=written.measured, sha256=written.sha256,
                             method=STEMS_METHOD)
        stems_dir = target.parent / f"{target.stem} Stems"
        stems_dir.mkdir()
        for path, gain_db in kept[v.name]:
            stem = stem_files_by_key[path, gain_db]
            target_stem = stems_dir / safe_name(f"{path.stem}.wav")
            if stem.path.parent == scratch:  # its first folder: move it in; later folders copy it
                os.replace(stem.path, target_stem)
                stem.path = target_stem
            else:
                shutil.copyfile(stem.path, target_stem)
            build.add(target_stem, "stem", build.naming.version(v.name), ["contract", "null"], measured=stem.measured,
                      sha256=stem.sha256)
        build.notes.append(f"{stems_dir.name}: {len(kept[v.name])} stems, unmastered; raised by the shared "
                           f"{made.gain_db:+.2f} dB they match {target.name} to {matches[v.name]:.1f} dB "
                           "(the rest is the limiter)")


def _null(name: str, parts: list[tuple[Path, float, np.ndarray]], written: list[np.ndarray], version: np.ndarray,
          gain: np.float32, profile) -> float:
    """Hold the written stems of version ``name`` to its mix (the sum of its ``parts`` as
    :func:`~syncready.stems.versions.version_stems` gives them): the null test of its stems
    folder. Returns how close they come to the delivered ``version`` raised by the shared
    ``gain`` (linear), dB re the version."""
    mix = sum(x for _, _, x in parts)
    total = sum(written)
    null_db = residual_db(mix - total, mix)
    if null_db > profile.stems.null_max_db:
        raise ContractError(f"the stems of the {name} version null against it only to {null_db:.1f} dB "
                            f"(needs {profile.stems.null_max_db:g} dB): the written stems do not add up to it")
    total *= gain
    return residual_db(version - total, version)


def dsp_instrumental(build: _Build, source: Path, scratch: Path) -> None:
    """The instrumental separated from the mix by the dsp backend, labelled as such."""
    from ..stems.separate import separate

    profile = build.profile
    rate, depth = profile.delivery.sample_rate, profile.delivery.bit_depth
    mix = audio.load(source)
    parts = separate(mix, "dsp")
    stem_set = StemSet(source, mix, [Stem(source.with_name(f"{source.stem} ({role}, dsp).wav"), role, Audio(x, mix.sample_rate))
                                     for role, x in parts.items()])
    audios, made = mix_versions(stem_set, profile, only=["instrumental"], bit_depth=depth,
                                aligned=align(stem_set, rate, find_offsets=False))
    scratch.mkdir(parents=True, exist_ok=True)
    (version,) = made.versions
    written = _write(audios["instrumental"], scratch / "instrumental-dsp.wav", depth,
                     (version.integrated_lufs, version.meter_true_peak_dbtp))
    target = build.place(written.path, DSP_KEY, "version", measured=written.measured, sha256=written.sha256,
                         method=DSP_METHOD)
    build.notes.append(f"{target.name}: separated from the mix by the dsp backend (a rough, weight-free "
                       f"separation: expect vocal bleed), not made from stems; mastered with the mix's gain "
                       f"structure ({made.gain_db:+.2f} dB)")
