"""Advice on a rights record: what the track is, which release paths it is ready for, and the
copyright-registration text.

:func:`advise` applies a rules edition (:mod:`.rules`, data: dated plan facts, per-path
requirements, wording) to a :class:`~.record.Record` and returns an :class:`Advice` (plain
dataclasses, JSON-ready through :func:`syncready.jsonable.to_jsonable`).

Conventions
-----------
- Element origins (:func:`element_origins`): one origin per element the record covers; an
  element recorded twice takes its most AI-involved origin (``ai`` > ``ai_then_human_modified``
  > ``human_with_ai_assist`` > ``human``); the lyrics take ``work.lyrics.origin`` when no
  contribution covers them.
- Classification (:func:`classify`), over the rules' musical elements (shipped: lyrics, melody,
  harmony, arrangement, lead_vocal, backing_vocals, instruments), in this order:

  1. no musical element recorded: ``ai_generated`` when a generator is named (assumed), else
     ``unknown``;
  2. ``human``: every recorded contribution, of any element, is ``human`` and no generator
     is named;
  3. ``ai_generated``: every recorded musical element is ``ai``;
  4. ``ai_assisted``: no musical element is ``ai`` and the ``human`` or ``human_with_ai_assist``
     ones outnumber the ``ai_then_human_modified`` ones;
  5. ``hybrid``: anything else (AI-generated material next to human-made, or AI material
     reworked by people for most elements).
- The plan facts are picked by the generation's service, plan and date; without AI
  (``human``) they do not apply.
- Release paths are ready when every requirement the rules list under ``requires`` is met;
  ``recommends`` only adds to-dos. Dates in the output are ISO strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SyncreadyError
from .record import ELEMENTS, Issue, Record, issues
from .rules import PATHS, Rules, load
from .rules.checks import CHECKS, HUMAN_SIDE, Facts

DISCLAIMER = ("Not legal advice: syncready summarises published terms and guidance as of the rules' "
              "effective date. Check the terms in force when you generated, and ask a lawyer before "
              "signing a licence or giving warranties.")
REGISTRABLE = tuple(e for e in ELEMENTS if e != "artwork")  # elements of a musical work or sound recording
_AI_RANK = {"human": 0, "human_with_ai_assist": 1, "ai_then_human_modified": 2, "ai": 3}


@dataclass
class Classification:
    """``label`` (ai_generated, ai_assisted, hybrid, human or unknown), the rule that decided
    it in words, and the musical elements' origins."""

    label: str
    basis: str
    elements: dict[str, str]


@dataclass
class TermsUsed:
    """The plan facts the advice used. ``status``: ``"known"``, ``"not_applicable"`` (no AI) or
    why they are unknown (``no_origins``, ``no_generator``, ``no_plan``, ``no_generation_date``,
    ``unknown_terms``); the facts are None unless known; ``valid_from``/``valid_until`` the
    entry's date range (None: open)."""

    status: str
    service: str | None = None
    plan: str | None = None
    date: str | None = None
    commercial_use: bool | None = None
    output_owner: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    note: str = ""
    source: str = ""


@dataclass
class PathAdvice:
    """One release path: ``ready``, ``reasons`` it is not (empty when ready), ``todo``."""

    ready: bool
    reasons: list[str]
    todo: list[str]


@dataclass
class Registration:
    """Draft text for a US Copyright Office application: the "Author created" and "Material
    excluded" fields and a note on what can and cannot be claimed."""

    author_created: str
    material_excluded: str
    note: str


@dataclass
class Advice:
    """The whole advice; ``paths`` in the order demo, content, streaming, sync."""

    title: str
    classification: Classification
    terms: TermsUsed
    paths: dict[str, PathAdvice]
    ready_for: list[str]
    registration: Registration
    issues: list[Issue]
    notes: list[str]
    rules_version: str
    rules_effective: str
    rules_source: str
    disclaimer: str = DISCLAIMER


