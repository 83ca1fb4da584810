"""The ``syncready`` command line: a thin Typer face over the library.

Conventions: machine output (``--json -``) goes to stdout and nothing else does then;
tables, progress and messages go to stderr when stdout carries JSON. Exit codes: 0 pass or
warn, 1 a check failed, 2 bad input or usage. Heavy modules are imported inside commands
so that ``syncready --help`` starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.markup import escape

from .errors import BadInputError, ContractError, SyncreadyError, UsageError

app = typer.Typer(
    name="syncready",
    help="Turn raw AI-generated songs into sync-ready, documented catalog assets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)

EXIT_OK, EXIT_FAIL, EXIT_BAD = 0, 1, 2
SEVERITY_STYLE = {"fail": "bold red", "warn": "yellow", "info": "cyan", "pass": "green", "error": "bold red"}

ProfileOpt = Annotated[str, typer.Option("--profile", "-p", help="Profile name (see `syncready profiles`) or a .toml file.")]


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"syncready {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """syncready: assess, fix, document and deliver AI-generated music for sync."""


def json_destination(value: str | None) -> str | None:
    """``--json`` checked before any work: ``-`` (stdout) or a file path that is not a folder,
    so that a bad destination does not leave the command's other outputs behind."""
    if value not in (None, "-") and Path(value).is_dir():
        refuse(f"{value}: is a folder; --json takes a file path or '-'")
    return value


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="Audio files to check (WAV, AIFF, FLAC, MP3, OGG, M4A...).", show_default=False)],
    profile: ProfileOpt = "sync-library",
    json_out: Annotated[Optional[str], typer.Option("--json", help="Write the JSON report to PATH, or '-' for stdout.", metavar="PATH|-", callback=json_destination)] = None,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write a self-contained HTML report (a folder when several files are checked).", metavar="PATH")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Re-analyse even when a cached analysis exists.")] = False,
    stems: Annotated[Optional[Path], typer.Option("--stems", help="Also check this folder of stems against the track (one track only).", metavar="DIR")] = None,
) -> None:
    """Measure tracks against a delivery profile and say what fails, where, and how to fix it.

    Exit code 0 when every file passes (warnings allowed), 1 when a check fails, 2 when a
    file cannot be read or the arguments are wrong.
    """
    from .checks import profile as profiles

    prof = _guarded(lambda: profiles.load(profile))
    to_stdout = json_out == "-"
    inputs = list(files)
    if stems is not None and len(inputs) != 1:
        refuse("--stems checks one track: give exactly one file")
    docs, results, worst = [], [], EXIT_OK
    with _progress(len(inputs)) as progress:
        task = progress.add_task("checking", total=len(inputs)) if progress else None
        for path in inputs:
            doc, result, code = _check_one(path, prof, use_cache=not no_cache, show=len(inputs) == 1 and not to_stdout, stems=stems)
            docs.append(doc)
            results += [result] if result else []
            worst = max(worst, code)
            if progress:
                progress.advance(task)
    if len(inputs) > 1:
        _print_summary(err if to_stdout else Console(), docs)
    _emit(docs, results, json_out, html_out, inputs, prof)
    raise typer.Exit(worst)


@app.command()
def analyze(
    files: Annotated[list[Path], typer.Argument(help="Audio files to analyse.", show_default=False)],
    json_out: Annotated[Optional[str], typer.Option("--json", help="Write the JSON analysis to PATH, or '-' for stdout.", metavar="PATH|-", callback=json_destination)] = None,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Write the HTML report with the beat/section timeline (a folder for several files).", metavar="PATH")] = None,
    profile: ProfileOpt = "sync-library",
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Re-analyse even when a cached analysis exists.")] = False,
) -> None:
    """Tempo, beats, downbeats, meter, key, sections, ending, loops: the musical map of a track.

    Exit code 0 when every file was analysed, 2 when a file cannot be read.
    """
    from .checks import profile as profiles
    from .qc import analysis_document, check_file, error_document

    prof = _guarded(lambda: profiles.load(profile))
    inputs, docs, results, worst = list(files), [], [], EXIT_OK
    to_stdout = json_out == "-"
    with _progress(len(inputs)) as progress:
        task = progress.add_task("analysing", total=len(inputs)) if progress else None
        for path in inputs:
            try:
                result = check_file(path, prof, use_cache=not no_cache)
                if result.unusable:  # silent, or too short to measure: no musical map to give
                    raise BadInputError(f"{path}: {result.unusable}")
            except BadInputError as exc:
                say_error(exc)
                docs.append(error_document(path, prof.name, str(exc)))
                worst = EXIT_BAD
            else:
                results.append(result)
                docs.append(analysis_document(path, result.analysis))
            if progress:
                progress.advance(task)
    if not to_stdout:
        _print_music(Console(), [d for d in docs if "error" not in d])
    _emit(docs, results, json_out, html_out, inputs, prof)
    raise typer.Exit(worst)


