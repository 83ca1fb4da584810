"""The requirement vocabulary of the rules: what each requirement checks and what it can say.

A requirement is a function of :class:`Facts` returning findings ``(message_id, fields)``; a
rules file lists requirements per release path and words each message, with the fields below
as ``{placeholders}``. An empty list means the requirement is met.

Conventions
-----------
- Shares are percentages; a ledger is complete when it sums to 100 within
  :data:`~syncready.rights.record.SHARE_TOLERANCE`.
- The human side of an element is origin ``human``, ``human_with_ai_assist`` or
  ``ai_then_human_modified`` (:data:`HUMAN_SIDE`); its evidence is a recorded file with a
  SHA-256 that is there and unchanged (per the record's :func:`~..record.issues`).
- ``Facts.terms.status`` is ``"not_applicable"`` (no AI), ``"known"`` or the id of the
  message that says why the terms are not known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..record import SHARE_TOLERANCE, Issue, Record

if TYPE_CHECKING:
    from ..advice import TermsUsed

HUMAN_SIDE = ("human", "human_with_ai_assist", "ai_then_human_modified")
AUTHORSHIP = {"human": "human-made", "human_with_ai_assist": "AI-assisted", "ai_then_human_modified": "human-modified"}
Finding = tuple[str, dict[str, str]]

#: message id -> the placeholders its wording may use
MESSAGES: dict[str, frozenset[str]] = {}


@dataclass
class Facts:
    """What the requirements look at (built by :func:`syncready.rights.advice.advise`)."""

    record: Record
    origins: dict[str, str]  # element -> origin, elements the record covers
    musical: tuple[str, ...]  # the rules' classification elements
    terms: TermsUsed
    stems_present: bool | None
    duration_s: float | None
    issues: list[Issue]
    rules_version: str


@dataclass(frozen=True)
class Check:
    """A requirement: its function and the message ids it can emit."""

    run: Callable[[Facts], list[Finding]]
    messages: tuple[str, ...]


CHECKS: dict[str, Check] = {}


def _requirement(name: str, **messages: tuple[str, ...]):
    """Register a requirement and its messages (``id=(placeholder, ...)``)."""
    for message_id, fields in messages.items():
        MESSAGES.setdefault(message_id, frozenset(fields))

    def register(fn: Callable[[Facts], list[Finding]]) -> Callable[[Facts], list[Finding]]:
        CHECKS[name] = Check(fn, tuple(messages))
        return fn
    return register


_TERMS_STATUS = dict(no_origins=(), no_generator=(), no_plan=("service",),
                     no_generation_date=("service", "plan"),
                     unknown_terms=("service", "plan", "date", "rules_version"))


def _terms_fields(facts: Facts) -> dict[str, str]:
    t = facts.terms
    return {"service": t.service or "", "plan": t.plan or "", "date": t.date or "", "note": t.note,
            "rules_version": facts.rules_version}


def _terms_status(facts: Facts) -> list[Finding]:
    status = facts.terms.status
    return [] if status in ("known", "not_applicable") else [(status, _terms_fields(facts))]


@_requirement("commercial_terms", **_TERMS_STATUS, non_commercial=("service", "plan", "date", "note"))
def commercial_terms(facts: Facts) -> list[Finding]:
    """The generator's plan, on the generation date, allows commercial use (met without AI)."""
    if facts.terms.status == "known" and not facts.terms.commercial_use:
        return [("non_commercial", _terms_fields(facts))]
    return _terms_status(facts)


@_requirement("disclosure", no_origins=(), no_generator=())
def disclosure(facts: Facts) -> list[Finding]:
    """The record says who or what made each element, and names the generator when AI was used."""
    if not facts.record.contributions:
        return [("no_origins", {})]
    ai_used = any(origin != "human" for origin in facts.origins.values())
    return [("no_generator", {})] if ai_used and facts.record.generation is None else []


@_requirement("human_authorship", no_human_authorship=())
def human_authorship(facts: Facts) -> list[Finding]:
    """At least one musical element has a human side."""
    human = [e for e in facts.musical if facts.origins.get(e) in HUMAN_SIDE]
    return [] if human else [("no_human_authorship", {})]


@_requirement("evidence", no_evidence=("element", "authorship"), unhashed_evidence=("element", "path"),
              evidence_problem=("element", "problem"))
