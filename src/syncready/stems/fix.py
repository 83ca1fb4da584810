"""``syncready stems fix``: a stem set that lines up with its mix, in the delivery format.

Every stem is conformed to the mix (rate, channels: see :mod:`.stemset`), moved by its
measured offset, cut or padded with silence to the mix's length, resampled to the profile's
delivery rate and written at its bit depth as ``OUTDIR/<stem name>.wav``. With ``residual``
the difference ``mix - sum(stems)`` is written as one more stem, ``residual.wav``, so that the
set nulls against the mix to the resolution of the files. The written set is read back and
null-tested against the mix at the delivery rate; with a residual stem it must reach the
profile's ``null_max_db`` or nothing is kept (:class:`~syncready.errors.ContractError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import audio
from ..audio import Audio
from ..checks.profile import Profile
from ..errors import ContractError, UsageError
from ..outputs import guard
from .stemset import StemSet, align, residual_db

RESIDUAL_NAME = "residual.wav"


@dataclass
class StemChange:
    """One written stem and what was changed to make it."""

    path: str
    source: str | None
    role: str
    changes: list[str] = field(default_factory=list)


@dataclass
class StemFixResult:
    """The fixed set: its files, the format, and the null residual before and after (dB re the mix)."""

    out_dir: str
    sample_rate: int
    bit_depth: int
    stems: list[StemChange]
    null_before_db: float
    null_after_db: float


def fix_set(stems: StemSet, out_dir: str | Path, profile: Profile, *, residual: bool = False,
            overwrite: bool = False) -> StemFixResult:
    """Align, pad and convert ``stems`` into ``out_dir`` (see the module notes).

    Raises
    ------
    UsageError
        An output that exists (without ``overwrite``) or is an input; two stems with one name.
    ContractError
        With ``residual``, the written set does not null to the profile's ``null_max_db``.
    """
    mix, rate, depth = stems.mix, profile.delivery.sample_rate, profile.delivery.bit_depth
    inputs = [stems.mix_path, *(s.path for s in stems.stems)]
    outs = [Path(out_dir) / f"{s.path.stem}.wav" for s in stems.stems] + ([Path(out_dir) / RESIDUAL_NAME] if residual else [])
    if len({p.name.lower() for p in outs}) != len(outs):
        raise UsageError("two stems would be written to one file name; rename one of them")
    for p in outs:
        guard(p, inputs, overwrite=overwrite)
    lined = align(stems, rate)
    target = audio.resample(mix, rate).samples
    made = list(lined.stems)
    changes = [_changes(stem.sound, mix, placed.offset, rate, depth) for stem, placed in zip(stems.stems, lined.placements)]
    if residual:
        made.append(target - sum(made))
        changes.append(["the difference between the mix and the sum of the stems, so the set nulls"])
    written = []
    for out, samples, source, what in zip(outs, made, [*stems.stems, None], changes):
        audio.save(Audio(samples, rate), out, bit_depth=depth, protect=inputs, overwrite=overwrite)
        written.append(StemChange(str(out), None if source is None else str(source.path),
                                  "residual" if source is None else source.role, what))
    total = sum(audio.load(p).samples for p in outs)
    after = residual_db(target - total, target)
    if residual and after > profile.stems.null_max_db:
        for p in outs:
            p.unlink(missing_ok=True)
        raise ContractError(f"{out_dir}: the fixed stems null only to {after:.1f} dB (needs {profile.stems.null_max_db:g} dB); nothing kept")
    return StemFixResult(str(out_dir), rate, depth, written, round(lined.raw_null_db, 1), round(after, 1))


def _changes(sound: Audio, mix: Audio, offset: int, rate: int, depth: int) -> list[str]:
    """What fixing did to a stem, in words."""
    said = []
    if offset:
        said.append(f"moved {abs(1000 * offset / mix.sample_rate):.2f} ms {'earlier' if offset > 0 else 'later'}")
    frames = round(sound.frames * mix.sample_rate / sound.sample_rate)
    if frames != mix.frames or offset:
        said.append(f"{'padded' if frames - offset < mix.frames else 'cut'} to the mix's {mix.duration_s:.3f} s")
    if sound.channels != mix.channels:
        said.append(f"{sound.channels} -> {mix.channels} channel(s)")
    if sound.sample_rate != rate:
        said.append(f"resampled {sound.sample_rate} -> {rate} Hz")
    if sound.source is None or sound.source.bit_depth != depth or sound.source.container != "WAV":
        said.append(f"written as {depth}-bit WAV")
    return said or ["unchanged (rewritten as WAV)"]