def element_origins(record: Record) -> dict[str, str]:
    """``element -> origin`` for every element the record covers, in :data:`ELEMENTS` order
    (see the module docstring for duplicates and the lyrics)."""
    found: dict[str, str] = {}
    for c in record.contributions:
        if _AI_RANK[c.origin] >= _AI_RANK[found.get(c.element, "human")]:
            found[c.element] = c.origin
    if "lyrics" not in found and record.work.lyrics is not None:
        found["lyrics"] = record.work.lyrics.origin
    return {e: found[e] for e in ELEMENTS if e in found}


def classify(record: Record, musical: Sequence[str]) -> Classification:
    """Classify the track over the ``musical`` elements (rules in the module docstring)."""
    origins = element_origins(record)
    music = {e: o for e, o in origins.items() if e in musical}
    named = record.generation is not None
    if not music:
        if named:
            return Classification("ai_generated", "no musical element is recorded and a generator is named: "
                                  "assumed AI-generated", music)
        return Classification("unknown", "no musical element and no generator is recorded", music)
    counts = {o: list(music.values()).count(o) for o in _AI_RANK}
    if all(o == "human" for o in origins.values()) and not named:
        return Classification("human", "every recorded element is human-made and no generator is named", music)
    if counts["ai"] == len(music):
        return Classification("ai_generated", "every recorded musical element is AI-generated", music)
    human = counts["human"] + counts["human_with_ai_assist"]
    if counts["ai"] == 0 and human > counts["ai_then_human_modified"]:
        return Classification("ai_assisted", f"no musical element is AI-generated as is, and human-made ones ({human}) "
                              f"outnumber AI-made ones reworked by people ({counts['ai_then_human_modified']})", music)
    return Classification("hybrid", "human-made and AI-generated material are mixed", music)


def registration(record: Record) -> Registration:
    """Draft "Author created" and "Material excluded" texts from the contributions (elements
    in :data:`REGISTRABLE`; the prompts are never claimed)."""
    origins = {e: o for e, o in element_origins(record).items() if e in REGISTRABLE}
    has_ai = any(o in ("ai", "ai_then_human_modified") for o in origins.values())
    claimed = [_claim(record, e, o, has_ai) for e, o in origins.items() if o in HUMAN_SIDE]
    generated = [_name(e) for e, o in origins.items() if o == "ai"]
    reworked = [_name(e) for e, o in origins.items() if o == "ai_then_human_modified"]
    tool = generator_name(record) or "an AI generator"
    excluded = ([f"AI-generated {_and(generated)} ({tool})"] if generated else []) + \
               ([f"the AI-generated first versions of the {_and(reworked)}, before human modification ({tool})"]
                if reworked else [])
    prompts = ("Prompts alone are not authorship: the prompts given to the generator are not claimed. "
               "Claim the human-authored material only, and name the AI-generated material that is more "
               "than de minimis as excluded.")
    if not claimed:
        prompts += " No human authorship is recorded: material generated by AI alone cannot be registered."
    return Registration("; ".join(claimed), "; ".join(excluded) or "none", prompts)


def generator_name(record: Record) -> str | None:
    """The generator as named in prose (``"Suno v4.5"``), or None without ``[generation]``."""
    g = record.generation
    return " ".join(x for x in (g.service, g.model) if x) if g else None


def _name(element: str) -> str:
    return element.replace("_", " ")


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _claim(record: Record, element: str, origin: str, has_ai: bool) -> str:
    descriptions = [c.description for c in record.contributions if c.element == element and c.description]
    detail = f" ({'; '.join(descriptions)})" if descriptions else ""
    if element == "arrangement" and has_ai:
        return f"selection and arrangement of AI-generated material{detail}"
    words = {"human": _name(element), "human_with_ai_assist": f"{_name(element)}, made with AI assistance",
             "ai_then_human_modified": f"human modification of AI-generated {_name(element)}"}
    return words[origin] + detail


