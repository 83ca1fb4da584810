"""An AI disclosure document: which parts of the track an AI made, in DDEX-style categories.

Schema (JSON object, ``schema_version`` 1; every key always present)::

    schema          "syncready/ai-disclosure"
    schema_version  1
    title, iswc     the work's (iswc null when unknown)
    isrc            {version: ISRC}
    classification  ai_generated | ai_assisted | hybrid | human | unknown (see advice.classify)
    summary         one line: Record.disclosure_summary()
    generator       null, or {service, model, plan, date (ISO), terms_version} (null where unknown)
    categories      {composition_lyrics, vocals, instrumentation, post_production}, each
                    {"ai": none | partial | full | not_recorded, "elements": {element: origin}}

Category elements (:data:`CATEGORIES`): composition_lyrics <- lyrics, melody, harmony,
arrangement; vocals <- lead_vocal, backing_vocals; instrumentation <- instruments;
post_production <- mix, master (artwork is not part of the audio and is left out). ``ai`` is
``none`` when every recorded element of the category is human-made, ``full`` when every one is
AI-generated, ``partial`` otherwise, and ``not_recorded`` when the record covers none of them.
"""

from __future__ import annotations

import json

from ..advice import classify
from ..record import Record
from ..rules import Rules, load

SCHEMA = "syncready/ai-disclosure"
SCHEMA_VERSION = 1
CATEGORIES = {"composition_lyrics": ("lyrics", "melody", "harmony", "arrangement"),
              "vocals": ("lead_vocal", "backing_vocals"), "instrumentation": ("instruments",),
              "post_production": ("mix", "master")}


def disclosure(record: Record, *, rules: Rules | str | None = None) -> dict:
    """The disclosure document as a dict (schema in the module docstring); ``rules`` gives the
    musical elements of the classification (default: the shipped edition)."""
    rules = rules if isinstance(rules, Rules) else load(rules)
    origins = record.origins()
    g = record.generation
    generator = None if g is None else {
        "service": g.service, "model": g.model, "plan": g.plan,
        "date": g.date.isoformat() if g.date else None, "terms_version": g.terms_version}
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
        "title": record.work.title, "iswc": record.work.iswc, "isrc": dict(record.master.isrc),
        "classification": classify(record, rules.classification.elements).label,
        "summary": record.disclosure_summary(), "generator": generator,
        "categories": {name: _category({e: origins[e] for e in elements if e in origins})
                       for name, elements in CATEGORIES.items()},
    }


def _category(elements: dict[str, str]) -> dict:
    values = set(elements.values())
    ai = ("not_recorded" if not values else "none" if values == {"human"} else "full" if values == {"ai"}
          else "partial")
    return {"ai": ai, "elements": elements}


def disclosure_json(record: Record, *, rules: Rules | str | None = None) -> str:
    """The disclosure document as indented JSON text (UTF-8 characters kept)."""
    return json.dumps(disclosure(record, rules=rules), indent=2, ensure_ascii=False) + "\n"
