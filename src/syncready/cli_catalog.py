"""The ``syncready catalog`` commands: add files and deliveries to the catalog database, list,
show, search, find near-duplicates, rank by readiness. ``--json`` prints the result as JSON on
stdout (and nothing else there); ``--db URL`` (or ``$SYNCREADY_DB``) picks the database.
Exit codes: 0 done, 2 bad input, usage or an unreachable database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from .cli import _guarded, app, err, refuse

catalog_app = typer.Typer(help="The catalog: every track, version, analysis, finding and right, searchable.",
                          no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")

DbOpt = Annotated[Optional[str], typer.Option("--db", help="Database URL or SQLite file (default: $SYNCREADY_DB, else the user data dir).", metavar="URL")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
SUMMARY_COLUMNS = ("id", "title", "duration_s", "tempo_bpm", "key", "meter", "vocal", "sections")


def _session(db: str | None):
    from .catalog.db import open_catalog

    return _guarded(lambda: open_catalog(db))()


def _profile_name(profile: str) -> str:
    """The name a profile's checks are stored under (a shipped name or a .toml's); exit 2
    when it cannot be loaded."""
    from .checks import profile as profiles

    return _guarded(lambda: profiles.load(profile)).name


def _at_least_one(limit: int) -> int:
    if limit < 1:
        refuse(f"--limit {limit}: give 1 or more")
    return limit


def _out(doc, json_out: bool, columns: tuple[str, ...], title: str) -> None:
    """Print ``doc`` (a list of flat dicts) as JSON or as a table."""
    if json_out:
        typer.echo(json.dumps(doc, indent=2))
        return
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in doc:
        table.add_row(*(escape("-" if row[c] is None else " ".join(row[c]) if isinstance(row[c], list) else str(row[c])) for c in columns))
    Console().print(table)


@catalog_app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="Audio files, or delivery folders (with their manifest.json).", show_default=False)],
    notes: Annotated[str, typer.Option("--notes", help="Notes stored with each new track (searchable).")] = "",
    db: DbOpt = None,
    json_out: JsonFlag = False,
) -> None:
    """Analyse, check and add files or deliveries; a path already in the catalog is refreshed."""
    from .catalog import store

    with _session(db) as session:
        added = []
        for path in paths:
            tracks = _guarded(lambda: store.add(session, path, notes=notes))
            session.commit()
            added += [store.show(session, t.id) for t in tracks]
            if not json_out:
                err.print(f"added {path}: " + ", ".join(f"#{t.id} {t.title}" for t in tracks), highlight=False, markup=False)
    if json_out:
        typer.echo(json.dumps(added, indent=2))


@catalog_app.command("list")
def list_(db: DbOpt = None, json_out: JsonFlag = False) -> None:
    """Every track in the catalog, by title."""
    from .catalog import store

    with _session(db) as session:
        _out(store.list_tracks(session), json_out, SUMMARY_COLUMNS, "Catalog")


@catalog_app.command("show")
def show(track: Annotated[int, typer.Argument(help="Track id (see `catalog list`).")], db: DbOpt = None, json_out: JsonFlag = False) -> None:
    """Everything on one track: versions, files, readiness per profile, findings, rights."""
    from .catalog import store

    with _session(db) as session:
        doc = _guarded(lambda: store.show(session, track))
    if json_out:
        typer.echo(json.dumps(doc, indent=2))
        return
    console = Console(soft_wrap=True)
    console.print(f"[bold]#{doc['id']} {escape(doc['title'])}[/]  {doc['duration_s']} s, {doc['tempo_bpm']} BPM, "
                  f"{doc['key']}, meter {doc['meter']}, sections: {' '.join(doc['sections']) or '-'}", highlight=False)
    for version in doc["versions"]:
        for f in version["files"]:
            console.print(f"  {version['name']}: {f['kind']} {f['path']}", highlight=False, markup=False)
    for profile, ready in doc["readiness"].items():
        console.print(f"  {profile}: {ready['verdict']} ({ready['fails']} fail, {ready['warns']} warn, effort {ready['effort']})", highlight=False)
    for right in doc["rights"]:
        console.print(f"  {right['role']}: {right['party']} {right['share']}%", highlight=False, markup=False)
    if doc["release_paths"]:
        console.print("  ready for: " + (", ".join(p for p, ok in doc["release_paths"].items() if ok) or "none"), highlight=False)


@catalog_app.command("search")
def search(
    bpm: Annotated[Optional[str], typer.Option("--bpm", help="Tempo range MIN-MAX (either end may be left out: 90-, -120).", metavar="MIN-MAX")] = None,
    key: Annotated[Optional[str], typer.Option("--key", help="Key as the analysis names it, e.g. 'A minor'.")] = None,
    meter: Annotated[Optional[int], typer.Option("--meter", help="Beats per bar.")] = None,
    duration: Annotated[Optional[str], typer.Option("--duration", help="Duration range in seconds MIN-MAX.", metavar="MIN-MAX")] = None,
    vocal: Annotated[Optional[bool], typer.Option("--vocal/--instrumental", help="Only vocal, or only instrumental, tracks.", show_default=False)] = None,
    section: Annotated[Optional[list[str]], typer.Option("--section", help="A section label that must be present (intro, verse, chorus, bridge, outro); repeatable.")] = None,
    ready: Annotated[Optional[str], typer.Option("--ready", help="Only tracks whose main file passes this profile (warnings allowed).", metavar="PROFILE")] = None,
    release_path: Annotated[Optional[str], typer.Option("--path", help="Only tracks ready for this release path (demo, content, streaming, sync).")] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="Text in the title or notes.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Most tracks to return.")] = 100,
    db: DbOpt = None,
    json_out: JsonFlag = False,
) -> None:
    """Find tracks by tempo, key, meter, duration, vocals, sections, readiness, release path or text."""
    from .catalog import store

    low_bpm, high_bpm = _guarded(lambda: _range(bpm, "--bpm"))
    low_s, high_s = _guarded(lambda: _range(duration, "--duration"))
    query = store.Query(bpm_min=low_bpm, bpm_max=high_bpm, key=key, meter=meter, duration_min=low_s, duration_max=high_s,
                        vocal=vocal, sections=tuple(section or ()), ready=ready and _profile_name(ready),
                        release_path=release_path, text=text, limit=_at_least_one(limit))
    with _session(db) as session:
        _out(store.search(session, query), json_out, SUMMARY_COLUMNS, "Search")


@catalog_app.command("dupes")
def dupes(
    threshold: Annotated[float, typer.Option("--threshold", help="Least fingerprint similarity (0.5 unrelated .. 1 same audio).")] = 0.65,
    takes: Annotated[bool, typer.Option("--takes/--no-takes", help="Also list pairs that sound like two takes of one prompt.")] = True,
    db: DbOpt = None,
    json_out: JsonFlag = False,
) -> None:
    """Near-duplicates: the same audio (one generation exported twice, re-encoded, re-levelled)
    and two takes of one prompt (same tempo, length and sound; a lead to listen to)."""
    from .catalog import store

    if not 0.0 <= threshold <= 1.0:
        refuse(f"--threshold {threshold:g}: give a similarity from 0 to 1")
    with _session(db) as session:
        found = store.dupes(session, threshold, takes=takes)
    rows = [{"a": f"#{d['a']['id']} {d['a']['title']}", "b": f"#{d['b']['id']} {d['b']['title']}",
             "similarity": d["similarity"] if d["basis"] != "take" else f"sound {d['sound_distance']}", "basis": d["basis"]}
            for d in found]
    if json_out:
        typer.echo(json.dumps(found, indent=2))
    else:
        _out(rows, False, ("a", "b", "similarity", "basis"), "Near-duplicates")


@catalog_app.command("rank")
def rank(
    profile: Annotated[str, typer.Option("--profile", "-p", help="The delivery profile to rank for.")] = "sync-library",
    limit: Annotated[int, typer.Option("--limit", help="Most tracks to list.")] = 1000,
    db: DbOpt = None,
    json_out: JsonFlag = False,
) -> None:
    """Which tracks are worth developing: ready ones first, then by the effort their fixes take."""
    from .catalog import store

    name, most = _profile_name(profile), _at_least_one(limit)
    with _session(db) as session:
        _out(store.rank(session, name, most), json_out, ("rank", "id", "title", "verdict", "fails", "warns", "effort"), f"Rank for {name}")


def _range(text: str | None, option: str) -> tuple[float | None, float | None]:
    """``"MIN-MAX"`` (either end optional) as two floats or Nones."""
    from .errors import UsageError

    if not text:
        return None, None
    low, sep, high = text.partition("-")
    try:
        if not sep:
            return float(low), float(low)
        return (float(low) if low.strip() else None), (float(high) if high.strip() else None)
    except ValueError:
        raise UsageError(f"{option} {text!r}: give a range like 90-120, 90- or -120") from None
