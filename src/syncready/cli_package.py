"""The delivery commands of the ``syncready`` command line: ``package`` and ``verify-package``.

Exit codes as everywhere: ``package`` 0 built (paperwork may be listed missing), 1 the master
missed its contract (nothing written), 2 bad input or usage; ``verify-package`` 0 the delivery
is as its manifest says, 1 drift, 2 no readable manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli import EXIT_FAIL, EXIT_OK, ProfileOpt, _guarded, app, err, refuse
from .cli_produce import JsonOpt, _report


@app.command()
def package(
    file: Annotated[Path, typer.Argument(help="The raw song (WAV, AIFF, FLAC, MP3...).", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The delivery folder to make.", show_default=False)],
    stems: Annotated[Optional[Path], typer.Option("--stems", help="Folder of the song's stems: versions and stems folders.", metavar="DIR")] = None,
    rights: Annotated[Optional[Path], typer.Option("--rights", help="The rights record (TITLE.rights.toml): tags and paperwork.", metavar="FILE")] = None,
    profile: ProfileOpt = "sync-library",
    naming: Annotated[Optional[str], typer.Option("--naming", help="Naming: default, underscore, bpm, compact, or a .toml template.", metavar="NAME|FILE")] = None,
    bpm: Annotated[Optional[bool], typer.Option("--bpm/--no-bpm", help="Put the tempo in file names (overrides the naming).")] = None,
    cert: Annotated[Optional[Path], typer.Option("--cert", help="Certificate chain (PEM) to sign the audio with.", metavar="PEM")] = None,
    key: Annotated[Optional[Path], typer.Option("--key", help="Private key (PEM) of --cert.", metavar="PEM")] = None,
    zip_file: Annotated[bool, typer.Option("--zip", help="Also write OUTDIR.zip beside the folder.")] = False,
    split_instrumental: Annotated[bool, typer.Option("--split-instrumental", help="No stems: add an instrumental separated from the mix by the rough dsp backend, labelled 'Main Inst (DSP)'.")] = False,
    json_out: JsonOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing delivery folder.")] = False,
) -> None:
    """Build a library-ready delivery: master, versions, cut-downs, loops, sting, stems,
    paperwork, a before/after report and a verified manifest.json."""
    from .checks import profile as profiles
    from .deliver import naming as namings
    from .deliver.package import package as run

    prof = _guarded(lambda: profiles.load(profile))
    names = _guarded(lambda: namings.load(naming, bpm=bpm))
    if (cert is None) != (key is None):
        refuse("--cert and --key go together")
    r = _guarded(lambda: run(file, output, prof, stems=stems, rights=rights, naming=names, cert=cert, key=key,
                             zip_file=zip_file, overwrite=force, split_instrumental=split_instrumental))
    doc = r.manifest
    lines = []
    for item in doc["files"]:
        level = item.get("loudness", {}).get("integrated_lufs")
        lines.append(f"  {item['kind']:8} {item['path']}" + ("" if level is None else f"  ({item['duration_s']:.2f} s, {level} LUFS)"))
    lines += [f"  note: {note}" for note in doc["notes"]]
    lines += [f"  missing {gap['document']}: {gap['reason']}" for gap in doc["missing"]]
    _report(r, json_out, lines, [file], {**doc, "stages": r.stages, "zip": r.zip_path})
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in r.stages.items())
    err.print(f"wrote {r.path} ({len(doc['files'])} files{', ' + r.zip_path if r.zip_path else ''}); {stages}", highlight=False,
              markup=False)


@app.command("verify-package")
def verify_package(
    folder: Annotated[Path, typer.Argument(help="A delivery folder made by `syncready package`.", show_default=False)],
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile to re-check against (default: the manifest's).")] = None,
    json_out: JsonOpt = None,
) -> None:
    """Re-hash and re-check a delivery against its manifest.json; exit 1 on any drift.

    With --json: {"ok": true|false, "drift": [{"path": ..., "problem": ...}]}."""
    from dataclasses import asdict

    from .checks import profile as profiles
    from .deliver.manifest import read, verify

    name = profile or _guarded(lambda: read(folder))["profile"]
    prof = _guarded(lambda: profiles.load(name))
    drift = _guarded(lambda: verify(folder, prof))
    lines = [f"drift {d.path}: {d.problem}" for d in drift] or [f"OK {folder}: every file matches its manifest"]
    _report(drift, json_out, lines, [], {"ok": not drift, "drift": [asdict(d) for d in drift]})
    raise typer.Exit(EXIT_FAIL if drift else EXIT_OK)
