"""``manifest.json`` of a delivery, and its verification (``syncready verify-package``).

Every file of the delivery has an entry: its path relative to the delivery folder (POSIX
slashes), its kind (``master``, ``version``, ``cutdown``, ``loop``, ``sting``, ``stem``,
``sheet``, ``report``), the version name it carries, its SHA-256 and, for audio, its duration
(seconds), format (container, rate, bit depth, channels), loudness (integrated LUFS, true peak
dBTP as the loudness meter reads it: 4x, as ``syncready check``) and the checks it passed; a
version also says how it was made (``method``: ``stems``, or ``dsp-separation`` for an
instrumental separated from the mix). The checks of an audio file are measured on the file
itself (:func:`audio_checks`): ``format`` (the profile's container, rate and depth),
``true_peak`` (under the profile's ceiling), ``loudness`` (masters only: on the integrated
target), plus ``contract`` (the edit or version was verified by the call that made it) and,
for the master, every check of ``syncready check`` that passed. :func:`verify` re-hashes and
re-measures and lists the drift: a missing, extra or changed file, or a check it now fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, audio
from ..analysis.loudness import measure
from ..checks.profile import Profile
from ..digest import file_sha256
from ..errors import BadInputError

MANIFEST = "manifest.json"
AUDIO_KINDS = ("master", "version", "cutdown", "loop", "sting", "stem")
LEVEL_TOL = 0.05  # dB: re-measured loudness within this is no drift


@dataclass
class Drift:
    """One difference between a delivery and its manifest."""

    path: str
    problem: str


def measure_audio(path: Path) -> dict:
    """Duration (s), format and loudness (integrated LUFS, true peak dBTP) of an audio file."""
    return measure_sound(audio.load(path))


def measure_sound(sound: audio.Audio) -> dict:
    """:func:`measure_audio` of the file ``sound.source`` describes, from ``sound.samples``:
    for a caller that holds exactly the samples the file decodes to (what it just wrote)."""
    level = measure(sound.samples, sound.sample_rate)
    return measures(sound.duration_s, sound.source, level.integrated_lufs, level.true_peak_dbtp)


def measures(duration_s: float, src: audio.SourceInfo, integrated_lufs: float | None, true_peak_dbtp: float | None) -> dict:
    """The measures of an audio entry from figures already taken on the file's exact samples
    (the loudness meter's integrated loudness and true peak)."""
    return {
        "duration_s": round(duration_s, 4),
        "format": {"container": src.container, "sample_rate": src.sample_rate, "bit_depth": src.bit_depth,
                   "channels": src.channels},
        "loudness": {"integrated_lufs": _round(integrated_lufs), "true_peak_dbtp": _round(true_peak_dbtp)},
    }


def audio_checks(kind: str, measured: dict, profile: Profile) -> list[str]:
    """The checks a measured audio file passes against ``profile`` (see the module notes)."""
    d, L, fmt, level = profile.delivery, profile.loudness, measured["format"], measured["loudness"]
    passed = []
    if (fmt["container"], fmt["sample_rate"], fmt["bit_depth"]) == (d.container, d.sample_rate, d.bit_depth):
        passed.append("format")
    ceiling = L.true_peak_max_dbtp
    if ceiling is None or (level["true_peak_dbtp"] is not None and level["true_peak_dbtp"] <= ceiling + LEVEL_TOL):
        passed.append("true_peak")
    target = L.integrated_lufs
    if kind == "master" and (target is None or (level["integrated_lufs"] is not None
                                                and abs(level["integrated_lufs"] - target) <= L.integrated_tolerance_lu)):
        passed.append("loudness")
    return passed


def entry(root: Path, path: Path, kind: str, version: str | None, profile: Profile, extra_checks: list[str] = (),
          *, measured: dict | None = None, sha256: str | None = None) -> dict:
    """The manifest entry of ``path`` (inside ``root``). ``measured`` (its :func:`measures`) and
    ``sha256``, when the caller already has them for exactly this file's bytes; else the file
    is read, hashed and measured."""
    item = {"path": path.relative_to(root).as_posix(), "kind": kind, "version": version,
            "sha256": sha256 if sha256 is not None else file_sha256(path)}
    if kind in AUDIO_KINDS:
        measured = measured if measured is not None else measure_audio(path)
        item |= measured
        item["checks_passed"] = [*audio_checks(kind, measured, profile), *extra_checks]
    return item


def document(source: Path, profile: Profile, files: list[dict], missing: list[dict], notes: list[str]) -> dict:
    """The whole manifest: source hash, syncready version, profile, files, missing paperwork."""
    return {
        "syncready_version": __version__,
        "source": {"file": source.name, "sha256": file_sha256(source)},
        "profile": profile.name,
        "files": sorted(files, key=lambda f: f["path"]),
        "missing": missing,
        "notes": notes,
    }


def write(root: Path, doc: dict) -> Path:
    """Write ``root/manifest.json`` (sorted keys, two-space indent, trailing newline)."""
    path = root / MANIFEST
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read(root: str | Path) -> dict:
    """The manifest of the delivery ``root``.

    Raises
    ------
    BadInputError
        No readable manifest.json in ``root``.
    """
    path = Path(root) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path}: no readable delivery manifest ({exc})") from None


def verify(root: str | Path, profile: Profile) -> list[Drift]:
    """Re-hash and re-check every file of the delivery ``root`` against its manifest.

    Returns
    -------
    list of Drift
        Empty when the delivery is as its manifest says.
    """
    root = Path(root)
    doc = read(root)
    listed = {f["path"]: f for f in doc["files"]}
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != MANIFEST}
    drift = [Drift(p, "not in the manifest") for p in sorted(on_disk - set(listed))]
    drift += [Drift(p, "missing") for p in sorted(set(listed) - on_disk)]
    for rel in sorted(set(listed) & on_disk):
        drift += _drift(root, listed[rel], profile)
    return drift


def _drift(root: Path, item: dict, profile: Profile) -> list[Drift]:
    path, rel = root / item["path"], item["path"]
    found = []
    if file_sha256(path) != item["sha256"]:
        found.append(Drift(rel, "SHA-256 changed"))
    if item["kind"] not in AUDIO_KINDS:
        return found
    try:
        now = measure_audio(path)
    except BadInputError as exc:
        return [*found, Drift(rel, f"no longer readable audio: {exc}")]
    if abs(now["duration_s"] - item["duration_s"]) > 1e-3:
        found.append(Drift(rel, f"duration {now['duration_s']} s, manifest {item['duration_s']} s"))
    if now["format"] != item["format"]:
        found.append(Drift(rel, f"format {now['format']}, manifest {item['format']}"))
    for key, value in now["loudness"].items():
        was = item["loudness"][key]
        if (value is None) != (was is None) or (value is not None and abs(value - was) > LEVEL_TOL):
            found.append(Drift(rel, f"{key} {value}, manifest {was}"))
    lost = set(audio_checks(item["kind"], item, profile)) - set(audio_checks(item["kind"], now, profile))
    found += [Drift(rel, f"now fails the {check} check") for check in sorted(lost)]
    return found


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
