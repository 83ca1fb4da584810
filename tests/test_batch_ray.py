"""`syncready batch --engine ray`: the same work on a real local Ray instance (one per module)."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import music_like, write_wav
from typer.testing import CliRunner

from syncready.batch import Job, run, run_job
from syncready.cli import app
from syncready.engines import RayEngine

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'syncready[ray]'): the Ray engine is not tested")


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray instance with 2 CPUs for the whole module; the engine joins it."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=128 * 2**20)
    yield
    ray.shutdown()


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "in"
    for k in range(3):
        write_wav(root / ("sub" if k else "") / f"song{k}.wav", music_like(3, 48000, seed=10 + k), 48000)
    (root / "notes.txt").write_text("not audio")
    (root / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunk")
    return root


def _outcomes(results) -> dict:
    """file -> (status, verdict, hash, findings) of the stored per-file results."""
    docs = [json.loads(p.read_text()) for p in results.glob("*-check-sync-library.json")]
    return {d["file"]: (d["status"], d["verdict"], d["sha256"],
                        [(f["check"], f["severity"]) for f in d.get("check", {}).get("findings", [])]) for d in docs}


def test_ray_engine_does_what_the_process_engine_does(ray_session, folder, tmp_path, monkeypatch):
    from syncready.catalog.db import open_catalog
    from syncready.catalog.store import list_tracks

    db = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    monkeypatch.setenv("SYNCREADY_CACHE", str(tmp_path / "cache-ray"))  # analysed for real, and the workers get it
    r = run(folder, tmp_path / "ray", engine="ray", jobs=2, catalog=db)
    assert r.engine == "ray" and r.done == 4 and r.not_audio == 1
    assert [f["file"] for f in r.failed] == [str(folder / "broken.wav")]  # the corrupt file fails alone
    assert "not an audio file" in r.failed[0]["error"]
    assert len(list((tmp_path / "cache-ray").glob("analysis-*.json"))) == 3

    monkeypatch.setenv("SYNCREADY_CACHE", str(tmp_path / "cache-process"))
    p = run(folder, tmp_path / "process", engine="process", jobs=2, catalog=False)
    by_ray, by_process = _outcomes(tmp_path / "ray"), _outcomes(tmp_path / "process")
    assert by_ray == by_process and len(by_ray) == 4
    assert r.verdicts == p.verdicts
    assert all(len(h) == 64 for _, _, h, _ in by_ray.values())

    with open_catalog(db)() as session:
        assert sorted(t["title"] for t in list_tracks(session)) == ["song0", "song1", "song2"]
    stored = [json.loads(p.read_text()) for p in (tmp_path / "ray").glob("*-check-*.json")]
    assert all(d["catalog"].startswith("added as track") for d in stored if d["status"] == "ok")

    # resume through the command line: only the failed file is tried again
    cli = CliRunner().invoke(app, ["batch", str(folder), "--engine", "ray", "-j", "2", "--resume",
                                   "-o", str(tmp_path / "ray"), "--no-catalog", "--json", "-"])
    doc = json.loads(cli.stdout)
    assert cli.exit_code == 2 and doc["engine"] == "ray" and doc["skipped"] == 3 and doc["done"] == 1


def test_ray_worker_that_cannot_read_the_input_fails_that_file_clearly(ray_session, tmp_path):
    missing = Job(str(tmp_path / "elsewhere.wav"), "check", "sync-library", str(tmp_path), remote=True)
    [outcome] = list(RayEngine(jobs=1).run(run_job, [missing]))
    assert outcome.error is None and outcome.value["status"] == "error"
    assert "cannot be read on worker" in outcome.value["error"]
    assert "every node mounts at the same path" in outcome.value["error"]


def _one_line_error(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    return lines[0]


def test_missing_ray_is_a_one_line_error(folder, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    result = CliRunner().invoke(app, ["batch", str(folder), "--engine", "ray", "-o", str(tmp_path / "r"), "--no-catalog"])
    assert result.exit_code == 2
    assert "pip install 'syncready[ray]'" in _one_line_error(result)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(("address", "says"), [("127.0.0.1:1", "cannot reach a Ray cluster at 127.0.0.1:1"),
                                                ("no-port-here", "expected HOST:PORT")])
def test_an_address_that_cannot_be_reached_is_a_one_line_error(folder, tmp_path, address, says):
    result = CliRunner().invoke(app, ["batch", str(folder), "--engine", "ray", "--address", address,
                                      "-o", str(tmp_path / "r"), "--no-catalog"])
    assert result.exit_code == 2 and says in _one_line_error(result)


def test_a_port_that_is_not_ray_is_refused_at_once(folder, tmp_path):
    """A web server where the head should be: refused by the probe, not waited on by Ray."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))

    def answer_like_a_web_server():
        connection, _ = server.accept()
        with connection:
            connection.recv(64)
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=answer_like_a_web_server, daemon=True).start()
    address = f"127.0.0.1:{server.getsockname()[1]}"
    with server:
        result = CliRunner().invoke(app, ["batch", str(folder), "--engine", "ray", "--address", address,
                                          "-o", str(tmp_path / "r"), "--no-catalog"])
    assert result.exit_code == 2 and "not as a Ray cluster" in _one_line_error(result)


def test_address_without_the_ray_engine_is_refused(folder, tmp_path):
    result = CliRunner().invoke(app, ["batch", str(folder), "--address", "auto", "-o", str(tmp_path / "r")])
    assert result.exit_code == 2 and "--address is for --engine ray" in _one_line_error(result)


def test_batch_joins_a_cluster_started_by_ray_start(folder, tmp_path):
    """A real head (`ray start --head`, token authentication on by default in recent Ray) and the
    command line joining it by --address, as docs/batch.md tells a user to."""
    import os
    import socket
    import subprocess
    from pathlib import Path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray_cli = Path(sys.executable).with_name("ray")
    env = {k: v for k, v in os.environ.items() if k != "RAY_AUTH_MODE"}  # as a user's shell would be
    head = subprocess.run([str(ray_cli), "start", "--head", "--port", str(port), "--num-cpus", "2", "--include-dashboard",
                           "false", "--disable-usage-stats"], capture_output=True, text=True, timeout=180, env=env)
    try:
        assert head.returncode == 0, head.stderr[-2000:]
        run_ = subprocess.run([sys.executable, "-m", "syncready", "batch", str(folder), "--engine", "ray", "--address",
                               f"127.0.0.1:{port}", "-o", str(tmp_path / "r"), "--no-catalog"],
                              capture_output=True, text=True, timeout=300, env=env)
        assert run_.returncode == 2, run_.stderr[-2000:]  # a file failed (broken.wav): joining the cluster did not
        assert json.loads((tmp_path / "r" / "batch.json").read_text())["engine"] == "ray"
        outcomes = _outcomes(tmp_path / "r")
        assert len(outcomes) == 4 and outcomes[str(folder / "broken.wav")][0] == "error"
        assert all(status == "ok" for file, (status, *_) in outcomes.items() if not file.endswith("broken.wav"))
    finally:
        subprocess.run([str(ray_cli), "stop", "--force"], capture_output=True, timeout=120, env=env)
