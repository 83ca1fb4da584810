"""The data the pages and the JSON API share: one function per screen, plain dicts.

Level matching: every playable file (the original and each output) carries its integrated
loudness (LUFS) and ``gain_db``, the gain that brings it down to the quietest one's level
(0 for the quietest, negative for the others); ``volume`` is that gain as a linear factor
(an ``<audio>`` element's volume can only turn down, so the quietest sets the level).
"""

from __future__ import annotations

import json
from pathlib import Path

from .jobs import Jobs
from .storage import RIGHTS_FILE, Storage
from .tasks import FIX_STEPS, fix_step

SORTS = ("readiness", "title", "tempo_bpm", "key", "duration_s")
JOB_KINDS = ("check", "fix", "edits", "package", "catalog")


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def file_url(track_id: str, name: str) -> str:
    return f"/api/tracks/{track_id}/files/{name}"


def level_match(items: list[dict]) -> list[dict]:
    """Add ``gain_db`` and ``volume`` to items with ``integrated_lufs`` (see the module notes)."""
    levels = [i["integrated_lufs"] for i in items if i.get("integrated_lufs") is not None]
    quietest = min(levels) if levels else None
    for item in items:
        lufs = item.get("integrated_lufs")
        gain = 0.0 if quietest is None or lufs is None else round(quietest - lufs, 2)
        item["gain_db"], item["volume"] = gain, round(10 ** (gain / 20), 4)
    return items


def duration(storage: Storage, track_id: str) -> float | None:
    """The track's duration (s) once it has been checked."""
    view = _json(storage.track_dir(track_id) / "view.json")
    return view["duration_s"] if view else None


def summary(storage: Storage, row: dict) -> dict:
    """A track in lists: id, name, profile, verdict (None before its check), duration (s)."""
    check = _json(storage.track_dir(row["id"]) / "check.json")
    return {"id": row["id"], "name": row["name"], "profile": row["profile"], "created": row["created"],
            "verdict": check["verdict"] if check else None,
            "duration_s": check["format"]["duration_s"] if check else None, "url": f"/tracks/{row['id']}"}


def track(storage: Storage, jobs: Jobs, track_id: str) -> dict | None:
    """Everything the track page shows; None for an unknown track."""
    row = storage.track(track_id)
    if row is None:
        return None
    folder = storage.track_dir(track_id)
    check, view = _json(folder / "check.json"), _json(folder / "view.json")
    findings = []
    for f in (check or {}).get("findings", []):
        step = fix_step(f.get("fix")) if f["severity"] in ("fail", "warn") else None
        findings.append({**f, "step": step})
    original = {"name": "original", "label": f"Original ({row['name']})", "kind": "original",
                "integrated_lufs": check["loudness"]["integrated_lufs"] if check else None,
                "duration_s": check["format"]["duration_s"] if check else None, "verdict": check["verdict"] if check else None}
    players = [original] + [{k: o[k] for k in ("name", "label", "kind", "integrated_lufs", "duration_s", "verdict")}
                            for o in storage.outputs(track_id)]
    for p in level_match(players):
        p["url"] = file_url(track_id, p["name"])
    latest = {kind: jobs.latest(track_id, kind) for kind in JOB_KINDS}
    package = latest["package"]
    return {
        **summary(storage, row), "check": check, "view": view, "findings": findings, "players": players,
        "fix_steps": list(FIX_STEPS), "jobs": latest, "rights_saved": (folder / RIGHTS_FILE).is_file(),
        "delivery": {"zip_url": file_url(track_id, "delivery.zip"), "manifest": package["result"]["manifest"]}
        if package and package["state"] == "done" and storage.file(track_id, "delivery.zip") else None,
    }


def library(storage: Storage, db_url: str | None, *, text: str | None = None, sort: str = "readiness",
            descending: bool = False, release_path: str | None = None, profile: str = "sync-library",
            bpm_min: float | None = None, bpm_max: float | None = None, key: str | None = None) -> list[dict]:
    """The catalog's tracks (:func:`syncready.catalog.store.search`), with readiness for
    ``profile`` (:func:`~syncready.catalog.store.rank`), release paths, and the studio page of
    those uploaded here; sorted by ``sort`` (one of :data:`SORTS`; unknown values sort by
    readiness). Tracks without a value for the sort key come last."""
    from ..catalog import store
    from ..catalog.db import open_catalog
    from ..catalog.models import File, Track

    query = store.Query(text=text or None, release_path=release_path or None, bpm_min=bpm_min, bpm_max=bpm_max,
                        key=key or None, limit=10_000)
    with open_catalog(db_url)() as session:
        rows = store.search(session, query)
        ranks = {r["id"]: r for r in store.rank(session, profile)}
        ids = [r["id"] for r in rows]
        paths = dict(session.query(Track.id, File.sha256).join(File, File.id == Track.main_file_id).filter(Track.id.in_(ids)).all()) if ids else {}
        ready = {t.id: sorted(p.path for p in t.release_paths if p.ready)
                 for t in session.query(Track).filter(Track.id.in_(ids)).all()} if ids else {}
    known = {r["id"] for r in storage.tracks()}
    for r in rows:
        rank = ranks.get(r["id"], {})
        r.update(verdict=rank.get("verdict"), rank=rank.get("rank"), effort=rank.get("effort"), release_paths=ready.get(r["id"], []))
        sha = paths.get(r["id"])
        r["url"] = f"/tracks/{sha}" if sha in known else None
    key_of = {"readiness": "rank"}.get(sort, sort if sort in SORTS else "rank")
    present = [r for r in rows if r.get(key_of) is not None]
    missing = [r for r in rows if r.get(key_of) is None]
    present.sort(key=lambda r: (r[key_of].lower() if isinstance(r[key_of], str) else r[key_of]), reverse=descending)
    return present + missing
