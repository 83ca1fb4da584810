"""The production commands of the ``syncready`` command line: master, trim, end, cut, loop,
sting and fix. Each writes new files (never the input), verifies them, prints what it did
and, with ``--json``, the result object. Exit codes: 0 done (or nothing to do), 1 the output
could not be made to its contract (nothing kept), 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from .cli import ProfileOpt, _guarded, _write, app, err

In = Annotated[Path, typer.Argument(help="The track (WAV, AIFF, FLAC, MP3...).", show_default=False)]
OutFile = Annotated[Path, typer.Option("--output", "-o", help="Output file (.wav or .flac).", show_default=False)]
JsonOpt = Annotated[Optional[str], typer.Option("--json", help="Write the result as JSON to PATH, or '-' for stdout.", metavar="PATH|-")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace existing output files (never the input).")]


def _report(result, json_out: str | None, lines: list[str], inputs: list[Path], doc: dict | None = None) -> None:
    """Print ``lines`` (to stderr when stdout carries JSON) and emit the JSON document."""
    from .jsonable import to_jsonable

    console = err if json_out == "-" else Console(soft_wrap=True)
    for line in lines:
        console.print(line, highlight=False, markup=False)
    if json_out:
        payload = json.dumps(doc if doc is not None else to_jsonable(result), indent=2)
        if json_out == "-":
            sys.stdout.write(payload + "\n")
        else:
            _guarded(lambda: _write(json_out, payload, inputs))


@app.command()
def trim(
    file: In,
    output: OutFile,
    profile: ProfileOpt = "sync-library",
    downbeat: Annotated[bool, typer.Option("--downbeat", help="Start on the first downbeat instead of the first sound.")] = False,
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """Top and tail: start at the first sound (a few ms of pre-roll), keep the last sound's
    natural decay, cut the silence or noise after it."""
    from .checks import profile as profiles
    from .produce.trim import trim as run

    prof = _guarded(lambda: profiles.load(profile))
    r = _guarded(lambda: run(file, output, prof, downbeat=downbeat, overwrite=force))
    _report(r, json_out, [f"{'wrote' if r.changed else 'copied'} {r.path}: {r.note}"], [file])


@app.command()
def end(
    file: In,
    output: OutFile,
    mode: Annotated[str, typer.Option("--mode", help="ringout: end on a phrase and let the last chord decay; fade: fade out.")] = "ringout",
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """Repair an abrupt ending (or replace a fade): end on the last downbeat that closes a
    phrase and let it ring out, or fade when asked."""
    from .produce.ending import end as run

    r = _guarded(lambda: run(file, output, mode=mode, overwrite=force))
    _report(r, json_out, [f"{'wrote' if r.changed else 'copied'} {r.path}: {r.note}"], [file])
