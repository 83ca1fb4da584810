"""Catalog operations: add files and deliveries, list, show, search, find duplicates, rank.

Conventions
-----------
- ``add`` takes an audio file (its own track, titled by the file name's stem) or a delivery
  folder: with a ``manifest.json`` (see :mod:`syncready.deliver.manifest`), one track titled by
  its source file's stem (else the folder's name) whose versions are the manifest's version names; without one, every audio
  file in the folder as its own track. A ``*.rights.toml`` beside the file (``TITLE.rights.toml``)
  or in the delivery folder fills the parties, shares, release paths and vocal flag.
- Masters and versions are analysed and checked against every shipped profile (analyses are
  cached by content hash); other audio files (cut-downs, loops, stems) are listed with their hash.
  Adding a path already in the catalog refreshes it in place.
- Effort of a check: 1 per warning, 1 per failure ``syncready fix`` repairs by itself
  (:data:`AUTO_FIXED`: loudness, true peak, format, head and tail timing), 5 per other failure
  (regenerate, re-mix or edit by hand). ``rank`` orders tracks by verdict (pass, warn, fail),
  then effort, then title.
- ``dupes`` finds two kinds of pairs. The same audio: one file hash, or fingerprint similarity
  at or above the threshold (one generation exported twice, re-encoded, re-levelled, trimmed).
  Two takes of one prompt: different audio whose analysed tempo agrees within
  :data:`TAKE_TEMPO_TOLERANCE` (a doubled or halved reading counts), whose durations are within
  :data:`TAKE_DURATION_RATIO`, and whose sound envelopes are within :data:`TAKE_SOUND_DISTANCE`
  (the key is not asked: takes of one prompt change key as often as not). A take pair is a
  lead to listen to, not proof: two songs of one genre made with one preset can meet all three.
  Not every pair is compared: one hash is a dictionary lookup, fingerprints are compared only
  for the candidates :func:`fingerprint.candidates` finds by shared words, and takes only among
  neighbours in a ranking by tempo, so a catalog of thousands of tracks takes seconds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from ..errors import BadInputError, UsageError
from . import fingerprint
from .models import Analysis, Check, File, Finding, Party, ReleasePath, Right, Track, Version

AUTO_FIXED = ("loudness.", "format.sample_rate", "format.bit_depth", "format.container", "timing.")
AUDIO_SUFFIXES = (".wav", ".aif", ".aiff", ".flac", ".mp3", ".ogg", ".m4a", ".opus")
ANALYSED_KINDS = ("master", "version")
VERDICT_ORDER = {"pass": 0, "warn": 1, "fail": 2}
VOCAL_ELEMENTS = ("lead_vocal", "backing_vocals")
INSTRUMENTAL_WORDS = ("inst", "instrumental", "no vocal", "karaoke")
TAKE_TEMPO_TOLERANCE = 0.03
TAKE_DURATION_RATIO = 0.75
TAKE_SOUND_DISTANCE = 0.45


@dataclass
class Query:
    """Search filters; None (or empty) means "any". Ranges are inclusive; ``text`` matches
    title or notes case-insensitively; ``sections`` must all be present; ``ready`` is a
    profile the main file passes (or only warns) on; ``release_path`` one the track is ready for."""

    bpm_min: float | None = None
    bpm_max: float | None = None
    key: str | None = None
    meter: int | None = None
    duration_min: float | None = None
    duration_max: float | None = None
    vocal: bool | None = None
    sections: tuple[str, ...] = ()
    ready: str | None = None
    release_path: str | None = None
    text: str | None = None
    limit: int = 100


def add(session: Session, path: str | Path, *, notes: str = "") -> list[Track]:
    """Add the file or delivery folder at ``path``; the tracks added or refreshed.

    Raises
    ------
    syncready.errors.BadInputError
        The path does not exist, holds no audio, or an audio file cannot be read, is silent or
        too short to measure.
    """
    path = Path(path)
    if path.is_dir():
        if (path / "manifest.json").is_file():
            return [_add_delivery(session, path, notes)]
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        if not found:
            raise BadInputError(f"{path}: no audio files and no manifest.json in this folder")
        return [_add_files(session, p.stem, [(p, "Main", "master")], p.with_suffix(".rights.toml"), notes) for p in found]
    if not path.exists():
        raise BadInputError(f"{path}: no such file or folder")
    return [_add_files(session, path.stem, [(path, "Main", "master")], path.with_suffix(".rights.toml"), notes)]


def _add_delivery(session: Session, folder: Path, notes: str) -> Track:
    """One track from a delivery folder's manifest."""
    from ..deliver.manifest import AUDIO_KINDS

    doc = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    items = [(folder / f["path"], f.get("version") or "Main", f["kind"]) for f in doc.get("files", []) if f.get("kind") in AUDIO_KINDS]
    items.sort(key=lambda item: item[2] != "master")
    if not items:
        raise BadInputError(f"{folder}: the manifest lists no audio files")
    rights = next(iter(sorted(folder.glob("**/*.rights.toml"))), None)
    source = doc.get("source", {}).get("file")
    return _add_files(session, Path(source).stem if source else folder.name, items, rights, notes)


