"""``catalog dupes`` on a large catalog (goal: thousands of tracks in seconds, not hours).

Fills a fresh SQLite catalog with :func:`bench_catalog.populate` rows, then gives every main
file a fingerprint of its length (random words, about 10.8 a second: unrelated songs share
none) and a sound envelope, and plants copies (1 % of the tracks: another track's words shifted,
trimmed and damaged in bursts like a lossy re-encode) and takes (0.5 %: another track's tempo
and, within 0.2, its sound). Prints the time of ``dupes``, how many planted pairs it found, and
what comparing every pair would cost at the measured time of one fingerprint comparison.
Usage: ``python bench/bench_dupes.py [TRACKS ...]`` (default 2,000 and 10,000).
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select, update

from syncready.catalog import fingerprint
from syncready.catalog.db import open_catalog
from syncready.catalog.models import Analysis, File
from syncready.catalog.store import dupes

FRAMES_PER_S = fingerprint.FRAMES_PER_S["syncready"]


def _populate():
    spec = importlib.util.spec_from_file_location("bench_catalog", Path(__file__).with_name("bench_catalog.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.populate


def damaged(words: np.ndarray, rng: np.random.Generator, *, shift: int, keep: float) -> np.ndarray:
    """A re-encoded copy of a fingerprint: ``shift`` frames later, only the first ``keep`` of it,
    errors in bursts (a third of the frames lose 30 % of their bits: a codec damages some
    passages, not all)."""
    out = words.copy()
    burst = rng.random(len(out)) < 1 / 3
    flips = (rng.random((burst.sum(), 32)) < 0.3).astype(np.uint64) << np.arange(32, dtype=np.uint64)
    out[burst] ^= flips.sum(axis=1).astype(np.uint32)
    out = np.r_[rng.integers(0, 2**32, shift, dtype=np.uint64).astype(np.uint32), out]
    return out[: int(len(out) * keep)]


def fill(session, tracks: int, seed: int = 11) -> tuple[set, set]:
    """Fingerprints, envelopes and planted copies and takes; returns the planted pairs (ids)."""
    rng = np.random.default_rng(seed)
    rows = session.execute(select(Analysis.id, Analysis.file_id, Analysis.duration_s, Analysis.tempo_bpm).order_by(Analysis.file_id)).all()
    words = {r.file_id: rng.integers(0, 2**32, int(r.duration_s * FRAMES_PER_S), dtype=np.uint64).astype(np.uint32) for r in rows}
    sounds = {r.file_id: rng.normal(0, 1, 24) for r in rows}
    analysis_id = {r.file_id: r.id for r in rows}
    tempo = {r.file_id: r.tempo_bpm for r in rows}
    duration = {r.file_id: r.duration_s for r in rows}
    ids = rng.permutation([r.file_id for r in rows])
    copies, takes = set(), set()
    n_copies, n_takes = tracks // 100, tracks // 200
    for k in range(n_copies):
        source, copy = int(ids[2 * k]), int(ids[2 * k + 1])
        words[copy] = damaged(words[source], rng, shift=int(rng.integers(0, 3 * FRAMES_PER_S)), keep=float(rng.uniform(0.8, 1.0)))
        sounds[copy] = sounds[source] + rng.normal(0, 0.05, 24)
        copies.add((min(source, copy), max(source, copy)))
    for k in range(n_takes):
        source, take = int(ids[2 * n_copies + 2 * k]), int(ids[2 * n_copies + 2 * k + 1])
        sounds[take] = sounds[source] + rng.normal(0, 0.2, 24)
        tempo[take], duration[take] = tempo[source] * rng.uniform(0.99, 1.01), duration[source] * rng.uniform(0.9, 1.1)
        takes.add((min(source, take), max(source, take)))
    session.execute(update(File), [{"id": i, "fingerprint_kind": "syncready", "fingerprint": words[i].astype("<u4").tobytes(),
                                    "sound": sounds[i].astype("<f4").tobytes()} for i in words])
    session.execute(update(Analysis), [{"id": analysis_id[i], "tempo_bpm": tempo[i], "duration_s": duration[i]} for i in words])
    session.commit()
    return copies, takes


def _pairwise_estimate(session, tracks: int) -> float:
    """Seconds to compare every pair's fingerprints, from 100 comparisons."""
    prints = session.execute(select(File.fingerprint).limit(101)).scalars().all()
    start = time.perf_counter()
    for a, b in zip(prints[:-1], prints[1:]):
        fingerprint.similarity("syncready", a, b)
    return (time.perf_counter() - start) / (len(prints) - 1) * tracks * (tracks - 1) / 2


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2_000, 10_000]
    populate = _populate()
    for tracks in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            factory = open_catalog(f"sqlite:///{Path(tmp) / 'dupes.sqlite'}")
            with factory() as session:
                populate(session, tracks)
                copies, takes = fill(session, tracks)
                start = time.perf_counter()
                found = dupes(session)
                seconds = time.perf_counter() - start
                pairs = {(min(p["a"]["id"], p["b"]["id"]), max(p["a"]["id"], p["b"]["id"])): p["basis"] for p in found}
                got_copies = sum(pairs.get(p) == "syncready" for p in copies)
                got_takes = sum(pairs.get(p) == "take" for p in takes)
                others = sum(1 for p, basis in pairs.items() if p not in copies and p not in takes)
                print(f"catalog dupes, {tracks:,} tracks: {seconds:.1f} s; planted copies found {got_copies}/{len(copies)}, "
                      f"takes {got_takes}/{len(takes)}, other pairs {others}; "
                      f"comparing every pair would take about {_pairwise_estimate(session, tracks) / 3600:.1f} h")


if __name__ == "__main__":
    main()
