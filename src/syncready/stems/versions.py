"""Versions of a song (instrumental, a cappella, underscore...) from one stem set, one gain structure.

What happens, in order
----------------------
1. The roles of the stems come from their names or a mapping (:func:`.roles.assign`; an unknown
   name is a :class:`UsageError`, never a guess), and the versions to make are chosen from
   :data:`VERSIONS` (:func:`select`).
2. Every stem is conformed to the mix (rate, channels), moved by its offset (:func:`.stemset.
   place`), cut or padded to the mix's length and resampled to the profile's delivery rate
   (:func:`.stemset.align`, done once and shared with the delivered stems of a package);
   the stems of each role are summed into a *bus*. Stems are placed loudest
   first, each against what the stems placed before it leave of the mix: a quiet stem (a
   residual) correlates with the whole mix too weakly for its lag to be found, but with that
   remainder it is found at once. (A stem that is not in the mix at all is ``syncready stems
   check``'s business.)
3. The shared gain structure: the *full* version (the sum of every bus) is mastered once
   (:func:`~syncready.produce.master.master_audio`). Its gain and limiter threshold then apply
   unchanged to every version, each through its own run of the same limiter
   (:class:`~syncready.produce.limiter.Limiter`, same settings), so every version sounds like
   the same record: the instrumental is the full song less its vocals, not a louder re-master.
   When the master needed no limiting, the threshold is the one it started from (a safety
   limiter that leaves the full version alone). Premaster profiles get the gain only, never a
   limiter. A DC offset the master removed from the full version is removed from every version.
4. Each version is the sum of its buses at the gains of its row in :data:`VERSIONS` (a role not
   in the row is muted); with ``dialogue`` the underscore gets the dip of :mod:`.dialogue`
   before the shared gain and limiter. The versions are independent and are rendered in
   parallel threads (:func:`syncready.workers.each`). Each is measured (integrated loudness,
   true peak at 8x) and must be as long as the mix at the delivery rate, to the frame, with
   its true peak under the profile's ceiling. Loudness is not a promise: only the full
   version is on target, the others are as loud as they are under the shared gain.
5. :func:`render_versions` quantises each version in memory to the delivery bit depth (TPDF
   dither, :func:`syncready.audio.quantised`) *before* it is judged, so the samples
   held to the contract are exactly the samples written: :func:`syncready.audio.save` writes
   samples on the grid unchanged and the file reads back bit for bit (WAV and FLAC are
   lossless), so the file is not decoded and measured a second time; its length and rate
   are checked from the written header. A version that misses raises
   :class:`ContractError` before anything is written.

Conventions: gains in dB; levels in LUFS, dBTP, dBFS; offsets in ms of the mix (positive: the
stem was late); lengths in frames at the delivery rate. Results hold plain Python numbers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import audio as audio_io
from ..analysis.loudness import measure
from ..analysis.truepeak import true_peak
from ..audio import Audio
from ..checks.profile import Profile
from ..errors import ContractError, UsageError
from ..outputs import guard
from ..workers import each
from ..audio import quantised
from ..produce.limiter import Limiter, LimiterSettings
from ..produce.master import DETECTION_ALLOWANCE_DB, MARGIN_DB, ceiling_dbtp, check_true_peak, master_audio, remove_dc
from .dialogue import DialogueDip, dip
from .roles import ROLES, assign
from .stemset import Aligned, StemSet, align, load_set

__all__ = [
    "UNDERSCORE_DRUMS_DB",
    "VERSIONS",
    "StemPlacement",
    "Version",
    "VersionResult",
    "VersionsResult",
    "mix_versions",
    "render_versions",
    "select",
    "version_stems",
]

UNDERSCORE_DRUMS_DB = -6.0
"""Gain of drums and percussion in the underscore, dB."""
VOCALS = ("vocals", "backing_vocals")
LIMITER_SKIP_MARGIN_DB = 0.01
"""A version this far under the shared threshold (true peak at the limiter's oversampling, after
the gain) skips the limiter, which would leave it alone (:func:`_apply`), dB."""


@dataclass(frozen=True)
class Version:
    """One row of the version table.

    Attributes
    ----------
    name : str
        The version's name (also the end of its file name).
    gains_db : dict of str to float
        Gain of each role it keeps, dB; a role not listed is muted.
    needs : tuple of tuple of str
        Groups of roles: the stem set needs a stem of at least one role of every group (an
        instrumental needs vocals to leave out). Besides, every version must keep a stem.
    """

    name: str
    gains_db: dict[str, float]
    needs: tuple[tuple[str, ...], ...] = ()


def _keep(*roles: str) -> dict[str, float]:
    return dict.fromkeys(roles, 0.0)


def _all_but(*roles: str) -> dict[str, float]:
    return _keep(*(r for r in ROLES if r not in roles))


VERSIONS: dict[str, Version] = {v.name: v for v in (
    Version("full", _keep(*ROLES)),
    Version("instrumental", _all_but(*VOCALS, "residual"), (VOCALS,)),
    Version("acappella", _keep(*VOCALS), (VOCALS,)),
    Version("underscore", {**_keep("bass", "harmony", "fx", "other"),
                           "drums": UNDERSCORE_DRUMS_DB, "percussion": UNDERSCORE_DRUMS_DB}),
    Version("no_drums", _all_but("drums", "percussion", "residual"), (("drums", "percussion"),)),
    Version("bass_drums", _keep("bass", "drums", "percussion"), (("bass",), ("drums", "percussion"))),
    Version("tv_mix", _all_but("vocals", "residual"), (("vocals",),)),
)}
"""The versions, in the order they are made. ``residual`` (what no stem explains: bleed,
bus processing, separation leftovers) cannot be attributed to a role, so only ``full`` keeps it:
in any other version it could carry back what the version leaves out."""


@dataclass(frozen=True)
class StemPlacement:
    """Where a stem was found against the mix.

    Attributes
    ----------
    path, role : str
        The stem file and its role.
    offset_ms : float
        How far it was moved, ms (positive: it was late).
    correlation : float
        Normalised correlation of the aligned stem with what the louder stems leave of the mix
        (see :mod:`.stemset` and the module notes).
    """

    path: str
    role: str
    offset_ms: float
    correlation: float


@dataclass(frozen=True)
class VersionResult:
    """One rendered version.

    Attributes
    ----------
    name : str
        Its name in :data:`VERSIONS`.
    path : str or None
        The written file (None in memory, see :func:`mix_versions`).
    roles : list of str
        The roles of the set it keeps, in :data:`~syncready.stems.roles.ROLES` order.
    stems : list of str
        The stem files it is made of.
    gain_db : float
        The shared gain, dB.
    limiter_gain_reduction_max_db : float
        Largest gain reduction of its limiter run, dB (0 without a limiter).
    integrated_lufs : float or None
        Integrated loudness (of the written file for :func:`render_versions`).
    true_peak_dbtp : float or None
        True peak at 8x, dBTP (likewise).
    meter_true_peak_dbtp : float or None
        True peak as the loudness meter reads it (4x, what ``syncready check`` reports), dBTP;
        like the master's, the larger of the two must stay under the ceiling.
    dialogue : DialogueDip or None
        The dialogue dip, for the underscore made with ``dialogue``.
    """

    name: str
    path: str | None
    roles: list[str]
    stems: list[str]
    gain_db: float
    limiter_gain_reduction_max_db: float
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    meter_true_peak_dbtp: float | None = None
    dialogue: DialogueDip | None = None


@dataclass(frozen=True)
class VersionsResult:
    """The versions of one stem set and their shared gain structure.

    Attributes
    ----------
    mix_path : str
        The mix.
    profile : str
        Profile name.
    sample_rate_hz, bit_depth : int
        Delivery rate and bit depth of every version.
    frames : int
        Length of every version: the mix's length at the delivery rate.
    gain_db : float
        The shared gain, dB (the master of the full version).
    limiter_threshold_dbtp : float or None
        The shared limiter threshold; None for a premaster profile (no limiter).
    limiter : LimiterSettings or None
        The shared limiter's settings; None without a limiter.
    master_reason : str
        What the master of the full version did (its ``MasterResult.reason``).
    stems : list of StemPlacement
        Every stem, as found against the mix.
    versions : list of VersionResult
        The versions made, in :data:`VERSIONS` order.
    skipped : dict of str to str
        Versions not made (not asked for) and why.
    notes : list of str
        Alignment, skipped versions, the safety limiter, DC removal.
    """

    mix_path: str
    profile: str
    sample_rate_hz: int
    bit_depth: int
    frames: int
    gain_db: float
    limiter_threshold_dbtp: float | None
    limiter: LimiterSettings | None
    master_reason: str
    stems: list[StemPlacement]
    versions: list[VersionResult]
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Shared:
    """The gain structure every version goes through."""

    gain_db: float
    threshold_dbtp: float | None
    settings: LimiterSettings | None
    remove_dc: bool


def _missing(version: Version, present: Collection[str]) -> str | None:
    """Why ``version`` cannot be made from a set with the roles ``present``; None when it can."""
    for group in version.needs:
        if not any(role in present for role in group):
            return f"needs a {' or '.join(group)} stem"
    if not any(role in present for role in version.gains_db):
        return "keeps none of these stems"
    return None


def select(present: Collection[str], only: Sequence[str] | None = None, *,
           dialogue: bool = False) -> tuple[list[Version], dict[str, str]]:
    """The versions to make from a set with the roles ``present``.

    Parameters
    ----------
    present : collection of str
        The roles of the stems in the set.
    only : sequence of str or None
        Version names asked for; None: every version the set allows.
    dialogue : bool
        Whether the dialogue dip is asked for (it applies to the underscore).

    Returns
    -------
    versions : list of Version
        In :data:`VERSIONS` order.
    skipped : dict of str to str
        Versions left out (only when ``only`` is None) and why.

    Raises
    ------
    UsageError
        An unknown name in ``only`` (the message lists the valid ones), an asked-for version
        the set cannot make, or ``dialogue`` with an ``only`` that leaves out the underscore.
    """
    if only is not None:
        unknown = [name for name in only if name not in VERSIONS]
        if unknown or not only:
            named = f"unknown version {', '.join(map(repr, unknown))}" if unknown else "no version named"
            raise UsageError(f"{named}; versions are {', '.join(VERSIONS)}")
        if dialogue and "underscore" not in only:
            raise UsageError("--dialogue applies to the underscore; add underscore to --only")
    have = ", ".join(r for r in ROLES if r in present) or "no roles"
    chosen, skipped = [], {}
    for version in VERSIONS.values():
        if only is not None and version.name not in only:
            continue
        why = _missing(version, present)
        if why is None:
            chosen.append(version)
        elif only is not None:
            raise UsageError(f"cannot make the {version.name} version from these stems: it {why} (the set has {have})")
        else:
            skipped[version.name] = why
    return chosen, skipped


def _buses(stem_set: StemSet, lined: Aligned) -> tuple[dict[str, np.ndarray], list[StemPlacement], list[str]]:
    """The aligned stems summed by role; where each was found; alignment notes."""
    rate = stem_set.mix.sample_rate
    sums: dict[str, np.ndarray] = {}
    placements: list[StemPlacement] = []
    notes = []
    for stem, x, found in zip(stem_set.stems, lined.stems, lined.placements):
        offset_ms = 1000.0 * found.offset / rate
        if found.offset:
            notes.append(f"{stem.path.name}: {abs(offset_ms):.1f} ms {'late' if found.offset > 0 else 'early'} "
                         "against the mix; aligned")
        sums[stem.role] = sums[stem.role] + x if stem.role in sums else x
        placements.append(StemPlacement(str(stem.path), stem.role, offset_ms, float(found.correlation)))
    return sums, placements, notes


def _shared(full: Audio, profile: Profile, settings: LimiterSettings) -> tuple[_Shared, str, list[str]]:
    """Master the full version once: the shared gain structure, the master's reason, notes."""
    _, result = master_audio(full, profile, limiter=settings)
    notes = []
    threshold = result.limiter_threshold_dbtp
    if profile.delivery.mastered and threshold is None:
        threshold = ceiling_dbtp(profile, result.integrated_lufs) - MARGIN_DB - DETECTION_ALLOWANCE_DB
        notes.append(f"the full version needed no limiting; every version passes a safety limiter at "
                     f"{threshold:.2f} dBTP")
    dc_removed = result.dc_offset_removed_dbfs is not None
    if dc_removed:
        notes.append(f"a DC offset of {result.dc_offset_removed_dbfs:.1f} dBFS is removed from every version")
    limited = profile.delivery.mastered
    shared = _Shared(result.gain_db, threshold if limited else None, settings if limited else None, dc_removed)
    return shared, result.reason, notes


