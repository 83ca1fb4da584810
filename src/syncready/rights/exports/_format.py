"""Shared formatting for the exports: delimited tables, self-contained HTML, durations, shares.

Conventions: tables are written with :mod:`csv` (CSV: minimal quoting; TSV: no quoting;
``\\r\\n`` line ends; UTF-8 without a byte-order mark); HTML pages carry their CSS inline
and escape every value taken from the record; durations are ``mm:ss`` rounded to the nearest
second (minutes may exceed 59); shares are percent with at most two decimals.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Sequence

from ...errors import UsageError

CWR_ROLES = {"composer": "C", "lyricist": "A", "composer_lyricist": "CA", "arranger": "AR", "publisher": "E"}
_CSS = """body{font:15px/1.45 system-ui,sans-serif;max-width:52em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left}td.num,th.num{text-align:right}
tr.total td{font-weight:600}.bad{color:#b00020}.meta{color:#555}.lyrics{white-space:pre-wrap}
.sign{display:flex;gap:2em;margin:1.6em 0}.sign span{flex:1;border-top:1px solid #222;padding-top:.2em}"""


def table(header: Sequence[str], rows: Iterable[Sequence[object]], *, tabs: bool = False) -> str:
    """``header`` and ``rows`` as CSV, or with ``tabs`` as unquoted tab-separated text (the
    caller keeps tabs and line breaks out of the values). None becomes an empty cell."""
    buffer = io.StringIO()
    writer = (csv.writer(buffer, delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None) if tabs
              else csv.writer(buffer))
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue()


def page(title: str, body: str) -> str:
    """A self-contained HTML document (``title`` is escaped, ``body`` is already HTML)."""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{esc(title)}</title>\n'
            f"<style>\n{_CSS}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def esc(value: object) -> str:
    """``value`` as HTML text (None is empty)."""
    return "" if value is None else html.escape(str(value))


def mmss(seconds: float) -> str:
    """``seconds`` as ``mm:ss``."""
    whole = round(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def percent(share: float) -> str:
    """A share as printed: ``"50"``, ``"33.33"`` (percent, no sign)."""
    return f"{share:.2f}".rstrip("0").rstrip(".")


def duration_of(duration_s: float | None, analysis) -> float:
    """An explicit duration, else the analysed file's.

    Raises
    ------
    UsageError
        Neither is given.
    """
    if duration_s is not None:
        return duration_s
    if analysis is not None:
        return analysis.source.duration_s
    raise UsageError("no duration: give the track's duration or its analysis")