@app.command("profiles")
def list_profiles(
    json_out: Annotated[bool, typer.Option("--json", help="Print the profiles as JSON.")] = False,
) -> None:
    """List the shipped delivery profiles with their targets."""
    from rich.table import Table

    from .checks import profile as profiles
    from .jsonable import to_jsonable

    loaded = [profiles.load(name) for name in profiles.available()]
    if json_out:
        typer.echo(json.dumps([to_jsonable(p) for p in loaded], indent=2))
        return
    table = Table(title="Delivery profiles")
    for column in ("profile", "integrated", "true peak", "format", "description"):
        table.add_column(column)
    for p in loaded:
        L, d = p.loudness, p.delivery
        integrated = "-" if L.integrated_lufs is None else f"{L.integrated_lufs:g} +- {L.integrated_tolerance_lu:g} LUFS"
        peak = "-" if L.true_peak_max_dbtp is None else f"<= {L.true_peak_max_dbtp:g} dBTP"
        fmt = f"{d.container} {d.sample_rate / 1000:g} kHz/{d.bit_depth}-bit" + ("" if d.mastered else " premaster")
        table.add_row(p.name, integrated, peak, fmt, p.description)
    Console().print(table)


@app.command()
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the demo outputs.")] = Path("syncready-demo"),
) -> None:
    """Make a synthetic 'raw AI export' with typical faults, check it, and package it: fix,
    cut-downs, loops, sting, report and a verified manifest.json in OUTPUT/delivery."""
    from .checks import profile as profiles
    from .deliver.manifest import verify
    from .deliver.package import package
    from .demo import make_demo_track
    from .qc import check_file, document

    output.mkdir(parents=True, exist_ok=True)
    track = _guarded(lambda: make_demo_track(output / "raw-ai-export.wav"))
    err.print(f"made the demo track {track}", markup=False)
    prof = profiles.load("sync-library")
    result = check_file(track, prof, use_cache=False)
    doc = document(result)
    console = Console()
    _print_report(console, doc)
    _guarded(lambda: _write(output / "check.json", json.dumps(doc, indent=2), [track]))
    _guarded(lambda: _write_html([result], output / "check.html", [track], prof))

    console.print("\n[bold]syncready package[/]: fix -> cut-downs -> loops -> sting -> report -> manifest.json")
    made = _guarded(lambda: package(track, output / "delivery", prof, overwrite=True))
    for step in made.fix.steps:
        console.print(f"  {step['step']}: {step['note']}", highlight=False, markup=False)
    _print_report(console, document(made.fix.after))
    for item in made.manifest["files"]:
        console.print(f"  {item['kind']:8} {item['path']}", highlight=False, markup=False)
    drift = verify(made.path, prof)
    console.print(f"verify-package: {'OK' if not drift else f'{len(drift)} drift'}", highlight=False)
    err.print(f"\nDemo outputs are in [bold]{escape(str(output.resolve()))}[/]: raw-ai-export.wav, check.json, check.html, "
              "delivery/ (the package, with manifest.json)")


def _emit(docs: list[dict], results: list, json_out: str | None, html_out: Path | None, inputs: list[Path], prof) -> None:
    """Write the JSON (one object, or an array for several files; '-' is stdout) and the HTML."""
    if json_out:
        payload = json.dumps(docs[0] if len(docs) == 1 else docs, indent=2)
        if json_out == "-":
            sys.stdout.write(payload + "\n")
        else:
            _guarded(lambda: _write(json_out, payload, inputs))
    if html_out and results:
        _guarded(lambda: _write_html(results, html_out, inputs, prof))


def _check_one(path: Path, prof, *, use_cache: bool, show: bool, stems: Path | None = None):
    """Check one file (and its stems folder): its JSON document, its CheckResult (None if
    unreadable), its exit code."""
    from .qc import check_file, document, error_document
    from .stems.check import check_delivery

    try:
        result = check_file(path, prof, use_cache=use_cache)
        if stems is not None:
            result.report.findings += check_delivery(path, stems, prof)
    except (BadInputError, UsageError) as exc:
        say_error(exc)
        return error_document(path, prof.name, str(exc)), None, EXIT_BAD
    doc = document(result)
    if result.unusable:
        err.print(f"[bold red]error[/]: {escape(str(path))}: {escape(result.unusable)}", highlight=False)
        return doc, result, EXIT_BAD
    if show:
        _print_report(Console(), doc)
    return doc, result, EXIT_FAIL if doc["verdict"] == "fail" else EXIT_OK


