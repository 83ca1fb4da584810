"""The rights record: ``TITLE.rights.toml``, who and what made a track, and who owns it.

The file is TOML, edited by hand; :class:`Record` is its schema (pydantic, strict: unknown
keys are errors, numbers must be numbers, dates TOML dates), versioned by ``schema_version``.
Identifiers are checked and normalised on load (:mod:`.codes`). :func:`load` turns every
problem into one :class:`~syncready.errors.UsageError` line naming the field (and the line,
for TOML syntax). :func:`issues` adds the checks that need the whole record: shares per
ledger, duplicate parties, missing PRO/IPI, dates in order, evidence hashes.

Layout (every table but ``[work]`` optional; see docs/rights.md)::

    schema_version = 1
    [work]            title, alternate_titles, iswc, lyrics = {path|text, origin}
    [[work.writers]]  name, role, ipi, ipi_base, pro, share (percent)
    [[work.publishers]] name, ipi, ipi_base, pro, share
    [master]          artist, label, release_date, territory, isrc = {main = "...", cut30 = "..."}
    [[master.owners]] name, share
    [generation]      service, model, plan, date, terms_version, terms_evidence, job_id, prompts
    [[contributions]] element, origin, who, description, evidence = [{path, sha256, date}]
    [audio]           path, sha256 (the file the record describes)
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, field_validator

from ..digest import file_sha256
from ..errors import UsageError
from .codes import normalise_ipi_base, normalise_ipi_name, normalise_isrc, normalise_iswc

SCHEMA_VERSION = 1
SHARE_TOLERANCE = 0.01  # percent
Origin = Literal["human", "human_with_ai_assist", "ai_then_human_modified", "ai"]
ORIGINS: tuple[str, ...] = Origin.__args__  # type: ignore[attr-defined]
Element = Literal["lyrics", "melody", "harmony", "arrangement", "lead_vocal", "backing_vocals",
                  "instruments", "mix", "master", "artwork"]
ELEMENTS: tuple[str, ...] = Element.__args__  # type: ignore[attr-defined]
AI_RANK = {"human": 0, "human_with_ai_assist": 1, "ai_then_human_modified": 2, "ai": 3}
WriterRole = Literal["composer", "lyricist", "composer_lyricist", "arranger"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)


class Evidence(_Strict):
    """A file that proves something, with its SHA-256 and date."""

    path: str
    sha256: str | None = None
    date: dt.date | None = None


def _opt(normalise):
    def check(value: str | None) -> str | None:
        return None if value in (None, "") else normalise(value)
    return check


class _Party(_Strict):
    name: str
    ipi: str | None = None
    ipi_base: str | None = None
    pro: str | None = None
    share: float

    _ipi = field_validator("ipi")(_opt(normalise_ipi_name))
    _ipi_base = field_validator("ipi_base")(_opt(normalise_ipi_base))

    @field_validator("share")
    @classmethod
    def _share(cls, value: float) -> float:
        if not 0 <= value <= 100:
            raise ValueError(f"share {value} is not a percentage from 0 to 100")
        return value


class Writer(_Party):
    """A writer of the composition (share in percent of the writers' ledger)."""

    role: WriterRole = "composer_lyricist"


class Publisher(_Party):
    """A publisher of the composition (share in percent of the publishers' ledger)."""


class Lyrics(_Strict):
    """The lyrics: a file (relative to the record) or the text, and where they came from."""

    path: str | None = None
    text: str | None = None
    origin: Origin = "human"


class Work(_Strict):
    """The composition."""

    title: str
    alternate_titles: list[str] = []
    iswc: str | None = None
    writers: list[Writer] = []
    publishers: list[Publisher] = []
    lyrics: Lyrics | None = None

    _iswc = field_validator("iswc")(_opt(normalise_iswc))


class Owner(_Strict):
    """An owner of the master recording (share in percent)."""

    name: str
    share: float


class Master(_Strict):
    """The recording: who releases it, who owns it, an ISRC per version."""

    artist: str | None = None
    label: str | None = None
    release_date: dt.date | None = None
    territory: str = "World"
    owners: list[Owner] = []
    isrc: dict[str, str] = {}

    @field_validator("isrc")
    @classmethod
    def _isrc(cls, value: dict[str, str]) -> dict[str, str]:
        return {version: normalise_isrc(code) for version, code in value.items()}


class Generation(_Strict):
    """How the AI part was made: service, model, plan and terms at generation time."""

    service: str
    model: str | None = None
    plan: str | None = None
    date: dt.date | None = None
    terms_version: str | None = None
    terms_evidence: Evidence | None = None
    job_id: str | None = None
    prompts: list[str] = []


class Contribution(_Strict):
    """One element of the track, who or what made it, and the evidence."""

    element: Element
    origin: Origin
    who: str | None = None
    description: str | None = None
    evidence: list[Evidence] = []


class Record(_Strict):
    """A track's rights record (see the module docstring)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    work: Work
    master: Master = Master()
    generation: Generation | None = None
    contributions: list[Contribution] = []
    audio: Evidence | None = None
    _base: Path = PrivateAttr(default=Path("."))

    @property
    def base(self) -> Path:
        """The folder the record's relative paths (lyrics, evidence) are read from."""
        return self._base

    def lyrics_text(self) -> str | None:
        """The lyrics: the inline text, or the file's text (None when absent or unreadable)."""
        lyrics = self.work.lyrics
        if lyrics is None:
            return None
        if lyrics.text:
            return lyrics.text
        try:
            return (self._base / lyrics.path).read_text(encoding="utf-8") if lyrics.path else None
        except (OSError, UnicodeDecodeError):
            return None

    def origins(self) -> dict[str, str]:
        """``element -> origin`` for every element the record covers, in :data:`ELEMENTS` order.

        An element recorded twice takes its most AI-involved origin (``ai`` >
        ``ai_then_human_modified`` > ``human_with_ai_assist`` > ``human``); the lyrics take
        ``work.lyrics.origin`` when no contribution covers them.
        """
        found: dict[str, str] = {}
        for c in self.contributions:
            if AI_RANK[c.origin] >= AI_RANK[found.get(c.element, "human")]:
                found[c.element] = c.origin
        if "lyrics" not in found and self.work.lyrics is not None:
            found["lyrics"] = self.work.lyrics.origin
        return {e: found[e] for e in ELEMENTS if e in found}

    def disclosure_summary(self) -> str:
        """One line naming what AI made and what people made, e.g.
        ``"AI: melody, arrangement (Suno v4); human: lyrics; AI then human-modified: mix"``."""
        words = {"ai": "AI", "ai_then_human_modified": "AI then human-modified",
                 "human_with_ai_assist": "human with AI assistance", "human": "human"}
        by_origin: dict[str, list[str]] = {}
        for element, origin in self.origins().items():
            by_origin.setdefault(origin, []).append(element.replace("_", " "))
        tool = ""
        if self.generation is not None:
            tool = " (" + " ".join(x for x in (self.generation.service, self.generation.model) if x) + ")"
        parts = [f"{words[o]}: {', '.join(els)}" + (tool if o == "ai" else "") for o, els in by_origin.items()]
        return "; ".join(parts) if parts else "no contributions recorded"


@dataclass
class Issue:
    """One problem :func:`issues` found: ``severity`` "error" or "warning", the field, the reason."""

    severity: str
    field: str
    message: str


def load(path: str | Path) -> Record:
    """Read and validate a rights record.

    Raises
    ------
    UsageError
        Unreadable file, TOML syntax (with its line), unknown fields, wrong types, bad codes.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the rights record ({getattr(exc, 'strerror', None) or exc})") from None
    record = parse(text, str(path), Record)
    record._base = Path(path).parent
    return record


def parse(text: str, source: str, model: type[BaseModel]):
    """``text`` (TOML) validated as ``model``.

    Raises
    ------
    UsageError
        ``"<source>: not valid TOML: ... (at line L, column C)"`` or the first validation
        problem (:func:`validation_message`).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{source}: not valid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"{source}: {validation_message(exc)}") from None


