"""The catalog: schema migrations match the models, add/list/show/search/dupes/rank end to end
on SQLite (and on PostgreSQL when $SYNCREADY_TEST_PG names a server), fingerprint robustness."""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from syncready.catalog import fingerprint
from syncready.catalog.db import open_catalog
from syncready.catalog.store import Query, search
from syncready.cli import app

BENCH = Path(__file__).parents[1] / "bench" / "bench_catalog.py"
PG = os.environ.get("SYNCREADY_TEST_PG")
needs_pg = pytest.mark.skipif(not PG, reason="no PostgreSQL: set SYNCREADY_TEST_PG=postgresql+psycopg://... (.ci/run does)")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_catalog", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _song(seed: int, seconds: float = 20.0, rate: int = 44100) -> np.ndarray:
    """A stereo chord sequence with a beat, different per seed."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    notes = 220 * 2 ** (rng.integers(0, 12, 16) / 12)
    freq = notes[(t // (seconds / 16)).astype(int)]
    tone = np.sin(2 * np.pi * np.cumsum(freq) / rate) + 0.5 * np.sin(2 * np.pi * np.cumsum(1.5 * freq) / rate)
    beat = np.exp(-((t % 0.5) * 30)) * rng.standard_normal(len(t)) * 0.3
    mono = 0.3 * (tone + beat)
    return np.stack([mono, mono * 0.9], axis=1).astype(np.float32)


def _take(prompt: int, take: int, seconds: float = 24.0, rate: int = 44100) -> np.ndarray:
    """One generation of a prompt: the prompt fixes tempo (to +-0.5 %), scale and the instruments'
    sound, the take the chords, notes and accents."""
    p, r = np.random.default_rng(prompt), np.random.default_rng(1000 + take)
    beat = 60 / (p.uniform(84, 140) * (1 + r.uniform(-0.005, 0.005)))
    tonic = 110 * 2 ** (p.integers(0, 12) / 12)
    scale = (0, 2, 3, 5, 7, 8, 10) if p.random() < 0.5 else (0, 2, 4, 5, 7, 9, 11)
    harmonics = p.uniform(0.2, 1.0, 10) / np.arange(1, 11)
    decay, hit_hz = p.uniform(0.2, 0.8), p.uniform(2000, 8000)
    out = np.zeros(int(seconds * rate))
    n = int(beat * rate)
    tt = np.arange(n) / rate
    degrees = [0, *r.choice([3, 4, 5], 3)]
    for b in range(int(seconds / beat) - 1):
        root = scale[degrees[(b // 4) % 4]]
        for k, semis in enumerate((root - 12, root, root + 7, scale[r.integers(0, 7)] + 12)):
            f = tonic * 2 ** (semis / 12)
            tone = sum(a * np.sin(2 * np.pi * f * (h + 1) * tt) for h, a in enumerate(harmonics) if f * (h + 1) < rate / 2)
            out[int(b * beat * rate):][:n] += (0.5 if k == 0 else 0.3) * tone * np.exp(-tt / decay)
        hit = r.standard_normal(n) * np.exp(-tt / 0.03) * (1.0 if b % 4 == 0 else 0.4)
        out[int(b * beat * rate):][:n] += 0.6 * hit * (0.5 + 0.5 * np.sin(2 * np.pi * hit_hz * tt))
    return np.tile(0.5 * out / np.abs(out).max(), (2, 1)).T.astype(np.float32)


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("songs")
    a, b = _song(1), _song(2)
    sf.write(folder / "neon river.wav", a, 44100, subtype="PCM_24")
    sf.write(folder / "neon river quiet.ogg", a[44100:] * 0.5, 44100)  # re-encoded, 6 dB down, first second cut
    sf.write(folder / "glass night.wav", b, 44100, subtype="PCM_16")
    return folder


def run_json(*args) -> object:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_migrations_match_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from syncready.catalog.models import Base

    factory = open_catalog(str(tmp_path / "c.sqlite"))
    with factory.kw["bind"].connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    open_catalog(str(tmp_path / "c.sqlite"))  # a second open finds the schema at head


def test_fingerprint_robust_to_gain_and_encoding(songs):
    kind, a, sound_a = fingerprint.compute(songs / "neon river.wav")
    _, quiet, sound_quiet = fingerprint.compute(songs / "neon river quiet.ogg")
    _, other, _ = fingerprint.compute(songs / "glass night.wav")
    assert len(a) // 4 == pytest.approx(20 * fingerprint.RATE / fingerprint.HOP, abs=5)
    assert fingerprint.similarity(kind, a, quiet) > 0.7
    assert fingerprint.similarity(kind, a, other) < 0.6
    assert fingerprint.envelope_distance(sound_a, sound_quiet) < 0.2  # the sound envelope ignores gain and encoding


def test_cli_end_to_end(songs, tmp_path):
    db = ["--db", str(tmp_path / "catalog.sqlite")]
    added = run_json("catalog", "add", str(songs), "--notes", "from the test", *db)
    assert sorted(t["title"] for t in added) == ["glass night", "neon river", "neon river quiet"]
    assert set(added[0]["readiness"]) >= {"sync-library", "spotify"}
    listed = run_json("catalog", "list", *db)
    assert [t["title"] for t in listed] == ["glass night", "neon river", "neon river quiet"]
    again = run_json("catalog", "add", str(songs / "neon river.wav"), *db)  # refresh in place
    assert again[0]["id"] == listed[1]["id"] and len(run_json("catalog", "list", *db)) == 3
    shown = run_json("catalog", "show", str(listed[1]["id"]), *db)
    assert shown["versions"][0]["files"][0]["path"].endswith("neon river.wav")
    assert shown["duration_s"] == pytest.approx(20.0, abs=0.01)
    assert [t["title"] for t in run_json("catalog", "search", "--text", "RIVER", "--duration", "-19.5", *db)] == ["neon river quiet"]
    assert run_json("catalog", "search", "--text", "the test", *db) == listed
    assert run_json("catalog", "search", "--path", "sync", *db) == []
    pairs = run_json("catalog", "dupes", *db)  # the same audio first; both songs come from one recipe (_song), so takes too
    assert [{p["a"]["title"], p["b"]["title"]} for p in pairs if p["basis"] != "take"] == [{"neon river", "neon river quiet"}]
    assert pairs[0]["basis"] != "take" and {p["basis"] for p in pairs[1:]} <= {"take"}
    ranked = run_json("catalog", "rank", "--profile", "premaster", *db)
    assert [r["rank"] for r in ranked] == [1, 2, 3]
    assert [(r["verdict"], r["effort"]) for r in ranked] == sorted((r["verdict"], r["effort"]) for r in ranked)


def test_dupes_finds_two_takes_of_one_prompt(tmp_path):
    folder = tmp_path / "generations"
    folder.mkdir()
    for name, prompt, take in (("dawn a", 0, 1), ("dawn b", 0, 2), ("harbour", 2, 3), ("late train", 4, 4)):
        sf.write(folder / f"{name}.wav", _take(prompt, take), 44100, subtype="PCM_24")
    db = ["--db", str(tmp_path / "catalog.sqlite")]
    run_json("catalog", "add", str(folder), *db)
    pairs = run_json("catalog", "dupes", *db)
    assert [({p["a"]["title"], p["b"]["title"]}, p["basis"]) for p in pairs] == [({"dawn a", "dawn b"}, "take")]
    assert pairs[0]["similarity"] < 0.65 <= 1.0 and 0 <= pairs[0]["sound_distance"] <= 0.45
    assert run_json("catalog", "dupes", "--no-takes", *db) == []


def test_cli_errors(tmp_path):
    runner = CliRunner()
    db = ["--db", str(tmp_path / "catalog.sqlite")]
    assert runner.invoke(app, ["catalog", "show", "7", *db]).exit_code == 2
    assert runner.invoke(app, ["catalog", "search", "--bpm", "fast", *db]).exit_code == 2
    assert runner.invoke(app, ["catalog", "add", str(tmp_path / "missing.wav"), *db]).exit_code == 2
    assert runner.invoke(app, ["catalog", "list", "--db", "nosuchdriver://x"]).exit_code == 2


def _filters(url: str) -> None:
    """Each search filter against synthetic rows, checked against a plain-Python filter."""
    bench = _bench()
    factory = open_catalog(url)
    with factory() as session:
        bench.populate(session, 400)
        every = {t["id"]: t for t in search(session, Query(limit=1000))}
        assert len(every) == 400
        cases = [
            (Query(bpm_min=100, bpm_max=120, limit=1000), lambda t: 100 <= t["tempo_bpm"] <= 120),
            (Query(key="A minor", meter=3, limit=1000), lambda t: t["key"] == "A minor" and t["meter"] == 3),
            (Query(duration_min=60, limit=1000), lambda t: t["duration_s"] >= 60),
            (Query(vocal=False, sections=("bridge", "intro"), limit=1000), lambda t: t["vocal"] is False and {"bridge", "intro"} <= set(t["sections"])),
            (Query(text="NEON", limit=1000), lambda t: "neon" in t["title"]),
        ]
        for query, keep in cases:
            assert {t["id"] for t in search(session, query)} == {i for i, t in every.items() if keep(t)}
        ready = {t["id"] for t in search(session, Query(ready="sync-library", limit=1000))}
        assert 0 < len(ready) < 400
        assert len(search(session, Query(release_path="sync", limit=7))) == 7


def test_search_filters_sqlite(tmp_path):
    _filters(f"sqlite:///{tmp_path / 'filters.sqlite'}")


@needs_pg
def test_search_filters_postgresql():
    from sqlalchemy import text

    factory = open_catalog(PG)
    with factory.kw["bind"].begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS findings, checks, analyses, release_paths, rights, parties, files, versions, tracks, alembic_version CASCADE"))
    _filters(PG)
