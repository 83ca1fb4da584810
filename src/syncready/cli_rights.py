"""The rights commands of the ``syncready`` command line: ``rights init|check``.

Exit codes: 0 done / valid (warnings allowed), 1 the record has errors, 2 bad input or usage
(an unreadable or malformed record: the message names the field or the TOML line).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from .cli import EXIT_FAIL, EXIT_OK, _guarded, app, err, refuse
from .cli_produce import ForceOpt, JsonOpt, _report

rights_app = typer.Typer(help="The rights record: who and what made a track, who owns it, and what that allows.",
                         no_args_is_help=True)
app.add_typer(rights_app, name="rights")

RecordArg = Annotated[Path, typer.Argument(help="The rights record (TITLE.rights.toml).", show_default=False)]


@rights_app.command("init")
def rights_init(
    file: Annotated[Path, typer.Argument(help="The track the record describes.", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Record file (default: TITLE.rights.toml beside the track).")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="Work title (default: the file name).")] = None,
    artist: Annotated[Optional[str], typer.Option("--artist", help="Recording artist.")] = None,
    writer: Annotated[Optional[list[str]], typer.Option("--writer", help='A writer as "Name=share" (percent); repeat.')] = None,
    service: Annotated[Optional[str], typer.Option("--service", help="AI service that generated it (Suno, Udio...).")] = None,
    plan: Annotated[Optional[str], typer.Option("--plan", help="Plan active at generation (free, pro...).")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Model or version.")] = None,
    generated: Annotated[Optional[str], typer.Option("--generated", help="Generation date, YYYY-MM-DD.")] = None,
    origin: Annotated[Optional[list[str]], typer.Option("--origin", help='An element\'s origin as "element=origin" (lyrics=human, melody=ai...); repeat.')] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never ask: use the flags and defaults only.")] = False,
    force: ForceOpt = False,
) -> None:
    """Create TITLE.rights.toml for a track, from flags or a short questionnaire (Enter skips)."""
    from .rights.init import Answers, ask, create

    answers = _guarded(lambda: Answers.from_flags(file, title=title, artist=artist, writers=writer or [], service=service,
                                                  plan=plan, model=model, generated=generated, origins=origin or []))
    if not no_input and sys.stdin.isatty():
        answers = ask(answers, err)
    path = output or file.with_name(f"{_safe(answers.title)}.rights.toml")
    record, found = _guarded(lambda: create(file, path, answers, overwrite=force))
    console = Console(soft_wrap=True)
    console.print(f"wrote {path}", highlight=False, markup=False)
    _print_issues(console, found)


@rights_app.command("check")
def rights_check(
    record: RecordArg,
    require_pro: Annotated[bool, typer.Option("--require-pro", help="Writers and publishers without PRO or IPI are errors, not warnings.")] = False,
    json_out: JsonOpt = None,
) -> None:
    """Validate a rights record: identifiers, shares per ledger, parties, dates, evidence."""
    from .jsonable import to_jsonable
    from .rights.record import issues, load

    rec = _guarded(lambda: load(record))
    found = issues(rec, rec.base, require_pro=require_pro)
    errors = [i for i in found if i.severity == "error"]
    doc = {"record": str(record), "valid": not errors, "schema_version": rec.schema_version,
           "disclosure": rec.disclosure_summary(), "issues": to_jsonable(found)}
    console = err if json_out == "-" else Console(soft_wrap=True)
    _print_issues(console, found)
    console.print(f"{'INVALID' if errors else 'VALID'} {record}: {len(errors)} error(s), {len(found) - len(errors)} warning(s)",
                  highlight=False, markup=False)
    _report(rec, json_out, [], [record], doc)
    raise typer.Exit(EXIT_FAIL if errors else EXIT_OK)


def _print_issues(console: Console, found) -> None:
    for i in found:
        style = "bold red" if i.severity == "error" else "yellow"
        console.print(f"[{style}]{i.severity}[/] {escape(i.field)}: {escape(i.message)}", highlight=False)


def _safe(title: str) -> str:
    """A file-name-safe form of a title."""
    keep = "".join(c if c.isalnum() or c in " -_" else " " for c in title).strip()
    return "-".join(keep.split()) or "untitled"



@rights_app.command("advise")
def rights_advise(
    record: RecordArg,
    stems: Annotated[Optional[Path], typer.Option("--stems", help="The track's stems folder (sync asks for stems).", metavar="DIR")] = None,
    rules: Annotated[Optional[Path], typer.Option("--rules", help="A rules TOML file instead of the shipped edition.")] = None,
    json_out: JsonOpt = None,
) -> None:
    """Classify the track (AI-generated, AI-assisted, hybrid, human), say which release paths it is ready for and why not, and draft the copyright-registration text. Not legal advice."""
    from .rights.advice import advise
    from .rights.record import load

    rec = _guarded(lambda: load(record))
    present = _stems_present(stems, rec) if stems is not None else None
    a = _guarded(lambda: advise(rec, stems_present=present, rules=rules))
    lines = [f"{a.title}: {a.classification.label} ({a.classification.basis})",
             f"ready for: {', '.join(a.ready_for) or 'nothing yet'}"]
    for name, path in a.paths.items():
        lines.append(f"  {name}: {'ready' if path.ready else 'not yet'}")
        lines += [f"    - {r}" for r in path.reasons]
        lines += [f"    to do: {t}" for t in path.todo if t not in path.reasons]
    reg = a.registration
    lines += ["copyright registration draft:", f"  Author created: {reg.author_created}",
              f"  Material excluded: {reg.material_excluded}", f"  {reg.note}"]
    lines += [f"note: {n}" for n in a.notes]
    lines.append(f"rules {a.rules_version} (effective {a.rules_effective}). {a.disclaimer}")
    _report(a, json_out, lines, [record])


@rights_app.command("export")
def rights_export(
    record: RecordArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the documents.", show_default=False)],
    only: Annotated[Optional[str], typer.Option("--only", help="Comma-separated: split-sheet-html, split-sheet-csv, cue-sheet-csv, ingestion-tsv, disclosure-json, lyric-sheet-txt, lyric-sheet-html.")] = None,
    usage: Annotated[Optional[str], typer.Option("--usage", help="Cue usage code (BI, BV, VI, VV, MT, ET...; default BV with vocals, else BI).")] = None,
    track: Annotated[Optional[Path], typer.Option("--track", help="The audio file, for duration, BPM, key and meter (default: the record's [audio]).")] = None,
    duration: Annotated[Optional[float], typer.Option("--duration", help="The cue's duration in seconds, when there is no audio file to measure.")] = None,
    force: ForceOpt = False,
) -> None:
    """Write the paperwork: split sheet (HTML, CSV), cue sheet rows, library ingestion sheet, AI disclosure JSON, lyric sheet."""
    from .analysis import analyze
    from .errors import UsageError
    from .outputs import guard
    from .outputs import write_text
    from .rights.exports import EXPORTS
    from .rights.record import load

    rec = _guarded(lambda: load(record))
    kinds = [k.strip() for k in only.split(",") if k.strip()] if only else list(EXPORTS)
    if duration is not None and not 0 < duration < 86400:
        refuse(f"--duration {duration:g}: give the cue's length in seconds")
    audio_path = track or (rec.base / rec.audio.path if rec.audio else None)
    # a --track must be readable; the record's own [audio] is used when it is there
    readable = track is not None or (audio_path is not None and audio_path.is_file())
    analysis = _guarded(lambda: analyze(audio_path)) if readable else None
    options = {"cue-sheet-csv": {"usage": usage, "analysis": analysis, "duration_s": duration},
               "ingestion-tsv": {"analysis": analysis}}
    unmakeable = {"cue-sheet-csv": "no duration: give --track or --duration"} if analysis is None and duration is None else {}
    stem = _safe(rec.work.title)
    names = {k: output / f"{stem}.{k.rsplit('-', 1)[0]}.{k.rsplit('-', 1)[1]}" for k in kinds}

    def render() -> dict[Path, str]:
        """Every document as text before anything is written; a lyric sheet without lyrics and a
        cue sheet without a duration are skipped unless asked for by name."""
        texts = {}
        for kind, path in names.items():
            if kind not in EXPORTS:
                raise UsageError(f"unknown export {kind!r}; choose from {', '.join(EXPORTS)}")
            guard(path, [record], overwrite=force)
            if kind in unmakeable and not only:
                err.print(f"skipped {kind}: {unmakeable[kind]}", highlight=False, markup=False)
                continue
            try:
                texts[path] = EXPORTS[kind](rec, **options.get(kind, {}))
            except UsageError as exc:
                if only or not kind.startswith("lyric-sheet"):
                    raise
                err.print(f"skipped {kind}: {exc}", highlight=False, markup=False)
        return texts

    for path, text in _guarded(render).items():
        _guarded(lambda: write_text(path, text, [record]))
        Console(soft_wrap=True).print(f"wrote {path}", highlight=False, markup=False)


def _stems_present(folder: Path, rec) -> bool:
    """Whether ``folder`` holds at least one stem of the track."""
    from .errors import UsageError
    from .stems.stemset import stem_files

    mix = rec.base / rec.audio.path if rec.audio else Path("/nonexistent")
    try:
        return bool(stem_files(folder, mix))
    except UsageError:
        return False


@app.command("tag")
def tag_command(
    file: Annotated[Path, typer.Argument(help="WAV, MP3 or FLAC file to tag (rewritten atomically unless -o).", show_default=False)],
    rights: Annotated[Optional[Path], typer.Option("--rights", help="The rights record to take the metadata from.")] = None,
    version: Annotated[str, typer.Option("--version", help="Which version's ISRC to embed (a key of master.isrc).")] = "main",
    with_analysis: Annotated[bool, typer.Option("--analysis", help="Measure the file: BWF loudness fields, BPM and key.")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write a tagged copy here instead of rewriting FILE.")] = None,
    none: Annotated[bool, typer.Option("--none", help="Strip every tag syncready writes (for distributors that want untagged files).")] = False,
) -> None:
    """Embed the rights record in the file: BWF bext (with loudness) + iXML + INFO for WAV, ID3 for MP3, Vorbis comments for FLAC."""
    from .analysis import analyze
    from .errors import UsageError
    from .rights.record import load
    from .rights.tags import fields_from_record, tag

    def run() -> Path:
        if none:
            return tag(file, None, out=output, strip=True)
        if rights is None:
            raise UsageError("give --rights TITLE.rights.toml (or --none to strip tags)")
        rec = load(rights)
        analysis = analyze(file) if with_analysis else None
        fields = fields_from_record(rec, version, analysis)
        return tag(file, fields, out=output, loudness=analysis.loudness if analysis else None)

    written = _guarded(run)
    Console(soft_wrap=True).print(f"{'stripped' if none else 'tagged'} {written}", highlight=False, markup=False)


@app.command("sign")
def sign_command(
    file: Annotated[Path, typer.Argument(help="WAV, MP3 or FLAC file, already tagged (sign last).", show_default=False)],
    cert: Annotated[Path, typer.Option("--cert", help="Certificate chain, PEM (signer first).", show_default=False)],
    key: Annotated[Path, typer.Option("--key", help="The signer's private key, PEM.", show_default=False)],
    rights: Annotated[Path, typer.Option("--rights", help="The rights record the credentials state.", show_default=False)],
    version: Annotated[str, typer.Option("--version", help="Which version's ISRC to state.")] = "main",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write a signed copy here instead of rewriting FILE.")] = None,
) -> None:
    """Add C2PA content credentials: how the track was made (AI source type, generator) and its rights. Needs syncready[c2pa]."""
    from .rights.credentials import sign
    from .rights.record import load

    written = _guarded(lambda: sign(file, cert, key, load(rights), out=output, version=version))
    Console(soft_wrap=True).print(f"signed {written}", highlight=False, markup=False)


@app.command("verify")
def verify_command(
    file: Annotated[Path, typer.Argument(help="A signed WAV, MP3 or FLAC file.", show_default=False)],
    json_out: JsonOpt = None,
) -> None:
    """Read and validate a file's C2PA content credentials (exit 1 when absent or invalid)."""
    from .rights.credentials import verify

    result = _guarded(lambda: verify(file))
    _report(result, json_out, [f"{file}: {result['message']}"], [file], result)
    raise typer.Exit(EXIT_OK if result["valid"] else EXIT_FAIL)