def resolve_terms(record: Record, label: str, rules: Rules) -> TermsUsed:
    """The plan facts for the record's generation (see :class:`TermsUsed` for the statuses)."""
    g = record.generation
    used = TermsUsed("known", g.service if g else None, g.plan if g else None,
                     g.date.isoformat() if g and g.date else None)
    if label == "human":
        used.status = "not_applicable"
    elif label == "unknown":
        used.status = "no_origins"
    elif g is None:
        used.status = "no_generator"
    elif not g.plan:
        used.status = "no_plan"
    elif g.date is None:
        used.status = "no_generation_date"
    elif (entry := rules.terms_for(g.service, g.plan, g.date)) is None:
        used.status = "unknown_terms"
    else:
        used.commercial_use, used.output_owner = entry.commercial_use, entry.output_owner
        used.valid_from = entry.start.isoformat() if entry.start else None
        used.valid_until = entry.until.isoformat() if entry.until else None
        used.note, used.source = entry.note, entry.source
    return used


def advise(record: Record, *, base: str | Path | None = None, stems_present: bool | None = None,
           rules: Rules | str | Path | None = None, today: dt.date | None = None,
           duration_s: float | None = None) -> Advice:
    """Advise on ``record``.

    Parameters
    ----------
    record
        The rights record.
    base
        The folder evidence paths are relative to (default: ``record.base``).
    stems_present
        Whether the track has stems; None: not looked at (the sync path is then not ready).
    rules
        A loaded :class:`~.rules.Rules`, a shipped edition's name or a rules file's path
        (default: the shipped :data:`~.rules.DEFAULT_RULES`).
    today
        The date the record's dates are checked against (default: today).
    duration_s
        The track's duration for the cue data; default: measured from ``[audio]`` when there.

    Raises
    ------
    UsageError
        The rules cannot be loaded (one line naming the file and the problem).
    """
    rules = rules if isinstance(rules, Rules) else load(rules)
    today = today or dt.date.today()
    base = Path(base) if base is not None else record.base
    kind = classify(record, tuple(rules.classification.elements))
    terms = resolve_terms(record, kind.label, rules)
    found = issues(record, base, today=today)
    facts = Facts(record, element_origins(record), tuple(rules.classification.elements), terms, stems_present,
                  duration_s if duration_s is not None else _measured_duration(record, base), found, rules.version)
    paths = {name: _path(rules, name, facts) for name in PATHS}
    return Advice(
        title=record.work.title, classification=kind, terms=terms, paths=paths,
        ready_for=[name for name, p in paths.items() if p.ready], registration=registration(record),
        issues=found, notes=_notes(record, kind, rules), rules_version=rules.version,
        rules_effective=rules.effective.isoformat(), rules_source=rules.source,
    )


def _path(rules: Rules, name: str, facts: Facts) -> PathAdvice:
    release = rules.paths[name]
    blocking = [f for check in release.requires for f in CHECKS[check].run(facts)]
    advised = [f for check in release.recommends for f in CHECKS[check].run(facts)]

    def words(findings, part):
        texts = [getattr(rules.messages[mid], part).format_map(fields) for mid, fields in findings]
        return list(dict.fromkeys(texts))
    return PathAdvice(not blocking, words(blocking, "reason"), words(blocking + advised, "todo"))


def _measured_duration(record: Record, base: Path) -> float | None:
    if record.audio is None:
        return None
    from ..audio import probe

    try:
        return probe(base / record.audio.path).duration_s
    except SyncreadyError:
        return None


def _notes(record: Record, kind: Classification, rules: Rules) -> list[str]:
    notes = [f"classification: {kind.basis}"]
    made = record.generation.date if record.generation else None
    if made and made > rules.effective:
        notes.append(f"generated on {made}, after the rules' effective date ({rules.effective}): "
                     "the service may have changed its terms since; check the terms of that date")
    return notes
