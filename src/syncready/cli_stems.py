"""The stem commands of the ``syncready`` command line: ``stems check|fix|split`` and ``versions``.

Exit codes as everywhere: 0 done / passes (warnings allowed), 1 a check failed or an output
missed its contract, 2 bad input or usage. Stem roles come from file names or ``--roles
FILE``; names nothing recognises are asked for on a terminal and refused (exit 2, naming
them) otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from .cli import EXIT_FAIL, EXIT_OK, ProfileOpt, _guarded, _print_report, app, err
from .cli_produce import ForceOpt, JsonOpt, _report

stems_app = typer.Typer(help="Check, fix and split stems against their mix.", no_args_is_help=True)
app.add_typer(stems_app, name="stems")

Mix = Annotated[Path, typer.Argument(help="The mix (the master the stems belong to).", show_default=False)]
StemArgs = Annotated[Optional[list[Path]], typer.Argument(help="Stem files (or use --dir).", show_default=False)]
DirOpt = Annotated[Optional[Path], typer.Option("--dir", "-d", help="Folder of stem files.")]
RolesOpt = Annotated[Optional[Path], typer.Option("--roles", help='TOML file: [roles] "file.wav" = "bass" (roles for names syncready cannot read).')]


def _stem_set(mix: Path, stems: list[Path] | None, folder: Path | None, roles: Path | None):
    """Load the mix and its stems, asking for unknown roles on a terminal."""
    from .errors import UsageError
    from .stems.roles import ROLES, assign, read_mapping
    from .stems.stemset import check_paths, load_set, stem_files

    if bool(stems) == bool(folder):
        raise UsageError("give the stems as files or as --dir DIR (one of the two)")
    paths = check_paths(mix, list(stems) if stems else stem_files(folder, mix))
    mapping = read_mapping(roles) if roles else {}
    try:
        assign(paths, mapping)
    except UsageError:
        if not sys.stdin.isatty():
            raise
        from rich.prompt import Prompt

        for p in paths:
            if p.name not in mapping:
                try:
                    assign([p], mapping)
                except UsageError:
                    mapping[p.name] = Prompt.ask(f"role of {p.name}", choices=list(ROLES), console=err)
    return load_set(mix, paths, mapping)


@stems_app.command("check")
def stems_check(
    mix: Mix,
    stems: StemArgs = None,
    folder: DirOpt = None,
    roles: RolesOpt = None,
    profile: ProfileOpt = "sync-library",
    json_out: JsonOpt = None,
) -> None:
    """Verify a stem set against its mix: rate, length, start, clipping, and the null test."""
    from .checks import profile as profiles
    from .jsonable import to_jsonable
    from .stems.check import check_set

    prof = _guarded(lambda: profiles.load(profile))
    stem_set = _guarded(lambda: _stem_set(mix, stems, folder, roles))
    r = _guarded(lambda: check_set(stem_set, prof))
    doc = {"mix": str(mix), "profile": prof.name, "verdict": r.report.verdict, "stems": to_jsonable(r.stems),
           "null": to_jsonable(r.null), "findings": to_jsonable(r.report.findings), "counts": r.report.counts()}
    if json_out != "-":
        _print_report(Console(), {"file": str(mix), "profile": prof.name, "verdict": r.report.verdict,
                                  "findings": doc["findings"], "counts": doc["counts"]})
    _report(r, json_out, [], [mix, *(s.path for s in stem_set.stems)], doc)
    raise typer.Exit(EXIT_FAIL if r.report.verdict == "fail" else EXIT_OK)


@stems_app.command("fix")
def stems_fix(
    mix: Mix,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the fixed stems.", show_default=False)],
    stems: StemArgs = None,
    folder: DirOpt = None,
    roles: RolesOpt = None,
    residual: Annotated[bool, typer.Option("--residual", help="Add a residual stem (mix minus the sum) so the set nulls exactly.")] = False,
    profile: ProfileOpt = "sync-library",
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """Align, pad to the mix's length and convert the stems to the delivery format."""
    from .checks import profile as profiles
    from .stems.fix import fix_set

    prof = _guarded(lambda: profiles.load(profile))
    stem_set = _guarded(lambda: _stem_set(mix, stems, folder, roles))
    r = _guarded(lambda: fix_set(stem_set, output, prof, residual=residual, overwrite=force))
    lines = [f"wrote {c.path} ({c.role}): {'; '.join(c.changes)}" for c in r.stems]
    lines.append(f"null residual: {r.null_before_db:.1f} dB as delivered -> {r.null_after_db:.1f} dB fixed "
                 f"({r.sample_rate} Hz, {r.bit_depth}-bit)")
    _report(r, json_out, lines, [mix, *(s.path for s in stem_set.stems)])