def _add_files(session: Session, title: str, items: list[tuple[Path, str, str]], rights: Path | None, notes: str) -> Track:
    """Add (or refresh) one track made of ``items`` (path, version name, kind); the first is main."""
    from ..checks import profile as profiles

    loaded = [profiles.load(name) for name in profiles.available()]
    first = str(items[0][0].resolve())
    existing = session.scalar(select(File).where(File.path == first))
    track = existing.version.track if existing else Track(title=title, notes=notes)
    if existing:
        track.main_file = None
        session.flush()
        track.versions.clear()
        track.rights.clear()
        track.release_paths.clear()
        session.flush()
    session.add(track)
    versions: dict[str, Version] = {}
    for i, (path, name, kind) in enumerate(items):
        if name not in versions:
            versions[name] = Version(name=name)
            track.versions.append(versions[name])
        version = versions[name]
        row = _file(path, kind, loaded, fingerprinted=i == 0)
        version.files.append(row)
        if i == 0:
            session.flush()
            track.main_file = row
    track.vocal = False if all(_instrumental(v) for v in versions) else None
    if rights is not None and rights.is_file():
        _add_rights(session, track, rights, stems=any(kind == "stem" for _, _, kind in items))
    session.flush()
    return track


def _instrumental(version_name: str) -> bool:
    name = version_name.lower()
    return any(word in name.split() or name.endswith(word) for word in INSTRUMENTAL_WORDS)


def _file(path: Path, kind: str, loaded: list, *, fingerprinted: bool) -> File:
    """A File row for ``path``; analysed and checked when it is a master or version."""
    from ..audio import probe
    from ..checks import run
    from ..qc import check_file

    if kind not in ANALYSED_KINDS:
        return File(path=str(path.resolve()), kind=kind, sha256=probe(path).sha256)
    result = check_file(path, loaded[0])
    if result.unusable:  # silent or too short to measure: nothing to catalog
        raise BadInputError(f"{path}: {result.unusable}")
    a, m = result.analysis, result.analysis.music
    row = File(path=str(path.resolve()), kind=kind, sha256=a.source.sha256)
    row.analysis = Analysis(
        analysis_version=a.version, duration_s=a.source.duration_s, sample_rate=a.source.sample_rate,
        channels=a.source.channels, container=a.source.container, tempo_bpm=m.tempo_bpm, key=m.key, meter=m.meter,
        sections=" " + " ".join(dict.fromkeys(s.label for s in m.sections)) + " ", ending=m.ending.type,
        integrated_lufs=a.loudness.integrated_lufs, true_peak_dbtp=a.loudness.true_peak_dbtp,
    )
    for prof in loaded:
        row.checks.append(_check(run(a, prof), prof.name))
    if fingerprinted:
        row.fingerprint_kind, row.fingerprint, row.sound = fingerprint.compute(path)
    return row


def _check(report, profile: str) -> Check:
    """A Check row (with the findings that did not pass) from a checks report."""
    bad = [f for f in report.findings if f.severity in ("fail", "warn")]
    effort = sum(1 if f.severity == "warn" or f.check.startswith(AUTO_FIXED) else 5 for f in bad)
    return Check(
        profile=profile, verdict=report.verdict, fails=sum(f.severity == "fail" for f in bad),
        warns=sum(f.severity == "warn" for f in bad), effort=effort,
        findings=[Finding(check=f.check, severity=f.severity, message=f.message, fix=f.fix) for f in bad],
    )


def _add_rights(session: Session, track: Track, path: Path, *, stems: bool) -> None:
    """Parties, shares, release paths and the vocal flag from a rights record."""
    from ..rights import record as records
    from ..rights.advice import advise

    rec = records.load(path)
    duration = track.main_file.analysis.duration_s if track.main_file and track.main_file.analysis else None
    advice = advise(rec, stems_present=stems, duration_s=duration)
    shares = [("writer", w.name, w.ipi, w.pro, w.share) for w in rec.work.writers]
    shares += [("publisher", p.name, p.ipi, p.pro, p.share) for p in rec.work.publishers]
    shares += [("master_owner", o.name, None, None, o.share) for o in rec.master.owners]
    for role, name, ipi, pro, share in shares:
        party = session.scalar(select(Party).where(Party.name == name)) or Party(name=name, ipi=ipi, pro=pro)
        track.rights.append(Right(party=party, role=role, share=share))
    track.release_paths = [ReleasePath(path=name, ready=p.ready) for name, p in advice.paths.items()]
    if any(element in rec.origins() for element in VOCAL_ELEMENTS):
        track.vocal = True
    if rec.work.title:
        track.title = rec.work.title


