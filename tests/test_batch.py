"""`syncready batch`: a folder checked in worker processes, failures isolated, resumable."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import music_like, write_wav

from syncready.batch import find_inputs, run
from syncready.errors import UsageError


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "in"
    for k in range(3):
        write_wav(root / ("sub" if k else "") / f"song{k}.wav", music_like(3, 48000, seed=k), 48000)
    (root / "notes.txt").write_text("not audio")
    (root / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunk")
    return root


def test_batch_checks_every_file_isolates_failures_and_resumes(folder, tmp_path):
    files, others = find_inputs(folder)
    assert len(files) == 4 and others == 1
    seen = []
    db = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    r = run(folder, tmp_path / "results", jobs=2, progress=lambda done, total: seen.append((done, total)), catalog=db)
    assert r.done == 4 and r.not_audio == 1 and seen[-1] == (4, 4)
    assert [f["file"] for f in r.failed] == [str(folder / "broken.wav")]
    assert sum(r.verdicts.values()) == 4 and r.verdicts["error"] == 1
    stored = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*-check-sync-library.json")]
    assert len(stored) == 4 and {d["status"] for d in stored} == {"ok", "error"}
    assert all(d["catalog"].startswith("added as track") for d in stored if d["status"] == "ok")
    from syncready.catalog.db import open_catalog
    from syncready.catalog.store import list_tracks

    with open_catalog(db)() as session:
        assert sorted(t["title"] for t in list_tracks(session)) == ["song0", "song1", "song2"]
    again = run(folder, tmp_path / "results", jobs=2, resume=True, catalog=False)
    assert again.skipped == 3 and again.done == 1  # only the failed file is tried again
    (folder / "copy.wav").write_bytes((folder / "song0.wav").read_bytes())
    assert run(folder, tmp_path / "results", jobs=1, resume=True, catalog=False).skipped == 4  # same content: not redone


def test_files_are_hashed_where_they_are_read_and_resume_follows_changes(folder, tmp_path, monkeypatch):
    import syncready.batch as batch

    hashed = []
    real = batch.file_sha256
    monkeypatch.setattr(batch, "file_sha256", lambda path: hashed.append(str(path)) or real(path))  # the driver's hashing
    first = run(folder / "sub", tmp_path / "results", jobs=2, catalog=False)
    assert first.done == 2 and hashed == []  # the workers' analyses hashed the files, not the driver
    stored = {d["file"]: d for d in map(json.loads, map(Path.read_text, (tmp_path / "results").glob("*-check-*.json")))}
    song = folder / "sub" / "song1.wav"
    assert stored[str(song)]["sha256"] == real(song) and stored[str(song)]["size_bytes"] == song.stat().st_size
    assert run(folder / "sub", tmp_path / "results", jobs=2, resume=True, catalog=False).skipped == 2
    assert hashed == []  # unchanged files: their hashes come from the stored results
    write_wav(song, music_like(3, 48000, seed=7), 48000)  # new content under the same name
    again = run(folder / "sub", tmp_path / "results", jobs=2, resume=True, catalog=False)
    assert (again.skipped, again.done, hashed) == (1, 1, [str(song)])


def test_a_worker_that_dies_fails_its_item_only():
    import os

    from syncready.engines import ProcessEngine

    [outcome] = list(ProcessEngine(jobs=1).run(os._exit, [3]))
    assert outcome.item == 3 and outcome.value is None and "worker process failed" in outcome.error


def test_worker_processes_share_the_cores_between_their_blas_threads(monkeypatch):
    import os

    from syncready.engines import ProcessEngine

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # the user's own setting is kept
    seen = [o.value for o in ProcessEngine(jobs=2).run(os.getenv, ["OMP_NUM_THREADS", "MKL_NUM_THREADS"])]
    assert sorted(seen) == sorted([str(max(1, os.cpu_count() // 2)), "3"])
    assert "OMP_NUM_THREADS" not in os.environ  # the driver's own environment is as it was


def test_batch_refuses_an_empty_folder_and_a_bad_profile(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError):
        run(tmp_path / "empty", tmp_path / "r", catalog=False)
    with pytest.raises(UsageError):
        run(tmp_path, tmp_path / "r", profile="no-such-profile", catalog=False)


def test_batch_packages_each_file_into_the_catalog(tmp_path):
    from syncready.demo import synthesize

    folder = tmp_path / "in"
    write_wav(folder / "groove.wav", 0.5 * synthesize(bars=8, seed=2), 44100)
    db = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    r = run(folder, tmp_path / "results", task="package", jobs=1, catalog=db)
    assert r.done == 1 and r.failed == []
    doc = json.loads(next((tmp_path / "results").glob("*-package-*.json")).read_text())
    assert (Path(doc["delivery"]) / "manifest.json").is_file() and doc["catalog"].startswith("added as track")


def test_batch_command_line(folder, tmp_path):
    run_ = subprocess.run([sys.executable, "-m", "syncready", "batch", str(folder / "sub"), "-j", "2", "-o",
                           str(tmp_path / "res"), "--db", f"sqlite:///{tmp_path / 'c.sqlite'}", "--json", "-"],
                          capture_output=True, text=True, timeout=300)
    doc = json.loads(run_.stdout)
    assert doc["done"] == 2 and doc["failed"] == [] and run_.returncode in (0, 1)
    assert run_.returncode == (1 if doc["verdicts"].get("fail") else 0)


def test_a_profile_file_keys_results_by_its_name_and_content(folder, tmp_path):
    mine = tmp_path / "profiles" / "loud.toml"
    mine.parent.mkdir()
    mine.write_text('extends = "sync-library"\n[loudness]\nintegrated_lufs = -12.0\n')
    results = tmp_path / "results"
    assert run(folder / "sub", results, jobs=1, profile=str(mine), catalog=False).done == 2
    names = sorted(p.name for p in results.iterdir() if p.name != "batch.json")
    assert len(names) == 2 and all(p.is_file() for p in results.iterdir())  # no folders made from the path
    assert all(re.fullmatch(r"[0-9a-f]{32}-check-loud-[0-9a-f]{8}\.json", n) for n in names), names
    assert run(folder / "sub", results, jobs=1, profile=str(mine), resume=True, catalog=False).skipped == 2
    mine.write_text('extends = "sync-library"\n[loudness]\nintegrated_lufs = -10.0\n')  # an edited profile is new work
    assert run(folder / "sub", results, jobs=1, profile=str(mine), resume=True, catalog=False).done == 2
