"""Cue sheet rows: one row per party of one cue, as performing-rights societies list them.

Layout (CSV)::

    cue_no,cue_title,usage,duration,role,name,pro,ipi,share

- ``usage``: :data:`USAGES` (BI background instrumental, BV background vocal, VI visual
  instrumental, VV visual vocal, MT main title, ET end title); default BV when the record has
  vocals (lyrics, a lead or backing vocal), else BI.
- ``duration``: ``mm:ss`` of the use, from an explicit duration or the analysis.
- ``role``: CWR codes: C composer, A author (lyricist), CA composer/author, AR arranger,
  E publisher. Writers first, then publishers, in the record's order; ``share`` is percent of
  its own ledger as recorded (writers sum to 100, publishers sum to 100). A cue without
  parties still gets one row, with the party columns empty.
"""

from __future__ import annotations

from ...errors import UsageError
from ..record import Record
from ._format import CWR_ROLES, duration_of, mmss, percent, table

HEADER = ("cue_no", "cue_title", "usage", "duration", "role", "name", "pro", "ipi", "share")
USAGES = {"BI": "background instrumental", "BV": "background vocal", "VI": "visual instrumental",
          "VV": "visual vocal", "MT": "main title", "ET": "end title"}


def has_vocals(record: Record) -> bool:
    """True when the record has lyrics or a lead or backing vocal."""
    origins = record.origins()
    return any(e in origins for e in ("lyrics", "lead_vocal", "backing_vocals"))


def cue_sheet_csv(record: Record, *, usage: str | None = None, duration_s: float | None = None,
                  analysis=None, cue_no: int = 1, title: str | None = None) -> str:
    """The cue's rows as CSV (layout in the module docstring); ``title`` defaults to the work's.

    Raises
    ------
    UsageError
        An unknown usage code, or no duration (neither ``duration_s`` nor ``analysis``).
    """
    usage = (usage or ("BV" if has_vocals(record) else "BI")).upper()
    if usage not in USAGES:
        raise UsageError(f"unknown cue usage {usage!r}; choose one of {', '.join(USAGES)}")
    cue = (cue_no, title or record.work.title, usage, mmss(duration_of(duration_s, analysis)))
    work = record.work
    parties = [(CWR_ROLES[w.role], w) for w in work.writers] + [(CWR_ROLES["publisher"], p) for p in work.publishers]
    rows = [(*cue, role, p.name, p.pro, p.ipi, percent(p.share)) for role, p in parties]
    return table(HEADER, rows or [(*cue, None, None, None, None, None)])
