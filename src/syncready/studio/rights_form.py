"""The rights record as a web form, validated by the same rules as ``syncready rights check``.

The form is flat (``title``, ``writers-0-name``, ``writers-0-share``, ``origin-melody``...); an
API client may send the same names as a JSON object. :func:`record_from_fields` builds the
:class:`~syncready.rights.record.Record` (the pydantic schema of the TOML file: the first
problem comes back as :func:`~syncready.rights.record.validation_message` words), and
:func:`assess` adds :func:`~syncready.rights.record.issues` and
:func:`~syncready.rights.advice.advise`. Shares are percent; dates ``YYYY-MM-DD``. Blank
fields are left out; a party row without a name is ignored.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from ..digest import file_sha256
from ..errors import UsageError
from ..jsonable import to_jsonable
from ..rights.record import ELEMENTS, ORIGINS, Record, dumps, issues, validation_message

PARTY_ROWS = {"writers": 4, "publishers": 2, "owners": 2}
PARTY_FIELDS = {"writers": ("name", "role", "share", "ipi", "pro"), "publishers": ("name", "share", "ipi", "pro"),
                "owners": ("name", "share")}
WRITER_ROLES = ("composer_lyricist", "composer", "lyricist", "arranger")


def _text(fields: Mapping, name: str) -> str | None:
    value = fields.get(name)
    value = "" if value is None else str(value).strip()
    return value or None


def _number(text: str | None):
    """A share as a float when it reads as one; else the text (the schema then names the field)."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def _date(text: str | None):
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return text


def _parties(fields: Mapping, ledger: str) -> list[dict]:
    rows = []
    for i in range(PARTY_ROWS[ledger]):
        row = {f: _text(fields, f"{ledger}-{i}-{f}") for f in PARTY_FIELDS[ledger]}
        if not row["name"]:
            continue
        row["share"] = _number(row["share"])
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def record_from_fields(fields: Mapping, audio: Path) -> Record:
    """The record the form describes, for the track file ``audio`` (its ``[audio]`` table).

    Raises
    ------
    UsageError
        The fields do not make a valid record (one line: the field and the reason).
    """
    get = lambda name: _text(fields, name)  # noqa: E731
    master = {"artist": get("artist"), "label": get("label"), "release_date": _date(get("release_date")),
              "territory": get("territory"), "owners": _parties(fields, "owners"),
              "isrc": {"main": get("isrc_main")} if get("isrc_main") else {}}
    work = {"title": get("title") or "", "iswc": get("iswc"), "writers": _parties(fields, "writers"),
            "publishers": _parties(fields, "publishers")}
    if get("lyrics"):
        work["lyrics"] = {"text": get("lyrics"), "origin": get("lyrics_origin") or "human"}
    data = {"schema_version": 1, "work": _clean(work), "master": _clean(master),
            "contributions": [{"element": e, "origin": get(f"origin-{e}")} for e in ELEMENTS if get(f"origin-{e}")],
            "audio": {"path": audio.name, "sha256": file_sha256(audio), "date": dt.date.fromtimestamp(audio.stat().st_mtime)}}
    if get("service"):
        data["generation"] = _clean({"service": get("service"), "model": get("model"), "plan": get("plan"),
                                     "date": _date(get("generated")), "terms_version": get("terms_version")})
    if not get("title"):
        raise UsageError("work.title: required field is missing")
    try:
        record = Record.model_validate(data)
    except ValidationError as exc:
        raise UsageError(validation_message(exc)) from None
    record._base = audio.parent
    return record


def _clean(table: dict) -> dict:
    return {k: v for k, v in table.items() if v not in (None, [], {})}


def fields_from_record(record: Record) -> dict[str, str]:
    """The form fields that show ``record`` (the inverse of :func:`record_from_fields`)."""
    w, m, g = record.work, record.master, record.generation
    fields = {"title": w.title, "artist": m.artist, "label": m.label, "release_date": m.release_date, "territory": m.territory,
              "iswc": w.iswc, "isrc_main": m.isrc.get("main")}
    if w.lyrics is not None:
        fields.update(lyrics=record.lyrics_text(), lyrics_origin=w.lyrics.origin)
    if g is not None:
        fields.update(service=g.service, model=g.model, plan=g.plan, generated=g.date, terms_version=g.terms_version)
    for ledger, parties in (("writers", w.writers), ("publishers", w.publishers), ("owners", m.owners)):
        for i, p in enumerate(parties[: PARTY_ROWS[ledger]]):
            for f in PARTY_FIELDS[ledger]:
                fields[f"{ledger}-{i}-{f}"] = f"{p.share:g}" if f == "share" else getattr(p, f)
    fields.update({f"origin-{e}": o for e, o in record.origins().items() if e != "lyrics" or any(c.element == e for c in record.contributions)})
    return {k: "" if v is None else str(v) for k, v in fields.items()}


def assess(fields: Mapping, audio: Path, *, duration_s: float | None = None) -> dict:
    """Validate the form: ``valid`` (no errors), ``error`` (the schema problem, or None),
    ``issues`` (severity, field, message), ``disclosure`` and ``advice`` (classification,
    release paths, registration draft; None while the schema fails)."""
    from ..rights.advice import advise

    try:
        record = record_from_fields(fields, audio)
    except UsageError as exc:
        return {"valid": False, "error": str(exc), "issues": [], "disclosure": None, "advice": None}
    found = issues(record, audio.parent)
    advice = advise(record, base=audio.parent, duration_s=duration_s)
    return {"valid": not any(i.severity == "error" for i in found), "error": None, "issues": to_jsonable(found),
            "disclosure": record.disclosure_summary(), "advice": to_jsonable(advice)}


def save(fields: Mapping, audio: Path, path: Path) -> Record:
    """Write the record the form describes to ``path`` (atomically; the audio is never touched).

    Raises
    ------
    UsageError
        The fields do not make a valid record.
    """
    from ..outputs import write_text

    record = record_from_fields(fields, audio)
    write_text(path, dumps(record), protect=[audio])
    return record


def load_fields(path: Path) -> dict[str, str]:
    """The form fields of the saved record at ``path`` (empty when there is none or it is unreadable)."""
    from ..errors import SyncreadyError
    from ..rights.record import load

    if not os.path.isfile(path):
        return {}
    try:
        return fields_from_record(load(path))
    except SyncreadyError:
        return {}


CHOICES = {"origins": ORIGINS, "elements": ELEMENTS, "roles": WRITER_ROLES}
