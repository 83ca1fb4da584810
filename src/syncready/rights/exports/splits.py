"""Split sheets: who owns what share of the composition and the master, to be signed.

CSV layout (one row per party, in the record's order: writers, publishers, master owners)::

    ledger,name,role,ipi,ipi_base,pro,share

``ledger`` is ``writers``, ``publishers`` or ``master_owners``; ``role`` the writer's role,
``publisher`` or ``master_owner``; ``share`` percent of its own ledger (each ledger sums to 100).
The HTML sheet shows the same parties per ledger with totals (a total that is not 100% is
marked), the disclosure line, and a signature and date line for every party.
"""

from __future__ import annotations

from ..record import SHARE_TOLERANCE, Record
from ._format import esc, page, percent, table

HEADER = ("ledger", "name", "role", "ipi", "ipi_base", "pro", "share")


def _ledgers(record: Record) -> list[tuple[str, str, list[tuple[str, str, str, str, str, float]]]]:
    """``(ledger, heading, rows of (name, role, ipi, ipi_base, pro, share))``."""
    work = record.work
    return [
        ("writers", "Composition: writers",
         [(w.name, w.role, w.ipi, w.ipi_base, w.pro, w.share) for w in work.writers]),
        ("publishers", "Composition: publishers",
         [(p.name, "publisher", p.ipi, p.ipi_base, p.pro, p.share) for p in work.publishers]),
        ("master_owners", "Master recording: owners",
         [(o.name, "master_owner", None, None, None, o.share) for o in record.master.owners]),
    ]


def split_sheet_csv(record: Record) -> str:
    """The split sheet as CSV (layout in the module docstring)."""
    rows = [(ledger, *row[:5], percent(row[5])) for ledger, _, parties in _ledgers(record) for row in parties]
    return table(HEADER, rows)


def split_sheet_html(record: Record) -> str:
    """The split sheet as a self-contained HTML page to print and sign."""
    work = record.work
    meta = [("Alternate titles", ", ".join(work.alternate_titles)), ("ISWC", work.iswc),
            ("ISRC (main)", record.master.isrc.get("main")), ("Artist", record.master.artist),
            ("AI disclosure", record.disclosure_summary())]
    parts = [f"<h1>Split sheet: {esc(work.title)}</h1>"]
    parts += [f'<p class="meta">{esc(label)}: {esc(value)}</p>' for label, value in meta if value]
    signers: dict[str, None] = {}
    for _, heading, rows in _ledgers(record):
        if rows:
            parts.append(_table(heading, rows))
            signers.update((row[0], None) for row in rows)
    parts.append("<h2>Signatures</h2><p>Each party below agrees to the shares above.</p>")
    parts += [f'<div class="sign"><span>{esc(name)}</span><span>Signature</span><span>Date</span></div>'
              for name in signers]
    return page(f"Split sheet: {work.title}", "\n".join(parts))


def _table(heading: str, rows) -> str:
    head = "<tr><th>Name</th><th>Role</th><th>IPI</th><th>IPI base</th><th>PRO</th><th class=num>Share %</th></tr>"
    body = "".join(f"<tr><td>{esc(n)}</td><td>{esc(r.replace('_', ' '))}</td><td>{esc(i)}</td><td>{esc(b)}</td>"
                   f"<td>{esc(p)}</td><td class=num>{percent(s)}</td></tr>" for n, r, i, b, p, s in rows)
    total = sum(row[5] for row in rows)
    bad = abs(total - 100.0) > SHARE_TOLERANCE
    mark = ' class="num bad"' if bad else " class=num"
    note = " (must be 100)" if bad else ""
    foot = f'<tr class="total"><td colspan=5>Total</td><td{mark}>{percent(total)}{note}</td></tr>'
    return f"<h2>{esc(heading)}</h2>\n<table>{head}{body}{foot}</table>"
