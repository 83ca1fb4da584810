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

from .cli import EXIT_FAIL, EXIT_OK, _guarded, app, err
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
    console.print(f"wrote {path}", highlight=False)
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
                  highlight=False)
    _report(rec, json_out, [], [record], doc)
    raise typer.Exit(EXIT_FAIL if errors else EXIT_OK)


def _print_issues(console: Console, found) -> None:
    for i in found:
        style = "bold red" if i.severity == "error" else "yellow"
        console.print(f"[{style}]{i.severity}[/] {i.field}: {i.message}", highlight=False)


def _safe(title: str) -> str:
    """A file-name-safe form of a title."""
    keep = "".join(c if c.isalnum() or c in " -_" else " " for c in title).strip()
    return "-".join(keep.split()) or "untitled"