def _apply(x: np.ndarray, rate: int, shared: _Shared) -> tuple[np.ndarray, float]:
    """``x`` through the shared gain structure: the samples and the limiter's largest reduction.

    The limiter cuts only where its detection (the true peak at its oversampling) passes the
    threshold, so a version whose true peak at that oversampling, after the gain, is
    :data:`LIMITER_SKIP_MARGIN_DB` under the threshold comes out of it as ``x`` times the gain,
    sample for sample: the limiter is not run (one pruned peak scan instead of an envelope).
    """
    if shared.remove_dc:
        x = remove_dc(x, rate)
    drive = np.float32(10.0 ** (shared.gain_db / 20.0))
    if shared.threshold_dbtp is None:
        return x * drive, 0.0
    level = 10.0 ** ((shared.threshold_dbtp - LIMITER_SKIP_MARGIN_DB) / 20.0)
    if true_peak(x, rate, shared.settings.oversample) * float(drive) <= level:
        return x * drive, 0.0
    limited = Limiter(x, rate, shared.settings).run(shared.gain_db, shared.threshold_dbtp)
    return limited.samples, float(limited.gain_reduction_max_db)


def _judge(x: Audio, frames: int, profile: Profile) -> tuple[float | None, float | None, float | None, list[str]]:
    """Integrated loudness, the 8x and the meter's (4x) true peak (dBTP) and the broken
    promises (length, the larger true peak above the ceiling)."""
    meter = measure(x.samples, x.sample_rate)
    lufs = None if meter.integrated_lufs is None else float(meter.integrated_lufs)
    peak = check_true_peak(x.samples, x.sample_rate, meter.true_peak_dbtp)
    peak_dbtp = 20.0 * math.log10(peak) if peak > 0.0 else None
    broken = []
    if x.frames != frames or x.sample_rate != profile.delivery.sample_rate:
        broken.append(f"{x.frames} frames at {x.sample_rate} Hz, not the mix's {frames} at "
                      f"{profile.delivery.sample_rate} Hz")
    ceiling = ceiling_dbtp(profile, lufs)
    worst = max((p for p in (peak_dbtp, meter.true_peak_dbtp) if p is not None), default=None)
    if worst is not None and worst > ceiling:
        broken.append(f"true peak {worst:.2f} dBTP is above {ceiling:g} dBTP")
    return lufs, peak_dbtp, meter.true_peak_dbtp, broken


