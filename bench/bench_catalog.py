"""Catalog search over 100,000 synthetic tracks (goal: every query under 100 ms).

Fills a fresh catalog (a temporary SQLite file, or the database URL given as the first argument) with :func:`populate` rows and times each query of :data:`QUERIES` (best of 5, milliseconds).
Usage: ``python bench/bench_catalog.py [URL] [ROWS]``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from syncready.catalog.db import open_catalog
from syncready.catalog.models import Analysis, Check, File, ReleasePath, Track, Version
from syncready.catalog.store import Query, search

KEYS = [f"{n} {m}" for n in ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B") for m in ("major", "minor")]
LABELS = ("intro", "verse", "chorus", "bridge", "outro")
QUERIES = {
    "bpm 118-122": Query(bpm_min=118, bpm_max=122),
    "A minor, 4/4, 60-120 s": Query(key="A minor", meter=4, duration_min=60, duration_max=120),
    "instrumental with bridge": Query(vocal=False, sections=("bridge",)),
    "ready for sync-library": Query(ready="sync-library"),
    "ready for the sync path": Query(release_path="sync"),
    "text 'neon'": Query(text="neon"),
    "everything at once": Query(bpm_min=90, bpm_max=130, vocal=True, sections=("chorus",), ready="sync-library",
                                release_path="streaming", text="a"),
}


def populate(session, rows: int, seed: int = 7) -> None:
    """Insert ``rows`` synthetic tracks, each with one version, file, analysis, a sync-library
    check and two release paths (bulk inserts; ids start at 1 in an empty catalog)."""
    rng = random.Random(seed)
    words = ("neon", "river", "glass", "summer", "drive", "ghost", "gold", "night", "echo", "paper")
    tracks, versions, files, analyses, checks, paths = [], [], [], [], [], []
    for i in range(1, rows + 1):
        title = " ".join(rng.sample(words, 2)) + f" {i}"
        tracks.append({"id": i, "title": title, "notes": rng.choice(("", "upbeat", "dark", "for trailers")),
                       "vocal": rng.choice((True, False, None))})
        versions.append({"id": i, "track_id": i, "name": "Main"})
        files.append({"id": i, "version_id": i, "path": f"/synthetic/{i}.wav", "kind": "master", "sha256": f"{i:064x}"})
        present = [label for label in LABELS if rng.random() < 0.6]
        analyses.append({"file_id": i, "analysis_version": "5", "duration_s": rng.uniform(20, 300), "sample_rate": 48000,
                         "channels": 2, "container": "WAV", "tempo_bpm": rng.uniform(60, 180), "key": rng.choice(KEYS),
                         "meter": rng.choice((3, 4, 4, 4)), "sections": " " + " ".join(present) + " ", "ending": "fade",
                         "integrated_lufs": -14.0, "true_peak_dbtp": -1.0})
        verdict = rng.choice(("pass", "warn", "fail"))
        checks.append({"file_id": i, "profile": "sync-library", "verdict": verdict, "fails": int(verdict == "fail"),
                       "warns": int(verdict == "warn"), "effort": rng.randint(0, 20)})
        paths += [{"track_id": i, "path": p, "ready": rng.random() < 0.5} for p in ("streaming", "sync")]
    for model, values in ((Track, tracks), (Version, versions), (File, files), (Analysis, analyses), (Check, checks), (ReleasePath, paths)):
        session.execute(insert(model), values)
    session.execute(Track.__table__.update().values(main_file_id=Track.id))
    session.commit()


def main() -> None:
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        factory = open_catalog(url)
        with factory() as session:
            start = time.perf_counter()
            populate(session, rows)
            print(f"catalog search, {rows:,} tracks ({factory.kw['bind'].dialect.name}); filled in {time.perf_counter() - start:.1f} s")
            for name, query in QUERIES.items():
                times, found = [], 0
                for _ in range(5):
                    start = time.perf_counter()
                    found = len(search(session, query))
                    times.append(1000 * (time.perf_counter() - start))
                print(f"  {name:28s} {min(times):7.1f} ms  ({found} shown, limit {query.limit})")


if __name__ == "__main__":
    main()
