"""A library ingestion sheet: one tab-separated row per version of the track.

Columns (:data:`COLUMNS`, Harvest-style)::

    Title  Version  File Name  Duration  BPM  Key  Meter  Genre  Mood  Keywords  Description
    ISRC  ISWC  Composers  Composer PRO  Composer IPI  Publishers  Publisher PRO  Publisher IPI
    Instrumental  Vocals  AI Disclosure

- One row per :class:`Version`; without versions, one ``main`` version named after
  ``[audio]`` with the analysis' duration.
- Duration ``mm:ss`` (blank when unknown); BPM rounded to a whole number, Key as analysed
  (``"A minor"``), Meter ``N/4`` from the analysed beats per bar; blank without an analysis.
- ISRC: ``master.isrc[version name]``. Composers: ``Name (share%)`` joined by ``"; "``, their
  PROs and IPIs in the same order and joined the same way (empty where unknown); likewise
  publishers.
- Instrumental/Vocals ``Y``/``N``: the version's ``instrumental`` flag, else whether the record
  has vocals (:func:`.cue.has_vocals`).
- AI Disclosure: :meth:`Record.disclosure_summary`. Tabs and line breaks inside values become
  spaces, so no cell needs quoting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from ..record import Record
from ._format import mmss, percent, table
from .cue import has_vocals

COLUMNS = ("Title", "Version", "File Name", "Duration", "BPM", "Key", "Meter", "Genre", "Mood", "Keywords",
           "Description", "ISRC", "ISWC", "Composers", "Composer PRO", "Composer IPI", "Publishers",
           "Publisher PRO", "Publisher IPI", "Instrumental", "Vocals", "AI Disclosure")


@dataclass
class Version:
    """A delivered version: its name (as in ``master.isrc``), file name, duration in seconds and
    whether it has no vocals (None: as the record says)."""

    name: str
    file_name: str
    duration_s: float | None = None
    instrumental: bool | None = None


def ingestion_tsv(record: Record, versions: Sequence[Version] | None = None, *, analysis=None,
                  genre: str = "", mood: str = "", keywords: str = "", description: str = "") -> str:
    """The ingestion sheet (layout in the module docstring)."""
    if versions is None:
        name = PurePath(record.audio.path).name if record.audio else ""
        versions = [Version("main", name, analysis.source.duration_s if analysis is not None else None)]
    music = analysis.music if analysis is not None else None
    shared = {
        "Title": record.work.title, "Genre": genre, "Mood": mood, "Keywords": keywords, "Description": description,
        "BPM": round(music.tempo_bpm) if music and music.tempo_bpm else "",
        "Key": music.key if music and music.key else "",
        "Meter": f"{music.meter}/4" if music and music.meter else "",
        "ISWC": record.work.iswc, "AI Disclosure": record.disclosure_summary(),
        **_parties("Composer", record.work.writers), **_parties("Publisher", record.work.publishers),
    }
    vocal = has_vocals(record)
    rows = []
    for v in versions:
        instrumental = v.instrumental if v.instrumental is not None else not vocal
        row = {**shared, "Version": v.name, "File Name": v.file_name, "ISRC": record.master.isrc.get(v.name),
               "Duration": mmss(v.duration_s) if v.duration_s is not None else "",
               "Instrumental": "Y" if instrumental else "N", "Vocals": "N" if instrumental else "Y"}
        rows.append([_cell(row[c]) for c in COLUMNS])
    return table(COLUMNS, rows, tabs=True)


def _parties(kind: str, parties) -> dict[str, str]:
    plural = kind + "s"
    return {plural: "; ".join(f"{p.name} ({percent(p.share)}%)" for p in parties),
            f"{kind} PRO": "; ".join(p.pro or "" for p in parties),
            f"{kind} IPI": "; ".join(p.ipi or "" for p in parties)}


def _cell(value) -> str:
    return "" if value is None else re.sub(r"[\t\r\n]+", " ", str(value))