def mix_versions(
    stem_set: StemSet,
    profile: Profile,
    *,
    only: Sequence[str] | None = None,
    dialogue: bool = False,
    limiter: LimiterSettings = LimiterSettings(),
    aligned: Aligned | None = None,
    bit_depth: int | None = None,
) -> tuple[dict[str, Audio], VersionsResult]:
    """Make the versions of a stem set in memory (see the module notes for the steps).

    Parameters
    ----------
    stem_set : StemSet
        The mix and its stems (:func:`.stemset.load_set`).
    profile : Profile
        The delivery profile: rate, loudness target, true-peak ceiling.
    only : sequence of str or None
        Version names to make; None: every version the set allows (the others are skipped
        with a note).
    dialogue : bool
        Dip the underscore's speech band (:func:`.dialogue.dip`) before the shared gain.
    limiter : LimiterSettings
        The shared limiter's timing and detection.
    aligned : Aligned or None
        The set already lined up at the delivery rate (:func:`.stemset.align`), when the
        caller needs it too (delivered stems); None aligns here.
    bit_depth : int or None
        16, 24 or 32: return (and judge) the samples exactly as a file of that depth holds
        them (:func:`~syncready.audio.quantised`); None: float32, not quantised.

    Returns
    -------
    audio : dict of str to Audio
        Each version by name, at the delivery rate.
    result : VersionsResult
        ``path`` None; the measures are those of the returned samples.

    Raises
    ------
    UsageError
        As :func:`select`.
    BadInputError
        The stems sum to silence.
    TargetUnreachable
        The full version needs more limiting than allowed to reach the target.
    ContractError
        A version misses its length or the ceiling (nothing is returned).
    """
    mix, rate = stem_set.mix, profile.delivery.sample_rate
    chosen, skipped = select({s.role for s in stem_set.stems}, only, dialogue=dialogue)
    lined = aligned if aligned is not None else align(stem_set, rate)
    if lined.sample_rate != rate:
        raise ValueError(f"the stems are aligned at {lined.sample_rate} Hz, the profile delivers {rate} Hz")
    buses, placements, notes = _buses(stem_set, lined)
    frames = lined.frames
    source = None if mix.source is None else dataclasses.replace(mix.source, path=f"{stem_set.mix_path} (stems summed)")
    shared, reason, shared_notes = _shared(Audio(sum(buses.values()), rate, source), profile, limiter)
    notes += shared_notes + [f"{name}: skipped, {why}" for name, why in skipped.items()]
    if dialogue and "underscore" in skipped:
        notes.append("--dialogue: no underscore to dip")

    def render(version: Version) -> tuple[Audio, VersionResult]:
        roles = [r for r in ROLES if r in buses and r in version.gains_db]
        x = sum(buses[r] * np.float32(10.0 ** (version.gains_db[r] / 20.0)) for r in roles)
        dipped = None
        if dialogue and version.name == "underscore":
            x, dipped = dip(x, rate)
        x, reduction = _apply(x, rate, shared)
        out = Audio(x if bit_depth is None else quantised(x, bit_depth), rate, mix.source)
        lufs, peak, meter_peak, broken = _judge(out, frames, profile)
        if broken:
            raise ContractError(f"{stem_set.mix_path}: the {version.name} version missed its contract "
                                f"({'; '.join(broken)}); nothing was written")
        return out, VersionResult(version.name, None, roles, [str(s.path) for s in stem_set.stems if s.role in roles],
                                  float(shared.gain_db), reduction, lufs, peak, meter_peak, dipped)

    made = each(render, chosen)
    result = VersionsResult(str(stem_set.mix_path), profile.name, rate, profile.delivery.bit_depth, frames,
                            float(shared.gain_db), shared.threshold_dbtp, shared.settings, reason, placements,
                            [r for _, r in made], skipped, notes)
    return {r.name: sound for sound, r in made}, result