def search(session: Session, query: Query) -> list[dict]:
    """The tracks matching ``query`` (summaries, by title)."""
    q = _summary_select()
    a = Analysis
    conditions = [
        a.tempo_bpm >= query.bpm_min if query.bpm_min is not None else None,
        a.tempo_bpm <= query.bpm_max if query.bpm_max is not None else None,
        a.key == query.key if query.key else None,
        a.meter == query.meter if query.meter is not None else None,
        a.duration_s >= query.duration_min if query.duration_min is not None else None,
        a.duration_s <= query.duration_max if query.duration_max is not None else None,
        Track.vocal == query.vocal if query.vocal is not None else None,
        *(a.sections.like(f"% {label} %") for label in query.sections),
        exists().where(Check.file_id == Track.main_file_id, Check.profile == query.ready, Check.verdict != "fail")
        if query.ready else None,
        exists().where(ReleasePath.track_id == Track.id, ReleasePath.path == query.release_path, ReleasePath.ready)
        if query.release_path else None,
        or_(Track.title.ilike(f"%{query.text}%"), Track.notes.ilike(f"%{query.text}%")) if query.text else None,
    ]
    q = q.where(and_(True, *(c for c in conditions if c is not None))).order_by(Track.title, Track.id).limit(query.limit)
    return [_summary(row) for row in session.execute(q)]


def list_tracks(session: Session, limit: int = 1000) -> list[dict]:
    """Every track's summary, by title."""
    return search(session, Query(limit=limit))


def _summary_select():
    a = Analysis
    return (select(Track.id, Track.title, Track.vocal, a.duration_s, a.tempo_bpm, a.key, a.meter, a.sections)
            .outerjoin(a, a.file_id == Track.main_file_id))  # the main file's analysis, without reading files


def _summary(row) -> dict:
    return {
        "id": row.id, "title": row.title, "vocal": row.vocal,
        "duration_s": None if row.duration_s is None else round(row.duration_s, 3),
        "tempo_bpm": None if row.tempo_bpm is None else round(row.tempo_bpm, 2),
        "key": row.key, "meter": row.meter, "sections": (row.sections or "").split(),
    }


def show(session: Session, track_id: int) -> dict:
    """Everything the catalog holds on one track.

    Raises
    ------
    syncready.errors.UsageError
        No track has that id.
    """
    track = session.get(Track, track_id, options=[selectinload(Track.versions).selectinload(Version.files)])
    if track is None:
        raise UsageError(f"no track {track_id} in the catalog (see `syncready catalog list`)")
    main = track.main_file
    return {
        **_summary(session.execute(_summary_select().where(Track.id == track.id)).one()),
        "notes": track.notes,
        "versions": [{"name": v.name, "files": [{"path": f.path, "kind": f.kind, "sha256": f.sha256} for f in v.files]}
                     for v in track.versions],
        "loudness": None if main is None or main.analysis is None else
        {"integrated_lufs": main.analysis.integrated_lufs, "true_peak_dbtp": main.analysis.true_peak_dbtp},
        "ending": None if main is None or main.analysis is None else main.analysis.ending,
        "readiness": {} if main is None else {
            c.profile: {"verdict": c.verdict, "fails": c.fails, "warns": c.warns, "effort": c.effort,
                        "findings": [{"check": f.check, "severity": f.severity, "message": f.message, "fix": f.fix}
                                     for f in c.findings]} for c in main.checks},
        "rights": [{"party": r.party.name, "role": r.role, "share": r.share, "ipi": r.party.ipi, "pro": r.party.pro}
                   for r in track.rights],
        "release_paths": {p.path: p.ready for p in track.release_paths},
    }


