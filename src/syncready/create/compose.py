"""``syncready create``: a brief to a complete, checked, documented instrumental bed.

Pipeline: brief -> plan -> arrangement (MIDI) -> stems rendered through the soundfont at the
profile's rate -> mix (the sum of the stems) -> master to the profile -> the master's gain and
limiter gain curve applied to every stem -> files -> ``check`` of the mix, confirmation of the
plan by the analysis -> rights record.

Outputs (in ``DIR``, built in a temporary folder and renamed, so a failure leaves nothing
half-made; an existing ``DIR`` is replaced only with ``overwrite``):

- ``plan.json``: the brief, the plan (sections in bars and seconds, final hit, ring-out,
  material seeds), the band, the models' provenance, the mastering figures;
- ``song.mid`` (every stem), ``stems/ROLE.mid``, ``stems/ROLE.wav`` and ``mix.wav`` (mastered,
  the profile's rate and bit depth, exactly ``round(length * rate)`` frames);
- ``analysis.json``: ``syncready analyze``'s document of the mix, the check's verdict and
  ``confirmation`` (planned vs measured tempo, key, section boundaries, ending);
- ``TITLE.rights.toml``: what syncready generated and which parameters the human chose.

Stems null against the mix: the limiter is linked (one gain curve for every channel), so the
master's drive and the limiter's gain curve computed on the mix, applied to each stem, make
stems that sum to the mastered mix up to dither (:func:`master_stems`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

from .. import __version__, audio as audio_io
from ..audio import Audio
from ..checks import profile as profiles
from ..checks.profile import Profile
from ..errors import ContractError, UsageError
from ..produce.limiter import Limiter
from ..produce.master import MasterResult, TargetUnreachable, master_audio, remove_dc
from . import models
from .arrange import arrange, band, material
from .brief import Brief, parse_key
from .plan import Plan, make_plan
from .record import write_record
from .render import midi_bytes, render_stems, require_soundfont

PROFILE = "sync-library"
NULL_MAX_DB = -100.0
"""Largest residual (dB re the mix) of the float stems against the float master before writing."""
DC_BLOCK_HZ = 15.0
PART_LEVEL_LUFS = {"drums": -22.0, "bass": -23.0, "chords": -24.0, "lead": -26.0, "pad": -29.0}
"""Integrated loudness of each part before mastering: the mix balance."""
STEM_CREST_DB = 14.0
"""Most true peak over integrated loudness a stem keeps (its own limiter, part of the mix)."""
REACHABLE_MARGIN_LU = 0.3
TEMPO_TOLERANCE = 0.005
BOUNDARY_WINDOW_S = 3.0


@dataclass
class Bed:
    """What :func:`compose` made: its folder, brief, plan and how the analysis confirmed it."""

    folder: str
    brief: Brief
    plan: Plan
    verdict: str
    confirmation: dict
    master: MasterResult
    seconds: float
    files: list[str]


def dc_block(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """A second-order Butterworth high-pass at :data:`DC_BLOCK_HZ`: soundfont samples carry DC
    and subsonic drift, which would waste the headroom of every stem."""
    sos = signal.butter(2, DC_BLOCK_HZ, "highpass", fs=sample_rate, output="sos")
    return signal.sosfilt(sos, samples, axis=1).astype(np.float32)


def balance(samples: np.ndarray, sample_rate: int, level_lufs: float) -> np.ndarray:
    """The stem, its peaks limited to :data:`STEM_CREST_DB` over its integrated loudness, turned to
    ``level_lufs`` (a silent stem is left alone): the balance of the mix does not depend on how
    loud each soundfont preset happens to be, and no lone hit (a kick, the final chord) forces
    the master to crush the rest."""
    from ..analysis.loudness import measure

    measured = measure(samples, sample_rate).integrated_lufs
    if measured is None:
        return samples
    limited = Limiter(samples, sample_rate).run(0.0, measured + STEM_CREST_DB).samples
    return limited * np.float32(10 ** ((level_lufs - measured) / 20))


def master_stems(stems: dict[str, np.ndarray], sample_rate: int, profile: Profile) -> tuple[dict[str, np.ndarray], Audio, MasterResult]:
    """Master the sum of ``stems`` and apply the same gain changes to every stem.

    A loudness target out of reach within the limiter's limits is moved to the loudest reachable
    level (less :data:`REACHABLE_MARGIN_LU`) when that is still inside the profile's tolerance.

    Returns the mastered stems, the mastered mix and the master's result. Raises
    :class:`~syncready.errors.ContractError` when the stems do not null against the master
    (below :data:`NULL_MAX_DB`).
    """
    mix = sum(stems.values())
    try:
        mastered, result = master_audio(Audio(mix, sample_rate), profile)
    except TargetUnreachable as exc:
        loudness = profile.loudness
        floor = loudness.integrated_lufs - loudness.integrated_tolerance_lu + REACHABLE_MARGIN_LU
        if exc.reachable_lufs is None or exc.reachable_lufs - REACHABLE_MARGIN_LU < floor:
            raise
        aim = dataclasses.replace(loudness, integrated_lufs=round(exc.reachable_lufs - REACHABLE_MARGIN_LU, 1))
        mastered, result = master_audio(Audio(mix, sample_rate), dataclasses.replace(profile, loudness=aim))
    if result.dc_offset_removed_dbfs is not None:
        stems = {k: remove_dc(v, sample_rate) for k, v in stems.items()}
        mix = sum(stems.values())
    gain = np.full(mix.shape[1], np.float32(10.0 ** (result.gain_db / 20.0)))
    if result.limiter_threshold_dbtp is not None:
        gain *= np.exp(Limiter(mix, sample_rate).log_gain(result.gain_db, result.limiter_threshold_dbtp))
    out = {k: (v * gain).astype(np.float32) for k, v in stems.items()}
    residual = mastered.samples - sum(out.values())
    level = float(np.sqrt(np.mean(np.square(mastered.samples, dtype=np.float64))))
    if level > 0 and 20 * math.log10(max(float(np.sqrt(np.mean(np.square(residual, dtype=np.float64)))), 1e-30) / level) > NULL_MAX_DB:
        raise ContractError("the mastered stems do not sum to the mastered mix; nothing was kept")
    return out, mastered, result


def confirm(plan: Plan, brief: Brief, music) -> dict:
    """Planned vs measured: tempo (within 0.5 %), key, section boundaries (within 3 s), ending."""
    import mir_eval

    measured = [s.start for s in music.sections[1:]]
    planned = np.array(plan.boundaries_s)
    if len(planned) and len(measured):
        intervals = lambda b: np.array([[a, z] for a, z in zip([0.0, *b], [*b, plan.length_s])])  # noqa: E731
        precision, recall, f = mir_eval.segment.detection(intervals(list(planned)), intervals(measured),
                                                          window=BOUNDARY_WINDOW_S, trim=True)
    else:  # nothing planned: nothing to miss; nothing measured: nothing wrong
        recall, precision = float(not len(planned)), float(not measured)
        f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    tempo = music.tempo_bpm
    return {
        "tempo": {"planned_bpm": round(plan.bpm, 3), "measured_bpm": None if tempo is None else round(tempo, 3),
                  "ok": tempo is not None and abs(tempo - plan.bpm) <= TEMPO_TOLERANCE * plan.bpm},
        "key": {"planned": brief.key, "measured": music.key,
                "ok": music.key is not None and parse_key(music.key, "major") == (brief.tonic_pc, brief.mode)},
        "sections": {"planned_s": [round(float(b), 3) for b in planned], "measured_s": [round(b, 3) for b in measured],
                     "window_s": BOUNDARY_WINDOW_S, "precision": round(float(precision), 3),
                     "recall": round(float(recall), 3), "f_measure": round(float(f), 3)},
        "ending": {"planned": "ring_out", "measured": music.ending.type, "ok": music.ending.type == "ring_out",
                   "final_hit_s": plan.final_hit_s, "measured_start_s": music.ending.start},
    }


def brief_text(brief: Brief) -> str:
    """The brief as one line: the parameters the human chose."""
    parts = [f"mood={brief.mood}", f"genre={brief.genre}", f"bpm={brief.bpm:g}", f"key={brief.key}",
             f"length={brief.length_s:g}s", f"seed={brief.seed}"]
    if brief.sections:
        parts.append("sections=" + ",".join(brief.sections))
    if brief.instruments:
        parts.append("instruments=" + ",".join(brief.instruments))
    return "; ".join(parts)


def rights_record(brief: Brief, mix_path: Path, folder: Path, regenerated: list[str]) -> None:
    """Write the rights record: every musical element generated by syncready create from the brief."""
    made = "generated by syncready create from the brief ({}): {}"
    what = {
        "melody": "lead melody sampled from a melody n-gram model trained on public-domain folk tunes",
        "harmony": "chord loops sampled from a chord n-gram model trained on J. S. Bach's chorales",
        "arrangement": "section plan, bass line, drum parts and voicings by syncready's rules",
        "instruments": "rendered through a General MIDI soundfont (no human performance)",
        "mix": "stem levels from syncready's instrument table",
        "master": f"mastered to {PROFILE} by syncready",
    }
    again = f"; sections re-generated: {', '.join(regenerated)}" if regenerated else ""
    write_record(folder, mix_path, title=brief.title, generation={
        "service": "syncready create", "model": f"syncready {__version__} (n-gram models)", "plan": "local software",
        "terms_version": f"GPL-3.0-or-later (syncready {__version__})", "job_id": f"seed-{brief.seed}",
        "prompts": [brief_text(brief)]},
        made={element: made.format(brief_text(brief), text) + (again if element != "master" else "")
              for element, text in what.items()})


def compose(brief: Brief, out_dir: str | Path, *, overwrite: bool = False, material_seeds: dict[str, int] | None = None,
            regenerated: list[str] | None = None, progress: Callable[[str], None] | None = None) -> Bed:
    """Make the bed of ``brief`` in ``out_dir`` (see the module docstring).

    Raises
    ------
    UsageError
        No soundfont (the message says how to install one), or ``out_dir`` exists without
        ``overwrite``.
    ContractError
        The master or the stems could not be made to their promise; nothing is kept.
    """
    from ..outputs import replace_dir, temp_dir_beside
    from ..jsonable import to_jsonable
    from ..qc import analysis_document, check_file

    started = time.perf_counter()
    say = progress or (lambda _: None)
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise UsageError(f"{out_dir}: already exists; use --force to replace it")
    soundfont = require_soundfont()
    profile = profiles.load(PROFILE)
    rate, depth = profile.delivery.sample_rate, profile.delivery.bit_depth
    plan = make_plan(brief, material_seeds)
    say("arranging")
    midi = arrange(brief, plan)
    say("rendering")
    players = band(brief)
    stems = {role: balance(dc_block(audio, rate), rate, PART_LEVEL_LUFS[role] + players[role]["gain_db"])
             for role, audio in render_stems(midi, plan.length_s, soundfont, sample_rate=rate).items()}
    say("mastering")
    stems, mastered, result = master_stems(stems, rate, profile)
    root = temp_dir_beside(out_dir, "the bed")
    try:
        say("writing")
        (root / "stems").mkdir()
        (root / "song.mid").write_bytes(midi_bytes(midi))
        for track in midi.instruments:
            single = type(midi)(initial_tempo=plan.bpm, resolution=midi.resolution)
            single.time_signature_changes, single.key_signature_changes = midi.time_signature_changes, midi.key_signature_changes
            single.instruments = [track]
            (root / "stems" / f"{track.name}.mid").write_bytes(midi_bytes(single))
        for role, samples in stems.items():
            audio_io.save(Audio(samples, rate), root / "stems" / f"{role}.wav", bit_depth=depth)
        mix_path = root / "mix.wav"
        audio_io.save(mastered, mix_path, bit_depth=depth)
        say("checking")
        checked = check_file(mix_path, profile, use_cache=False)
        confirmation = confirm(plan, brief, checked.analysis.music)
        document = analysis_document("mix.wav", checked.analysis) | {
            "check": {"profile": profile.name, "verdict": checked.report.verdict,
                      "failed": [f.check for f in checked.report.findings if f.severity == "fail"]},
            "confirmation": confirmation}
        (root / "analysis.json").write_text(json.dumps(to_jsonable(document), indent=1) + "\n")
        (root / "plan.json").write_text(json.dumps({
            "brief": brief.to_dict(), "plan": plan.to_dict(), "regenerated": regenerated or [],
            "band": {role: inst["name"] for role, inst in players.items()},
            "chord_loops": {label: material(brief, plan, label)[1] for label in plan.material_seeds},
            "stems": sorted(f"stems/{role}.wav" for role in stems),
            "master": {"gain_db": round(result.gain_db, 3), "limiter_threshold_dbtp": result.limiter_threshold_dbtp,
                       "gain_reduction_max_db": round(result.gain_reduction_max_db, 3),
                       "integrated_lufs": result.integrated_lufs, "true_peak_dbtp": result.true_peak_dbtp},
            "models": {name: {k: v for k, v in p.items() if k != "paths"} for name, p in models.provenance().items()},
            "syncready_version": __version__}, indent=1) + "\n")
        rights_record(brief, mix_path, root, regenerated or [])
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        replace_dir(root, out_dir)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return Bed(str(out_dir), brief, plan, checked.report.verdict, confirmation, result,
               time.perf_counter() - started, files)
