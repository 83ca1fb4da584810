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

from .cli import ProfileOpt, _guarded, _num, _write, app, err, json_destination

In = Annotated[Path, typer.Argument(help="The track (WAV, AIFF, FLAC, MP3...).", show_default=False)]
OutFile = Annotated[Path, typer.Option("--output", "-o", help="Output file (.wav or .flac).", show_default=False)]
JsonOpt = Annotated[Optional[str], typer.Option("--json", help="Write the result as JSON to PATH, or '-' for stdout.", metavar="PATH|-", callback=json_destination)]
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
def master(
    file: In,
    output: OutFile,
    profile: ProfileOpt = "sync-library",
    glue: Annotated[bool, typer.Option("--glue", help="Gentle glue compression before the limiter.")] = False,
    tilt: Annotated[float, typer.Option("--tilt", help="Tilt EQ around 1 kHz, dB (treble minus bass; + brightens).", metavar="DB")] = 0.0,
    max_limiting: Annotated[Optional[float], typer.Option("--max-limiting", help="Most limiter gain reduction allowed, dB, before the target is called out of reach.", metavar="DB")] = None,
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """Master to the profile: integrated loudness on target, true peak under the ceiling (8x check).

    Premaster profiles get gain only. A target that would need more than --max-limiting dB of
    limiting is refused (exit 1) with the loudest clean level instead of crushing the track.
    """
    from .checks import profile as profiles
    from .produce import master as mastering

    prof = _guarded(lambda: profiles.load(profile))
    limit = mastering.DEFAULT_MAX_GAIN_REDUCTION_DB if max_limiting is None else max_limiting
    r = _guarded(lambda: mastering.master(file, prof, output, overwrite=force, glue=glue, tilt_db=tilt, max_gain_reduction_db=limit))
    lines = [f"{'wrote' if r.changed else 'copied'} {r.output_path}: {r.reason}"]
    if r.changed:
        lines.append(
            f"gain {r.gain_db:+.2f} dB, limiting max {r.gain_reduction_max_db:.2f} dB "
            f"({r.gain_reduction_above_1db_s:.1f} s above 1 dB); result {_num(r.integrated_lufs)} LUFS, "
            f"true peak {_num(r.true_peak_dbtp)} dBTP (8x), LRA {_num(r.lra_lu)} LU, "
            f"{r.sample_rate_hz} Hz {r.bit_depth}-bit")
    _report(r, json_out, lines, [file])


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


@app.command()
def fix(
    file: In,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the fixed track and the reports.", show_default=False)],
    profile: ProfileOpt = "sync-library",
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """Run what the check found fixable (end, trim, master) in order and check the result.

    Writes DIR/<name>-fixed.wav and DIR/<name>-fix.html (the check before and after). Exit
    code 0 when the fixed track passes (warnings allowed), 1 when it still fails (the
    remaining findings need a new export or a mix change) or a step missed its contract.
    """
    from .checks import profile as profiles
    from .deliver.report import render_fix
    from .jsonable import to_jsonable
    from .produce.fix import fix as run
    from .qc import document

    prof = _guarded(lambda: profiles.load(profile))
    r = _guarded(lambda: run(file, prof, output, overwrite=force))
    before, after = document(r.before), document(r.after)
    lines = [f"{s['step']}: {s.get('note', '')}" for s in r.steps]
    lines.append(f"before: {before['verdict'].upper()} {_counts(before)}   after: {after['verdict'].upper()} {_counts(after)}")
    lines += [f"not fixed here: {f.check}: {f.message} ({f.fix})" if f.fix else f"not fixed here: {f.check}: {f.message}" for f in r.not_fixed]
    lines += [f"still failing: {f['check']}: {f['message']}" for f in after["findings"] if f["severity"] == "fail"]
    html_path = Path(output) / f"{Path(file).stem}-fix.html"
    _guarded(lambda: _write(html_path, render_fix(r.before, r.after, r.steps, prof), [file]))
    doc = {"input": r.input, "output": r.output, "profile": prof.name, "steps": to_jsonable(r.steps),
           "not_fixed": to_jsonable(r.not_fixed), "before": before, "after": after}
    _report(r, json_out, [f"wrote {r.output}", *lines], [file], doc)
    raise typer.Exit(1 if after["verdict"] == "fail" else 0)


def _counts(doc: dict) -> str:
    return ", ".join(f"{n} {s}" for s, n in doc["counts"].items() if n and s in ("fail", "warn"))


@app.command()
def cut(
    file: In,
    to: Annotated[list[float], typer.Option("--to", help="Target length in seconds; repeat for several (--to 60 --to 30 --to 15 --to 6).", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the cut-downs (<name>-cut<length>.wav).", show_default=False)],
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """Cut-downs of exact lengths, joined on the bar, ending on the song's own ending (or a repaired one)."""
    from .produce.cutdown import cutdowns

    cuts = _guarded(lambda: cutdowns(file, list(to), output, overwrite=force))
    lines = []
    for c in cuts:
        lines.append(f"wrote {c.path}: {c.duration_s:.3f} s, {len(c.splices)} splice(s) at "
                     f"{', '.join(f'{s:.2f}' for s in c.splices) or '-'} s ({c.method})")
        lines += [f"  {note}" for note in c.notes]
    doc = {"outputs": [{"path": c.path, "target_s": c.target_s, "duration_s": c.duration_s, "splices": c.splices,
                        "method": c.method, "notes": c.notes, "segments": c.segments} for c in cuts]}
    _report(cuts, json_out, lines, [file], doc)


@app.command()
def loop(
    file: In,
    output: OutFile,
    bars: Annotated[int, typer.Option("--bars", help="Loop length in bars.")] = 8,
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """A seamless loop of exactly N bars at the analysed tempo, its seam crossfaded."""
    from .produce.loop import make_loop

    r = _guarded(lambda: make_loop(file, bars, output, overwrite=force))
    lines = [f"wrote {r.path}: {r.bars} bars, {r.duration_s:.3f} s from {r.start_s:.2f} s "
             f"(seam click {r.seam_click_db:+.1f} dB, level step {r.seam_level_step_db:+.1f} dB)"]
    doc = {"path": r.path, "bars": r.bars, "duration_s": r.duration_s, "start_s": r.start_s,
           "seam_click_db": r.seam_click_db, "seam_level_step_db": r.seam_level_step_db}
    _report(r, json_out, lines, [file], doc)


@app.command()
def sting(
    file: In,
    output: OutFile,
    length: Annotated[float, typer.Option("--length", help="Sting length, seconds.")] = 5.0,
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """A short stinger: a strong hit of the song straight into its ending."""
    from .produce.sting import make_sting

    r = _guarded(lambda: make_sting(file, output, length_s=length, overwrite=force))
    hit = "-" if r.hit_s is None else f"{r.hit_s:.2f} s"
    lines = [f"wrote {r.path}: {r.duration_s:.3f} s, hit at {hit}", *[f"  {n}" for n in r.notes]]
    _report(r, json_out, lines, [file])
