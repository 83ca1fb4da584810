"""End-to-end: the production commands run as a user would, on the demo's raw AI export."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import soundfile as sf

from syncready.analysis import analyze


def syncready(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "syncready", *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    from syncready.demo import make_demo_track

    return make_demo_track(tmp_path_factory.mktemp("raw") / "raw.wav")


@pytest.fixture(scope="module")
def fixed(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("fixed")
    run = syncready("fix", raw, "-o", out, "--json", "-")
    return run, out


def test_fix_repairs_what_the_check_found(fixed, raw):
    run, out = fixed
    assert run.returncode == 0, run.stderr  # only the cut top end (a warning) is left
    doc = json.loads(run.stdout)
    assert [s["step"] for s in doc["steps"]] == ["end", "trim", "master"]
    assert doc["before"]["verdict"] == "fail" and doc["after"]["verdict"] == "warn"
    after = {f["check"]: f["severity"] for f in doc["after"]["findings"]}
    for check in ("timing.head", "timing.hard_stop", "music.ending", "loudness.integrated", "loudness.true_peak",
                  "format.sample_rate", "format.bit_depth"):
        assert after[check] == "pass", check
    assert [f["check"] for f in doc["not_fixed"]] == ["spectrum.bandwidth"]
    assert after["spectrum.bandwidth"] == "warn"  # resampling to 48 kHz does not hide the 16 kHz cliff
    assert after["loudness.level_jump"] == "pass"  # the new ring-out is a deliberate drop, not a jump
    assert (out / "raw-fixed.wav").is_file() and (out / "raw-fix.html").is_file()
    html = (out / "raw-fix.html").read_text()
    assert "Before" in html and "After" in html and html.count("<svg") >= 8
    info = sf.info(out / "raw-fixed.wav")
    assert info.samplerate == 48000 and info.subtype == "PCM_24"


def test_master_json_and_the_written_file_agree(raw, tmp_path):
    out = tmp_path / "m.wav"
    run = syncready("master", raw, "--profile", "ebu-r128", "-o", out, "--json", "-")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["changed"] is True and doc["output_path"] == str(out)
    a = analyze(out)
    assert a.loudness.integrated_lufs == pytest.approx(-23.0, abs=0.5)
    assert a.loudness.true_peak_dbtp <= -1.0
    assert doc["integrated_lufs"] == pytest.approx(a.loudness.integrated_lufs, abs=0.1)


def test_cut_loop_and_sting_from_the_fixed_track(fixed, tmp_path):
    _, out = fixed
    song = out / "raw-fixed.wav"
    run = syncready("cut", song, "--to", 15, "--to", 6, "-o", tmp_path / "cuts", "--json", "-")
    assert run.returncode == 0, run.stderr
    outputs = json.loads(run.stdout)["outputs"]
    assert [o["target_s"] for o in outputs] == [15.0, 6.0]
    for o in outputs:
        assert {"path", "target_s", "duration_s", "splices"} <= set(o)
        assert abs(sf.info(o["path"]).duration - o["target_s"]) <= 0.01
        assert all(0 < s < o["target_s"] for s in o["splices"])
    run = syncready("loop", song, "--bars", 4, "-o", tmp_path / "loop.wav", "--json", "-")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert {"path", "bars", "duration_s", "start_s"} <= set(doc) and doc["bars"] == 4
    assert abs(sf.info(tmp_path / "loop.wav").duration - 8.0) <= 0.005 + 0.01  # 4 bars at 120 BPM
    run = syncready("sting", song, "-o", tmp_path / "sting.wav", "--length", 4)
    assert run.returncode == 0, run.stderr
    assert abs(sf.info(tmp_path / "sting.wav").duration - 4.0) <= 0.01


def test_production_commands_refuse_bad_requests_in_one_line(raw, tmp_path):
    for args in (("cut", raw, "--to", 600, "-o", tmp_path), ("loop", raw, "--bars", 0, "-o", tmp_path / "l.wav"),
                 ("master", raw, "--profile", "nope", "-o", tmp_path / "m.wav"), ("master", raw, "-o", raw),
                 ("sting", tmp_path / "missing.wav", "-o", tmp_path / "s.wav")):
        run = syncready(*args)
        assert run.returncode == 2, (args, run.stderr)
        assert "Traceback" not in run.stderr and run.stderr.strip().count("\n") == 0, run.stderr
    assert not list(tmp_path.glob("*.wav"))