def _print_report(console: Console, doc: dict) -> None:
    from rich.table import Table

    table = Table(title=f"{doc['file']}  ({doc['profile']})", title_justify="left")
    for column in ("check", "measured", "expected", "verdict", "message"):
        table.add_column(column, overflow="fold")
    for f in doc["findings"]:
        style = SEVERITY_STYLE[f["severity"]]
        measured = "" if f["measured"] is None else str(f["measured"])
        table.add_row(f["check"], measured, f["expected"] or "", f"[{style}]{f['severity']}[/]", f["message"])
    console.print(table)
    counts = ", ".join(f"{n} {s}" for s, n in doc["counts"].items() if n)
    verdict = doc["verdict"]
    console.print(f"[{SEVERITY_STYLE[verdict]}]{verdict.upper()}[/] {escape(doc['file'])}: {counts}", highlight=False)
    for f in doc["findings"]:
        if f["severity"] in ("fail", "warn") and f["fix"]:
            console.print(f"  fix {f['check']}: {f['fix']}", highlight=False, markup=False)


def _print_music(console: Console, docs: list[dict]) -> None:
    from rich.table import Table

    table = Table(title="Musical analysis")
    for column in ("file", "tempo", "meter", "key", "form", "ending", "loops"):
        table.add_column(column, overflow="fold")
    for doc in docs:
        tempo = "-" if doc["tempo_bpm"] is None else f"{doc['tempo_bpm']:.2f} BPM ({doc['tempo_confidence']:.2f})"
        form = " ".join(f"{s['group']}:{s['label']}" for s in doc["sections"]) or "-"
        ending = doc["ending"]["type"] or "-"
        if doc["ending"]["start"] is not None:
            ending += f" at {doc['ending']['start']:.1f} s"
        loops = ", ".join(f"{lp['bars']} bars @ {lp['start']:.1f} s" for lp in doc["loops"][:3]) or "-"
        table.add_row(doc["file"], tempo, str(doc["meter"] or "-"), doc["key"] or "-", form, ending, loops)
    console.print(table)


def _print_summary(console: Console, docs: list[dict]) -> None:
    from rich.table import Table

    table = Table(title="Summary")
    for column in ("file", "verdict", "integrated LUFS", "true peak dBTP", "fail", "warn"):
        table.add_column(column)
    for doc in docs:
        loud = doc.get("loudness", {})
        counts = doc.get("counts", {})
        style = SEVERITY_STYLE[doc["verdict"]]
        table.add_row(
            doc["file"], f"[{style}]{doc['verdict']}[/]",
            _num(loud.get("integrated_lufs")), _num(loud.get("true_peak_dbtp")),
            str(counts.get("fail", "")), str(counts.get("warn", "")),
        )
    console.print(table)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _progress(count: int):
    """A Rich progress bar on stderr for several files; a null context for one."""
    import contextlib

    if count < 2:
        return contextlib.nullcontext(None)
    from rich.progress import Progress

    return Progress(console=err, transient=True)


def _write(path: str | Path, text: str, inputs: list[Path]) -> None:
    from .outputs import write_text

    write_text(path, text, protect=inputs)
    err.print(f"wrote {path}", markup=False)


def _write_html(results: list, target: Path, inputs: list[Path], prof) -> None:
    from .deliver.report import render_check

    if len(results) == 1:
        pairs = [(results[0], target)]
    else:
        pairs = [(r, target / f"{Path(r.report.file).stem}.check.html") for r in results]
    for result, path in pairs:
        _write(path, render_check(result, prof), inputs)


def say_error(exc: Exception | str) -> None:
    """Print ``exc`` (an error or a message) as one red error line on stderr (its text is not
    read as Rich markup: ``pip install 'syncready[ray]'`` prints as written)."""
    err.print(f"[bold red]error[/]: {escape(str(exc))}", highlight=False)


def refuse(message: str) -> NoReturn:
    """Stop the command over its arguments: ``message`` as the one error line, exit code 2."""
    say_error(message)
    raise typer.Exit(EXIT_BAD)


def _guarded(action):
    """Run ``action``; a SyncreadyError becomes a one-line message and exit code 2 (1 for a
    ContractError: the input was fine but the promised output could not be made)."""
    try:
        return action()
    except SyncreadyError as exc:
        say_error(exc)
        raise typer.Exit(EXIT_FAIL if isinstance(exc, ContractError) else EXIT_BAD) from None


from . import cli_batch, cli_catalog, cli_create, cli_package, cli_produce, cli_rights, cli_serve, cli_stems  # noqa: E402,F401  (register the batch, catalog, create, delivery, production, rights, studio and stem commands)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SyncreadyError as exc:
        say_error(exc)
        sys.exit(EXIT_BAD)
