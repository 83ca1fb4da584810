"""Exports of a rights record: split sheets, cue sheet rows, a library ingestion sheet, an AI
disclosure document and a lyric sheet (formats in docs/rights-advice.md).

Each ``*_csv``/``*_tsv``/``*_html``/``*_json``/``*_text`` function returns the document as
text; :func:`write` renders one by its :data:`EXPORTS` name and writes it atomically
(:func:`syncready.outputs.write_text`, UTF-8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ...errors import UsageError
from ...outputs import write_text
from ..record import Record
from .cue import USAGES, cue_sheet_csv
from .disclosure import disclosure, disclosure_json
from .ingestion import COLUMNS, Version, ingestion_tsv
from .lyrics import lyric_sheet_html, lyric_sheet_text
from .splits import split_sheet_csv, split_sheet_html

EXPORTS: dict[str, Callable[..., str]] = {
    "split-sheet-html": split_sheet_html,
    "split-sheet-csv": split_sheet_csv,
    "cue-sheet-csv": cue_sheet_csv,
    "ingestion-tsv": ingestion_tsv,
    "disclosure-json": disclosure_json,
    "lyric-sheet-txt": lyric_sheet_text,
    "lyric-sheet-html": lyric_sheet_html,
}

__all__ = ["COLUMNS", "EXPORTS", "USAGES", "Version", "cue_sheet_csv", "disclosure", "disclosure_json",
           "ingestion_tsv", "lyric_sheet_html", "lyric_sheet_text", "split_sheet_csv", "split_sheet_html", "write"]


def write(kind: str, record: Record, path: str | Path, *, protect: Iterable[str | Path] = (), **options) -> Path:
    """Render export ``kind`` of ``record`` (``options`` go to its function) and write it to
    ``path`` atomically; returns the path.

    Raises
    ------
    UsageError
        An unknown kind, a path that is an input or a folder, or the export's own usage errors.
    """
    if kind not in EXPORTS:
        raise UsageError(f"unknown export {kind!r}; choose one of {', '.join(EXPORTS)}")
    return write_text(path, EXPORTS[kind](record, **options), protect)
