"""``syncready package`` and ``verify-package`` from the command line: ``--json``, signing with
``--cert/--key``, and a disk that fills up part-way."""

from __future__ import annotations

import errno
import json
import resource
import signal
import subprocess
import sys
import tempfile

import pytest
import soundfile
from typer.testing import CliRunner

from syncready.cli import app
from syncready.demo import make_demo_track
from syncready.digest import file_sha256
from test_package import RECORD

runner = CliRunner()


@pytest.fixture
def track(tmp_path):
    return make_demo_track(tmp_path / "raw.wav")


def test_json_of_package_and_verify_package(track, tmp_path):
    out = tmp_path / "delivery"
    made = runner.invoke(app, ["package", str(track), "-o", str(out), "--json", "-"])
    assert made.exit_code == 0, made.output
    doc = json.loads(made.stdout)
    assert doc["profile"] == "sync-library" and doc["zip"] is None
    assert {"fix", "cutdowns", "loops", "sting", "report", "manifest"} <= set(doc["stages"])
    assert doc["files"] == json.loads((out / "manifest.json").read_text())["files"]
    checked = runner.invoke(app, ["verify-package", str(out), "--json", "-"])
    assert checked.exit_code == 0 and json.loads(checked.stdout) == {"ok": True, "drift": []}
    (out / "raw-Sting.wav").unlink()
    report = tmp_path / "verify.json"
    checked = runner.invoke(app, ["verify-package", str(out), "--json", str(report)])
    assert checked.exit_code == 1
    assert json.loads(report.read_text()) == {"ok": False, "drift": [{"path": "raw-Sting.wav", "problem": "missing"}]}


def test_signed_delivery_verifies(track, tmp_path, chain):
    pytest.importorskip("c2pa", reason="the c2pa extra (c2pa-python) is not installed")
    cert, key, _ = chain
    (tmp_path / "song.rights.toml").write_text(RECORD, encoding="utf-8")
    out = tmp_path / "delivery"
    made = runner.invoke(app, ["package", str(track), "-o", str(out), "--rights", str(tmp_path / "song.rights.toml"),
                               "--cert", str(cert), "--key", str(key), "--json", "-"])
    assert made.exit_code == 0, made.output
    doc = json.loads(made.stdout)
    assert "audio tagged and signed" in doc["notes"]
    master = next(f["path"] for f in doc["files"] if f["kind"] == "master")
    verified = runner.invoke(app, ["verify", str(out / master), "--json", "-"])
    assert verified.exit_code == 0 and json.loads(verified.stdout)["valid"] is True
    assert runner.invoke(app, ["verify-package", str(out)]).exit_code == 0
    lonely = runner.invoke(app, ["package", str(track), "-o", str(tmp_path / "d2"), "--cert", str(cert)])
    assert lonely.exit_code == 2 and not (tmp_path / "d2").exists()


@pytest.fixture
def chain(tmp_path_factory):
    """A test certificate chain, as tests/test_credentials.py makes it."""
    pytest.importorskip("cryptography.x509")
    import test_credentials

    return test_credentials.chain.__wrapped__(tmp_path_factory)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("budget", [200_000, 40_000_000, 46_000_000])  # full while fixing, cutting, looping (48 MB in all)
def test_a_full_disk_stops_the_package_cleanly(track, tmp_path, monkeypatch, budget):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    written = {"bytes": 0}
    real_write = soundfile.SoundFile.write

    def write(self, data):  # every audio write goes through here; the disk holds `budget` bytes
        written["bytes"] += data.nbytes
        if written["bytes"] > budget:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(soundfile.SoundFile, "write", write)
    before = file_sha256(track)
    run = runner.invoke(app, ["package", str(track), "-o", str(tmp_path / "delivery"), "--zip"])
    assert run.exit_code == 2, run.output
    assert run.output.strip().count("\n") == 0 and "no space left on device" in run.output
    assert "nothing was kept" in run.output and "Traceback" not in run.output
    assert _leftovers(tmp_path) == ["raw.wav", "tmp"]  # no delivery, no half-built folder, no zip
    assert _leftovers(scratch) == []  # and no temporary folder of the steps (fix) either
    assert file_sha256(track) == before


def test_a_file_size_limit_stops_the_package_cleanly(track, tmp_path):
    def limit():  # writes past 1 MB fail in the kernel (EFBIG) instead of killing the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    before = file_sha256(track)
    run = subprocess.run([sys.executable, "-m", "syncready", "package", str(track), "-o", str(tmp_path / "delivery")],
                         capture_output=True, text=True, timeout=600, preexec_fn=limit)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "cannot write the delivery" in run.stderr
    assert _leftovers(tmp_path) == ["raw.wav"]
    assert file_sha256(track) == before
