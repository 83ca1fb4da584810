"""`syncready batch`: a folder checked in worker processes, failures isolated, resumable."""

from __future__ import annotations

import json
import subprocess
import sys

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
    r = run(folder, tmp_path / "results", jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert r.done == 4 and r.not_audio == 1 and seen[-1] == (4, 4)
    assert [f["file"] for f in r.failed] == [str(folder / "broken.wav")]
    assert sum(r.verdicts.values()) == 4 and r.verdicts["error"] == 1
    stored = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*-check-sync-library.json")]
    assert len(stored) == 4 and {d["status"] for d in stored} == {"ok", "error"}
    again = run(folder, tmp_path / "results", jobs=2, resume=True)
    assert again.skipped == 3 and again.done == 1  # only the failed file is tried again
    (folder / "copy.wav").write_bytes((folder / "song0.wav").read_bytes())
    assert run(folder, tmp_path / "results", jobs=1, resume=True).skipped == 4  # same content: not redone


def test_batch_refuses_an_empty_folder_and_a_bad_profile(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError):
        run(tmp_path / "empty", tmp_path / "r")
    with pytest.raises(UsageError):
        run(tmp_path, tmp_path / "r", profile="no-such-profile")


def test_batch_command_line(folder, tmp_path):
    run_ = subprocess.run([sys.executable, "-m", "syncready", "batch", str(folder / "sub"), "-j", "2", "-o",
                           str(tmp_path / "res"), "--json", "-"], capture_output=True, text=True, timeout=300)
    doc = json.loads(run_.stdout)
    assert doc["done"] == 2 and doc["failed"] == [] and run_.returncode in (0, 1)
    assert run_.returncode == (1 if doc["verdicts"].get("fail") else 0)