def validation_message(exc: ValidationError) -> str:
    """One line for a pydantic error: the first problem's field path and reason, and how many more."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    reasons = {"extra_forbidden": "unknown field (check its spelling; see the docs)", "missing": "required field is missing"}
    reason = reasons.get(first["type"], first["msg"].removeprefix("Value error, "))
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {reason}{more}"


def dumps(record: Record) -> str:
    """The record as TOML text (``None`` fields and empty lists left out)."""
    data = record.model_dump(mode="python", exclude_none=True)
    return tomli_w.dumps(_prune(data))


def _prune(value):
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v not in ([], {}, None)}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def issues(record: Record, base: str | Path = ".", *, require_pro: bool = False, today: dt.date | None = None) -> list[Issue]:
    """Whole-record checks (see the module docstring); ``base`` is the folder evidence paths
    are relative to. Missing PRO/IPI are warnings unless ``require_pro``."""
    today = today or dt.date.today()
    found: list[Issue] = []
    ledgers = [("work.writers", record.work.writers), ("work.publishers", record.work.publishers),
               ("master.owners", record.master.owners)]
    for name, parties in ledgers:
        if parties:
            total = sum(p.share for p in parties)
            if abs(total - 100.0) > SHARE_TOLERANCE:
                found.append(Issue("error", name, f"shares sum to {total:g}%, not 100%"))
            seen: dict[str, str] = {}
            for p in parties:
                key = " ".join(p.name.lower().split())
                if key in seen:
                    found.append(Issue("error", name, f"{p.name} is listed twice"))
                seen[key] = p.name
            ipis = [p.ipi for p in parties if getattr(p, "ipi", None)]
            for ipi in {i for i in ipis if ipis.count(i) > 1}:
                found.append(Issue("error", name, f"IPI {ipi} belongs to two parties"))
    if not record.work.writers:
        found.append(Issue("warning", "work.writers", "no writers: the composition's chain of title is empty"))
    for name, parties in ledgers[:2]:
        for p in parties:
            for attr in ("pro", "ipi"):
                if not getattr(p, attr):
                    why = "some libraries accept writers without a PRO" if attr == "pro" else "societies match payments by IPI"
                    found.append(Issue("error" if require_pro else "warning", name, f"{p.name} has no {attr.upper()} ({why})"))
    for version, code in record.master.isrc.items():
        others = [v for v, c in record.master.isrc.items() if c == code and v != version]
        if others and version < others[0]:
            found.append(Issue("error", "master.isrc", f"{version} and {others[0]} share ISRC {code}: each version needs its own"))
    found += _dates(record, today)
    found += _evidence(record, Path(base))
    return found


def _dates(record: Record, today: dt.date) -> list[Issue]:
    found = []
    made = record.generation.date if record.generation else None
    released = record.master.release_date
    if made and made > today:
        found.append(Issue("error", "generation.date", f"{made} is in the future"))
    if made and released and released < made:
        found.append(Issue("error", "master.release_date", f"released {released}, before it was generated ({made})"))
    for c in record.contributions:
        for e in c.evidence:
            if e.date and e.date > today:
                found.append(Issue("error", f"contributions.{c.element}", f"evidence {e.path} is dated in the future ({e.date})"))
    return found


def _evidence(record: Record, base: Path) -> list[Issue]:
    found = []
    items = [(f"contributions.{c.element}", e) for c in record.contributions for e in c.evidence]
    if record.generation and record.generation.terms_evidence:
        items.append(("generation.terms_evidence", record.generation.terms_evidence))
    if record.audio:
        items.append(("audio", record.audio))
    for where, e in items:
        path = base / e.path
        if not path.is_file():
            found.append(Issue("warning", where, f"evidence file {e.path} is not there"))
        elif e.sha256 and file_sha256(path) != e.sha256.lower():
            found.append(Issue("error", where, f"{e.path} has changed since it was recorded (SHA-256 differs)"))
    return found