def dupes(session: Session, threshold: float = 0.65, *, takes: bool = True) -> list[dict]:
    """Pairs of tracks whose main files hold the same audio (one hash, or fingerprint similarity
    at or above ``threshold``; ``basis`` "identical file" or the fingerprint kind) and, with
    ``takes``, pairs that sound like two takes of one prompt (``basis`` "take", with
    ``sound_distance``; see the module docstring). Same audio first, most similar first."""
    rows = session.execute(
        select(Track.id, Track.title, File.sha256, File.fingerprint_kind, File.fingerprint, File.sound,
               Analysis.tempo_bpm, Analysis.duration_s)
        .join(File, File.id == Track.main_file_id).outerjoin(Analysis, Analysis.file_id == File.id)
        .order_by(Track.id)).all()
    same_hash = _same_hash(rows)
    prints = fingerprint.candidates([(r.fingerprint_kind, r.fingerprint) if r.fingerprint else None for r in rows])
    take_pairs = _take_pairs(rows) if takes else set()
    found = []
    for i, j in sorted(same_hash | prints | take_pairs):
        x, y = rows[i], rows[j]
        pair = {"a": {"id": x.id, "title": x.title}, "b": {"id": y.id, "title": y.title}}
        if (i, j) in same_hash:
            found.append(pair | {"similarity": 1.0, "basis": "identical file"})
            continue
        score = (fingerprint.similarity(x.fingerprint_kind, x.fingerprint, y.fingerprint)
                 if x.fingerprint and y.fingerprint and x.fingerprint_kind == y.fingerprint_kind else None)
        if score is not None and score >= threshold:
            found.append(pair | {"similarity": round(score, 3), "basis": x.fingerprint_kind})
        elif (i, j) in take_pairs:
            found.append(pair | {"similarity": None if score is None else round(score, 3), "basis": "take",
                                 "sound_distance": round(fingerprint.envelope_distance(x.sound, y.sound), 3)})
    return sorted(found, key=lambda d: (d["basis"] == "take", -(d["similarity"] or 0), d.get("sound_distance", 0)))


def _same_hash(rows) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of rows whose files have one hash."""
    by_hash: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_hash.setdefault(row.sha256, []).append(i)
    return {(a, b) for same in by_hash.values() for k, a in enumerate(same) for b in same[k + 1:]}


def _take_pairs(rows) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of rows that could be two takes of one prompt: the
    faster tempo at most :data:`TAKE_TEMPO_TOLERANCE` over the slower (or over twice or half
    it: a doubled or halved reading counts), durations within
    :data:`TAKE_DURATION_RATIO`, sound envelopes within :data:`TAKE_SOUND_DISTANCE`.

    Rows are ranked by tempo folded into one octave (log2 of the tempo, modulo 1), so each is
    compared only with its neighbours in that ranking: the k-th neighbours of every row at once,
    for k = 1, 2... until no row has a k-th neighbour within the tolerance.
    """
    index = np.array([i for i, r in enumerate(rows) if r.sound and r.tempo_bpm and r.duration_s], dtype=np.int64)
    n = len(index)
    if n < 2:
        return set()
    tempo = np.array([rows[i].tempo_bpm for i in index])
    duration = np.array([rows[i].duration_s for i in index])
    sound = np.stack([np.frombuffer(rows[i].sound, "<f4") for i in index])
    order = np.argsort(np.mod(np.log2(tempo), 1.0))
    ranked = np.mod(np.log2(tempo[order]), 1.0)
    ranked = np.r_[ranked, ranked + 1.0]  # once round the octave, for the wrap
    width = math.log2(1 + TAKE_TEMPO_TOLERANCE)  # the faster tempo at most this much over the slower, in octaves
    pairs: set[tuple[int, int]] = set()
    for k in range(1, n):
        near = ranked[np.arange(n) + k] - ranked[:n] <= width
        if not near.any():
            break
        a, b = order[near], order[(np.flatnonzero(near) + k) % n]
        ratio = np.abs(np.log2(tempo[a] / tempo[b]))
        keep = np.any([np.abs(ratio - octave) <= width for octave in (0.0, 1.0)], axis=0)
        keep &= np.minimum(duration[a], duration[b]) >= TAKE_DURATION_RATIO * np.maximum(duration[a], duration[b])
        keep &= fingerprint.envelope_distances(sound[a], sound[b]) <= TAKE_SOUND_DISTANCE
        pairs.update((min(x, y), max(x, y)) for x, y in zip(index[a[keep]].tolist(), index[b[keep]].tolist()))
    return pairs


def rank(session: Session, profile: str = "sync-library", limit: int = 1000) -> list[dict]:
    """Tracks in the order to work on them for ``profile`` (see the module docstring)."""
    rows = session.execute(
        select(Track.id, Track.title, Check.verdict, Check.fails, Check.warns, Check.effort)
        .join(Check, and_(Check.file_id == Track.main_file_id, Check.profile == profile))).all()
    rows = sorted(rows, key=lambda r: (VERDICT_ORDER[r.verdict], r.effort, r.title, r.id))[:limit]
    return [{"rank": i + 1, "id": r.id, "title": r.title, "verdict": r.verdict, "fails": r.fails,
             "warns": r.warns, "effort": r.effort} for i, r in enumerate(rows)]
