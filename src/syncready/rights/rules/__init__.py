"""Advice rules: dated facts about generator plans and what each release path requires.

The rules are data (TOML), so they can change when a service changes its terms without a code
change; ``syncready/rights/rules`` ships one file per dated edition. Layout (see
docs/rights-advice.md)::

    version = "2026-11"              # the edition's name
    effective = 2026-11-01           # the date its facts were checked
    [classification]  elements = [...]     # the musical elements the classification counts
    [[terms]]         service, plans, from, until, commercial_use, output_owner, note, source
    [paths.NAME]      requires = [...], recommends = [...]   # NAME: demo, content, streaming, sync
    [messages.ID]     reason = "...", todo = "..."           # wording, with {placeholders}

Conventions
-----------
- Service and plan names match case-insensitively, with runs of spaces, ``-`` and ``_`` read
  as one space (``"Suno"`` / ``"suno"``, ``"Pro plan"`` does not match ``"pro"``).
- A terms entry applies to generations dated ``from <= date < until``; a missing bound is
  open. Entries for the same service and plan must not overlap.
- Requirement and message ids are the vocabulary of :mod:`.checks`; every message a used
  requirement can emit needs its wording, and a placeholder must be one its message fills.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ...errors import UsageError
from ..record import ELEMENTS, parse
from .checks import CHECKS, MESSAGES

DEFAULT_RULES = "2026-11"
PATHS = ("demo", "content", "streaming", "sync")
OwnerKind = Literal["user", "service", "unknown"]


def normalise_name(name: str) -> str:
    """A service or plan name as compared: lower case, separators folded to one space."""
    return " ".join(re.split(r"[\s_\-]+", name.strip().lower())).strip()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class Classification(_Strict):
    """The elements whose origins decide the classification (see :func:`..advice.classify`)."""

    elements: list[str]

    @model_validator(mode="after")
    def _known(self) -> Classification:
        unknown = [e for e in self.elements if e not in ELEMENTS]
        if unknown or not self.elements:
            raise ValueError(f"elements must be some of {', '.join(ELEMENTS)} (got {unknown or 'none'})")
        return self


class PlanTerms(_Strict):
    """What one service's plans allowed for output generated in a date range."""

    service: str
    plans: list[str]
    start: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    commercial_use: bool
    output_owner: OwnerKind
    note: str = ""
    source: str = ""

    def covers(self, service: str, plan: str, date: dt.date) -> bool:
        """True when this entry applies to ``plan`` of ``service`` on ``date``."""
        return (normalise_name(service) == normalise_name(self.service)
                and normalise_name(plan) in {normalise_name(p) for p in self.plans}
                and (self.start is None or self.start <= date)
                and (self.until is None or date < self.until))


class Release(_Strict):
    """One release path: the requirements that block it and those that only add to-dos."""

    requires: list[str] = []
    recommends: list[str] = []

    @model_validator(mode="after")
    def _known(self) -> Release:
        unknown = [c for c in self.requires + self.recommends if c not in CHECKS]
        if unknown:
            raise ValueError(f"unknown requirement {unknown[0]!r}; known: {', '.join(CHECKS)}")
        return self


class Message(_Strict):
    """The wording of one finding: why a path is not ready, and what to do."""

    reason: str
    todo: str


class Rules(_Strict):
    """A rules edition (see the module docstring)."""

    version: str
    effective: dt.date
    classification: Classification
    terms: list[PlanTerms] = []
    paths: dict[Literal["demo", "content", "streaming", "sync"], Release]
    messages: dict[str, Message]
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        """Where the rules were read from: the shipped edition's name or the file's path."""
        return self._source

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        missing = [p for p in PATHS if p not in self.paths]
        if missing:
            raise ValueError(f"paths: {', '.join(missing)} missing (each of {', '.join(PATHS)} is needed)")
        for message_id, message in self.messages.items():
            if message_id not in MESSAGES:
                raise ValueError(f"messages.{message_id}: unknown message id")
            for part in ("reason", "todo"):
                extra = _placeholders(getattr(message, part), f"messages.{message_id}.{part}") - MESSAGES[message_id]
                if extra:
                    allowed = ", ".join(sorted(MESSAGES[message_id])) or "none"
                    raise ValueError(f"messages.{message_id}.{part}: unknown placeholder {{{sorted(extra)[0]}}} (allowed: {allowed})")
        used = {c for p in self.paths.values() for c in p.requires + p.recommends}
        for check in CHECKS:
            for message_id in CHECKS[check].messages if check in used else ():
                if message_id not in self.messages:
                    raise ValueError(f"messages.{message_id}: missing (requirement {check!r} needs its wording)")
        _no_overlap(self.terms)
        return self

    def terms_for(self, service: str, plan: str, date: dt.date) -> PlanTerms | None:
        """The entry for ``plan`` of ``service`` in force on ``date``, or None."""
        return next((t for t in self.terms if t.covers(service, plan, date)), None)


def _placeholders(template: str, where: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"{where}: {exc} in {template!r}") from None


def _no_overlap(entries: list[PlanTerms]) -> None:
    lo, hi = dt.date.min, dt.date.max
    spans: dict[tuple[str, str], list[PlanTerms]] = {}
    for entry in entries:
        for plan in entry.plans:
            spans.setdefault((normalise_name(entry.service), normalise_name(plan)), []).append(entry)
    for (service, plan), group in spans.items():
        group = sorted(group, key=lambda t: t.start or lo)
        for a, b in zip(group, group[1:]):
            if (a.until or hi) > (b.start or lo):
                raise ValueError(f"terms: two entries for {service} {plan} overlap (from {b.start or 'the start'})")


def available() -> list[str]:
    """Names of the shipped rules editions, sorted."""
    folder = resources.files(__name__)
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load(name_or_path: str | Path | None = None) -> Rules:
    """Load a shipped edition by name (default :data:`DEFAULT_RULES`) or a rules file by path.

    Raises
    ------
    UsageError
        Unknown name, unreadable file, TOML syntax, unknown keys, wrong types, unknown
        requirement or message ids, missing wording, bad placeholders, overlapping terms.
    """
    name = str(name_or_path or DEFAULT_RULES)
    if name in available():
        text, source = (resources.files(__name__) / f"{name}.toml").read_text(encoding="utf-8"), name
    else:
        try:
            text, source = Path(name).read_text(encoding="utf-8"), name
        except (OSError, UnicodeDecodeError) as exc:
            shipped = ", ".join(available())
            raise UsageError(f"{name}: cannot read the rules file ({getattr(exc, 'strerror', None) or exc}); "
                             f"shipped rules: {shipped}") from None
    rules = parse(text, source, Rules)
    rules._source = source
    return rules
