"""``syncready rights init``: a first rights record for a track, from flags or a questionnaire.

The record names the track file (``[audio]``: its path relative to the record and its
SHA-256), the title, artist, writers, the generator and, per element, who or what made it.
Nothing is assumed silently: an element the creator does not answer for is left out (the
advice then says it is undocumented).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.prompt import Prompt

from ..errors import UsageError
from ..outputs import write_text
from ..digest import file_sha256
from .record import ELEMENTS, ORIGINS, Issue, Record, dumps, issues, load


@dataclass
class Answers:
    """What the creator said: title, artist, writers (name -> share %), generator, origins."""

    title: str
    artist: str | None = None
    writers: dict[str, float] = field(default_factory=dict)
    service: str | None = None
    plan: str | None = None
    model: str | None = None
    generated: dt.date | None = None
    origins: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_flags(cls, track: Path, *, title: str | None, artist: str | None, writers: list[str], service: str | None,
                   plan: str | None, model: str | None, generated: str | None, origins: list[str]) -> Answers:
        """Parse the command-line flags (``Name=share``, ``element=origin``, ``YYYY-MM-DD``).

        Raises
        ------
        UsageError
            A malformed flag, an unknown element or origin, a bad date.
        """
        return cls(title or track.stem, artist, dict(_writer(w) for w in writers), service, plan, model,
                   _date(generated) if generated else None, dict(_origin(o) for o in origins))


def _writer(text: str) -> tuple[str, float]:
    name, sep, share = text.rpartition("=")
    try:
        value = float(share)
    except ValueError:
        value = None
    if not sep or not name.strip() or value is None:
        raise UsageError(f'--writer {text!r}: write it as "Name=share", e.g. "Ada Lovelace=50"')
    return name.strip(), value


def _origin(text: str) -> tuple[str, str]:
    element, _, origin = text.partition("=")
    if element not in ELEMENTS:
        raise UsageError(f"--origin {text!r}: unknown element {element!r}; elements are {', '.join(ELEMENTS)}")
    if origin not in ORIGINS:
        raise UsageError(f"--origin {text!r}: unknown origin {origin!r}; origins are {', '.join(ORIGINS)}")
    return element, origin


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def ask(answers: Answers, console: Console) -> Answers:
    """The short questionnaire: every question shows its current answer; Enter keeps it."""
    title = Prompt.ask("Title", default=answers.title, console=console)
    artist = Prompt.ask("Artist", default=answers.artist or "", console=console) or None
    writers = dict(answers.writers)
    while True:
        name = Prompt.ask("Writer name (Enter when done)", default="", console=console)
        if not name:
            break
        writers[name] = float(Prompt.ask(f"{name}'s share of the composition, %", default="100", console=console))
    service = Prompt.ask("AI service used (Enter: none)", default=answers.service or "", console=console) or None
    plan, generated = answers.plan, answers.generated
    if service:
        plan = Prompt.ask("Plan active when generating", default=plan or "", console=console) or None
        text = Prompt.ask("Generation date (YYYY-MM-DD)", default=str(generated or dt.date.today()), console=console)
        generated = _date(text)
    origins = dict(answers.origins)
    for element in ELEMENTS:
        choice = Prompt.ask(f"Who made the {element.replace('_', ' ')}?", choices=[*ORIGINS, "skip"],
                            default=origins.get(element, "skip"), console=console)
        if choice != "skip":
            origins[element] = choice
    return dataclasses.replace(answers, title=title, artist=artist, writers=writers, service=service, plan=plan,
                               generated=generated, origins=origins)


def create(track: str | Path, path: str | Path, answers: Answers, *, overwrite: bool = False) -> tuple[Record, list[Issue]]:
    """Write the record for ``track`` to ``path`` and return it (read back) with its issues.

    Raises
    ------
    UsageError
        ``track`` is not a file, ``path`` exists (without ``overwrite``), or the answers do
        not make a valid record.
    """
    track, path = Path(track), Path(path)
    if not track.is_file():
        raise UsageError(f"{track}: no such file")
    data = {
        "schema_version": 1,
        "work": {"title": answers.title,
                 "writers": [{"name": n, "share": s} for n, s in answers.writers.items()]},
        "master": {"artist": answers.artist} if answers.artist else {},
        "contributions": [{"element": e, "origin": o} for e, o in answers.origins.items()],
        "audio": {"path": os.path.relpath(track.resolve(), path.resolve().parent), "sha256": file_sha256(track),
                  "date": dt.date.fromtimestamp(track.stat().st_mtime)},
    }
    if answers.service:
        data["generation"] = {k: v for k, v in (("service", answers.service), ("model", answers.model),
                                                 ("plan", answers.plan), ("date", answers.generated)) if v is not None}
    try:
        record = Record.model_validate(data)
    except ValueError as exc:
        raise UsageError(f"the answers do not make a valid record: {exc}") from None
    if path.exists() and not overwrite:
        raise UsageError(f"{path}: already exists; use --force to replace it")
    write_text(path, dumps(record), protect=[track])
    written = load(path)
    return written, issues(written, written.base)