def evidence(facts: Facts) -> list[Finding]:
    """Each musical element with a human side has hashed evidence that is there and unchanged."""
    found: list[Finding] = []
    for element in facts.musical:
        origin = facts.origins.get(element)
        if origin not in HUMAN_SIDE:
            continue
        name = element.replace("_", " ")
        items = [e for c in facts.record.contributions if c.element == element for e in c.evidence]
        if not items:
            found.append(("no_evidence", {"element": name, "authorship": AUTHORSHIP[origin]}))
        found += [("unhashed_evidence", {"element": name, "path": e.path}) for e in items if not e.sha256]
        found += [("evidence_problem", {"element": name, "problem": i.message})
                  for i in facts.issues if i.field == f"contributions.{element}"]
    return found


def _total(parties) -> float:
    return sum(p.share for p in parties)


def _complete(parties) -> bool:
    return abs(_total(parties) - 100.0) <= SHARE_TOLERANCE


@_requirement("writer_splits", no_writers=(), writer_split=("total",), publisher_split=("total",))
def writer_splits(facts: Facts) -> list[Finding]:
    """Writers are listed and their shares sum to 100%; so do the publishers' when listed."""
    work = facts.record.work
    if not work.writers:
        return [("no_writers", {})]
    found = [] if _complete(work.writers) else [("writer_split", {"total": f"{_total(work.writers):g}%"})]
    if work.publishers and not _complete(work.publishers):
        found.append(("publisher_split", {"total": f"{_total(work.publishers):g}%"}))
    return found


@_requirement("party_ids", missing_ids=("names",))
def party_ids(facts: Facts) -> list[Finding]:
    """Every writer and publisher has an IPI name number and a PRO."""
    work = facts.record.work
    names = [p.name for p in work.writers + work.publishers if not (p.ipi and p.pro)]
    return [("missing_ids", {"names": ", ".join(names)})] if names else []


@_requirement("master_owners", no_master_owner=(), master_split=("total",))
def master_owners(facts: Facts) -> list[Finding]:
    """The master's owners are listed and their shares sum to 100%."""
    owners = facts.record.master.owners
    if not owners:
        return [("no_master_owner", {})]
    return [] if _complete(owners) else [("master_split", {"total": f"{_total(owners):g}%"})]


@_requirement("stems", no_stems=(), stems_unknown=())
def stems(facts: Facts) -> list[Finding]:
    """Stems are there (``stems_present``; None: not looked at, not met)."""
    if facts.stems_present is None:
        return [("stems_unknown", {})]
    return [] if facts.stems_present else [("no_stems", {})]


@_requirement("cue_data", no_duration=(), no_writers=())
def cue_data(facts: Facts) -> list[Finding]:
    """A cue sheet row can be filled: title (always recorded), duration and writers."""
    found: list[Finding] = [] if facts.duration_s else [("no_duration", {})]
    return found + ([] if facts.record.work.writers else [("no_writers", {})])


@_requirement("warranties", **_TERMS_STATUS, output_not_owned=("service", "plan"),
              output_owner_unknown=("service", "plan"), no_terms_evidence=("service", "plan"),
              terms_evidence_problem=("problem",))
def warranties(facts: Facts) -> list[Finding]:
    """The creator can warrant ownership: with AI, known terms that leave the output to the
    user and a hashed copy of those terms that is there and unchanged (met without AI)."""
    if facts.terms.status != "known":
        return _terms_status(facts)
    fields = {k: v for k, v in _terms_fields(facts).items() if k in ("service", "plan")}
    owner = facts.terms.output_owner
    found: list[Finding] = []
    if owner != "user":
        found.append(("output_not_owned" if owner == "service" else "output_owner_unknown", fields))
    proof = facts.record.generation.terms_evidence if facts.record.generation else None
    if proof is None or not proof.sha256:
        found.append(("no_terms_evidence", fields))
    found += [("terms_evidence_problem", {"problem": i.message})
              for i in facts.issues if i.field == "generation.terms_evidence"]
    return found


@_requirement("isrc", no_isrc=())
def isrc(facts: Facts) -> list[Finding]:
    """The main version (``master.isrc.main``) has an ISRC."""
    return [] if "main" in facts.record.master.isrc else [("no_isrc", {})]


@_requirement("iswc", no_iswc=())
def iswc(facts: Facts) -> list[Finding]:
    """The composition has an ISWC."""
    return [] if facts.record.work.iswc else [("no_iswc", {})]