@stems_app.command("split")
def stems_split(
    mix: Mix,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the stems.", show_default=False)],
    backend: Annotated[str, typer.Option("--backend", help="demucs (a model you have locally) or dsp (no weights: a rough fallback).")] = "dsp",
    model: Annotated[Optional[Path], typer.Option("--model", help="demucs model file or folder (default: htdemucs from the torch hub cache).")] = None,
    profile: ProfileOpt = "sync-library",
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """Separate a mix into stems (vocals, drums, bass, other), then null-test the split."""
    from .checks import profile as profiles
    from .jsonable import to_jsonable
    from .stems.check import check_set
    from .stems.separate import split
    from .stems.stemset import load_set

    prof = _guarded(lambda: profiles.load(profile))
    r = _guarded(lambda: split(mix, output, backend=backend, model=model, overwrite=force))
    made = [Path(s["path"]) for s in r.stems]
    checked = check_set(load_set(mix, made), prof)
    lines = [f"wrote {p}" for p in made] + [f"  {n}" for n in r.notes]
    lines += [f"  {f.check} {f.severity}: {f.message}" for f in checked.report.findings]
    _report(r, json_out, lines, [mix], {**to_jsonable(r), "null": to_jsonable(checked.null),
                                        "findings": to_jsonable(checked.report.findings)})


@app.command()
def versions(
    mix: Mix,
    stems: Annotated[Path, typer.Option("--stems", help="Folder of stem files.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the versions.", show_default=False)],
    only: Annotated[Optional[str], typer.Option("--only", help="Comma-separated versions: full,instrumental,acappella,underscore,no_drums,bass_drums,tv_mix.")] = None,
    roles: RolesOpt = None,
    dialogue: Annotated[bool, typer.Option("--dialogue", help="Dialogue-friendly underscore: a gentle dynamic dip in the 1-4 kHz speech band.")] = False,
    profile: ProfileOpt = "sync-library",
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """Render alternate versions (instrumental, underscore, TV mix...) from one stem set with one gain structure."""
    from .checks import profile as profiles
    from .stems.versions import render_versions

    prof = _guarded(lambda: profiles.load(profile))
    stem_set = _guarded(lambda: _stem_set(mix, None, stems, roles))
    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    mapping = {s.path.name: s.role for s in stem_set.stems}
    r = _guarded(lambda: render_versions(mix, [s.path for s in stem_set.stems], output, prof, only=names,
                                         mapping=mapping, dialogue=dialogue, overwrite=force))
    _report(r, json_out, _version_lines(r), [mix, *(s.path for s in stem_set.stems)])


def _version_lines(r) -> list[str]:
    lines = [f"shared gain structure: gain {r.gain_db:+.2f} dB, limiter threshold "
             f"{'-' if r.limiter_threshold_dbtp is None else f'{r.limiter_threshold_dbtp:.2f} dBTP'} ({r.master_reason})"]
    for v in r.versions:
        lines.append(f"wrote {v.path}: {', '.join(v.roles)}; {v.integrated_lufs:.1f} LUFS, true peak {v.true_peak_dbtp:.1f} dBTP, "
                     f"limiting max {v.limiter_gain_reduction_max_db:.1f} dB")
        if v.dialogue is not None:
            d = v.dialogue
            lines.append(f"  dialogue dip {d.band_low_hz:g}-{d.band_high_hz:g} Hz: band {d.band_before_db:.1f} -> "
                         f"{d.band_after_db:.1f} dB, at most {d.dip_max_db:.1f} dB")
    return lines + [f"  {n}" for n in r.notes]