def version_stems(name: str, stem_set: StemSet, aligned: Aligned) -> list[tuple[Path, float, np.ndarray]]:
    """The stems the version ``name`` keeps, each at its row's gain: what its stems folder
    holds. Summed, they are the version before the shared gain and limiter (stems carry
    no limiter).

    Returns
    -------
    list of (Path, float, numpy.ndarray)
        The stem file, its gain (dB) and its aligned samples at that gain, in the set's order.
    """
    gains = VERSIONS[name].gains_db
    return [(stem.path, gains[stem.role], x if gains[stem.role] == 0.0 else x * np.float32(10.0 ** (gains[stem.role] / 20.0)))
            for stem, x in zip(stem_set.stems, aligned.stems) if stem.role in gains]


def render_versions(
    mix_path: str | Path,
    stem_paths: Sequence[str | Path],
    out_dir: str | Path,
    profile: Profile,
    *,
    only: Sequence[str] | None = None,
    mapping: dict[str, str] | None = None,
    dialogue: bool = False,
    overwrite: bool = False,
) -> VersionsResult:
    """Make the versions of a stem set and write them (``syncready versions``).

    Parameters
    ----------
    mix_path : str or Path
        The mix.
    stem_paths : sequence of str or Path
        Its stems (:func:`.stemset.stem_files` lists a folder's).
    out_dir : str or Path
        Folder of the outputs ``<mix stem>-<version>.wav`` (created if missing).
    profile : Profile
        The delivery profile.
    only, dialogue
        As :func:`mix_versions`.
    mapping : dict of str to str or None
        File name (or stem) -> role, winning over the names (:func:`.roles.read_mapping`
        reads a ``--roles`` file).
    overwrite : bool
        Allow replacing existing outputs (never the inputs).

    Returns
    -------
    VersionsResult
        Paths set; the measures are those of the written samples.

    Raises
    ------
    UsageError
        Unknown stem roles (naming the files), unknown or impossible versions, an output that
        is an input or exists; all before any audio is read.
    BadInputError
        An unreadable input, or stems that sum to silence.
    TargetUnreachable
        As :func:`mix_versions`; nothing is written.
    ContractError
        A version missed its contract (nothing written), or a written file is not as long as
        the samples judged (that file deleted).
    """
    mix_path, out_dir = Path(mix_path), Path(out_dir)
    paths = [Path(p) for p in stem_paths]
    suffix = {"WAV": ".wav", "FLAC": ".flac"}.get(profile.delivery.container.upper())
    if suffix is None:
        raise UsageError(f"{profile.name} delivers {profile.delivery.container}; versions are written as WAV or FLAC")
    chosen, _ = select(set(assign(paths, mapping).values()), only, dialogue=dialogue)
    inputs = [mix_path, *paths]
    targets = {v.name: guard(out_dir / f"{mix_path.stem}-{v.name}{suffix}", inputs, overwrite=overwrite) for v in chosen}
    depth = profile.delivery.bit_depth
    audios, result = mix_versions(load_set(mix_path, paths, mapping), profile, only=only, dialogue=dialogue,
                                  bit_depth=depth)

    def write(version: VersionResult) -> VersionResult:
        path = targets[version.name]
        info = audio_io.save(audios[version.name], path, bit_depth=depth, protect=inputs, overwrite=overwrite)
        if (info.frames, info.sample_rate) != (result.frames, result.sample_rate_hz):  # the file holds the judged samples
            path.unlink(missing_ok=True)
            raise ContractError(f"{path}: the {version.name} version was written with {info.frames} frames at "
                                f"{info.sample_rate} Hz, not {result.frames} at {result.sample_rate_hz} Hz; not kept")
        return dataclasses.replace(version, path=str(path))

    return dataclasses.replace(result, versions=each(write, result.versions))
