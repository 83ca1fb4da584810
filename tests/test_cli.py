"""End-to-end: run `syncready` as a user would, on files written to disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from conftest import music_like

SR = 48000


def syncready(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "syncready", *map(str, args)], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def demo_track(tmp_path_factory):
    from syncready.demo import make_demo_track

    return make_demo_track(tmp_path_factory.mktemp("demo") / "raw.wav")


@pytest.fixture(scope="module")
def good_track(tmp_path_factory):
    """48 kHz 24-bit stereo, about -14 LUFS, true peak under -1 dBTP, faded ending."""
    x = music_like(15).T * 1.6
    x[-SR:] *= np.linspace(1, 0, SR)[:, None] ** 3
    path = tmp_path_factory.mktemp("good") / "good.wav"
    sf.write(path, x, SR, subtype="PCM_24")
    return path


def test_demo_track_fails_for_the_planted_reasons(demo_track):
    run = syncready("check", demo_track, "--json", "-")
    assert run.returncode == 1, run.stderr
    doc = json.loads(run.stdout)  # exactly one JSON object and nothing else on stdout
    assert doc["verdict"] == "fail" and doc["profile"] == "sync-library"
    assert doc["format"]["sample_rate"] == 44100 and doc["format"]["bit_depth"] == 16 and doc["format"]["lossy"] is False
    assert set(doc["loudness"]) == {"integrated_lufs", "lra_lu", "true_peak_dbtp", "sample_peak_dbfs", "max_momentary_lufs", "max_short_term_lufs"}
    assert doc["loudness"]["true_peak_dbtp"] > 0.0 > doc["loudness"]["sample_peak_dbfs"]
    by_id = {f["check"]: f for f in doc["findings"]}
    for check in ("loudness.integrated", "loudness.true_peak", "timing.head", "timing.hard_stop", "format.sample_rate", "format.bit_depth"):
        assert by_id[check]["severity"] == "fail", check
        assert by_id[check]["fix"], check
    assert by_id["spectrum.bandwidth"]["severity"] == "warn"
    assert by_id["spectrum.bandwidth"]["measured"] == pytest.approx(16000, abs=400)
    assert by_id["timing.head"]["measured"] == pytest.approx(1.2, abs=0.01)
    assert set(by_id["timing.head"]) == {"check", "severity", "measured", "expected", "message", "start_s", "end_s", "fix"}


def test_good_track_passes_with_exit_0(good_track):
    run = syncready("check", good_track, "--json", "-")
    doc = json.loads(run.stdout)
    assert run.returncode == 0, [f for f in doc["findings"] if f["severity"] == "fail"]
    assert doc["verdict"] in ("pass", "warn")


def test_human_table_and_fix_hints(demo_track):
    run = syncready("check", demo_track)
    assert run.returncode == 1
    assert "loudness.true_peak" in run.stdout and "FAIL" in run.stdout
    assert "syncready trim" in run.stdout


def test_html_report_is_self_contained(demo_track, tmp_path):
    out = tmp_path / "r.html"
    run = syncready("check", demo_track, "--html", out)
    assert run.returncode == 1
    page = out.read_text()
    assert page.count("<svg") == 4 and "loudness.true_peak" in page and "Timeline" in page
    assert "<script" not in page and "<link" not in page and "src=\"http" not in page


def test_outputs_never_replace_an_input(demo_track):
    before = demo_track.read_bytes()
    run = syncready("check", demo_track, "--json", demo_track)
    assert run.returncode == 2
    assert "refusing to overwrite" in run.stderr
    assert demo_track.read_bytes() == before


def test_cache_is_used_and_can_be_bypassed(good_track, tmp_path):
    env = dict(os.environ, SYNCREADY_CACHE=str(tmp_path / "c"))
    assert syncready("check", good_track, env=env).returncode == 0
    cached = list((tmp_path / "c").glob("analysis-*.json"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    assert syncready("check", good_track, env=env).returncode == 0
    assert cached[0].stat().st_mtime_ns == stamp
    assert syncready("check", good_track, "--no-cache", env=env).returncode == 0


def write_bad(kind: str, folder) -> str:
    path = folder / f"{kind} [take 2].wav"  # brackets: the name must print as written, not as Rich markup
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("these are lyrics, not audio\n" * 50)
    elif kind == "truncated":
        sf.write(path, music_like(5).T, SR, subtype="PCM_24")
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif kind == "nan":
        x = music_like(2).T.copy()
        x[SR // 2, 0] = np.nan
        sf.write(path, x, SR, subtype="FLOAT")
    elif kind == "silent":
        sf.write(path, np.zeros((5 * SR, 2)), SR, subtype="PCM_16")
    elif kind == "short":
        sf.write(path, music_like(0.2).T, SR, subtype="PCM_16")
    elif kind == "channels":
        sf.write(path, np.zeros((SR, 18)) + 0.1, SR, subtype="PCM_16")
    elif kind == "missing":
        pass
    elif kind == "folder":
        path.mkdir()
    return path


BAD = ["empty", "text", "truncated", "nan", "silent", "short", "channels", "missing", "folder"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_input_is_one_line_and_exit_2(kind, tmp_path):
    path = write_bad(kind, tmp_path)
    run = syncready("check", path, "--json", "-")
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and path.name in lines[0], run.stderr
    doc = json.loads(run.stdout)
    assert doc["verdict"] in ("error", "fail")


def test_batch_keeps_going_after_a_bad_file(good_track, tmp_path):
    bad = write_bad("text", tmp_path)
    run = syncready("check", bad, good_track, "--json", "-")
    assert run.returncode == 2
    docs = json.loads(run.stdout)
    assert [d["verdict"] for d in docs][0] == "error"
    assert docs[1]["verdict"] in ("pass", "warn")


def test_several_files_write_one_html_each(good_track, demo_track, tmp_path):
    run = syncready("check", good_track, demo_track, "--html", tmp_path / "reports")
    assert run.returncode == 1
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["good.check.html", "raw.check.html"]
    assert "Summary" in run.stdout


def test_usage_errors_exit_2(good_track):
    assert syncready("check", good_track, "--profile", "nope").returncode == 2
    assert syncready("check").returncode == 2
    assert syncready("frobnicate").returncode == 2


def test_profiles_lists_targets():
    run = syncready("profiles", "--json")
    assert run.returncode == 0
    names = {p["name"]: p for p in json.loads(run.stdout)}
    assert names["ebu-r128"]["loudness"]["integrated_lufs"] == -23.0
    assert names["spotify"]["loudness"]["loud_true_peak_max_dbtp"] == -2.0


def test_demo_command_writes_its_folder(tmp_path):
    out = tmp_path / "demo-out"
    run = syncready("demo", "-o", out)
    assert run.returncode == 0, run.stderr
    assert {"raw-ai-export.wav", "check.json", "check.html"} <= {p.name for p in out.iterdir()}
    assert str(out.resolve()) in run.stderr.replace("\n", "")
    assert json.loads((out / "check.json").read_text())["verdict"] == "fail"


def test_lossy_source_is_flagged(tmp_path):
    path = tmp_path / "generated.mp3"
    x = music_like(6, 44100).T
    x[-44100:] *= np.linspace(1, 0, 44100)[:, None] ** 3
    sf.write(path, x, 44100, format="MP3")
    run = syncready("check", path, "--json", "-")
    doc = json.loads(run.stdout)
    assert run.returncode == 1
    assert doc["format"]["lossy"] is True and doc["format"]["bit_depth"] is None
    by_id = {f["check"]: f for f in doc["findings"]}
    assert by_id["format.lossy"]["severity"] == "fail"
    assert by_id["spectrum.bandwidth"]["severity"] in ("warn", "pass")


BAD_PROFILES = {
    "binary": b"RIFF\x00\x00\xff\xfe not text",
    "rate": b'[delivery]\nsample_rate = 0\n',
    "depth": b'[delivery]\nbit_depth = -24\n',
    "nan target": b'[loudness]\nintegrated_lufs = nan\n',
    "infinite ceiling": b'[loudness]\ntrue_peak_max_dbtp = inf\n',
    "negative tolerance": b'[loudness]\nintegrated_tolerance_lu = -2.0\n',
    "severity": b'[music]\nabrupt_ending = "maybe"\n',
    "fractional count": b'[signal]\nclip_events_max = 1.5\n',
}


@pytest.mark.parametrize("kind", BAD_PROFILES)
def test_an_unusable_profile_is_one_line_and_exit_2(kind, good_track, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_bytes(BAD_PROFILES[kind])
    for command in (["check", good_track], ["master", good_track, "-o", tmp_path / "m.wav"], ["catalog", "rank", "--db", tmp_path / "c.db"]):
        run = syncready(*command, "-p", path)
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert run.returncode == 2 and len(lines) == 1 and "mine.toml" in lines[0], (command, run.stderr)
    assert not (tmp_path / "m.wav").exists()


@pytest.mark.parametrize("args", [
    ["master", "{track}", "-o", "{out}/m.wav", "--tilt", "nan"],
    ["master", "{track}", "-o", "{out}/m.wav", "--tilt", "1e9"],
    ["master", "{track}", "-o", "{out}/m.wav", "--max-limiting", "-5"],
    ["master", "{track}", "-o", "{out}/m.wav", "--max-limiting", "inf"],
    ["master", "{track}", "-o", "{out}/m.wav", "--json", "{out}"],
    ["trim", "{track}", "-o", "{out}/m.wav", "--json", "{out}"],
    ["catalog", "search", "--limit", "0", "--db", "{out}/c.db"],
    ["catalog", "dupes", "--threshold", "nan", "--db", "{out}/c.db"],
    ["catalog", "rank", "-p", "no-such-profile", "--db", "{out}/c.db"],
    ["stems", "check", "{track}", "{out}/missing.wav"],
    ["create", "--mood", "", "-o", "{out}/bed"],
])
def test_bad_arguments_are_one_line_exit_2_and_write_nothing(args, good_track, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    run = syncready(*[a.format(track=good_track, out=out) for a in args])
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 2 and len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert [p.name for p in out.iterdir()] == [], "nothing is written before the arguments are refused"


def test_text_named_mp3_is_one_line_without_decoder_notes(tmp_path):
    path = tmp_path / "lyrics.mp3"
    path.write_text("these are lyrics, not audio\n" * 12)
    run = syncready("check", path)
    assert run.returncode == 2 and run.stderr.strip().count("\n") == 0, run.stderr  # no MPEG decoder chatter
    assert "not an audio file" in run.stderr


@pytest.mark.parametrize("kind", ["silent", "short"])
def test_analyze_and_catalog_refuse_what_cannot_be_measured(kind, tmp_path):
    path = write_bad(kind, tmp_path)
    for command in (["analyze", path, "--json", "-"], ["catalog", "add", path, "--db", tmp_path / "c.db"]):
        run = syncready(*command)
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert run.returncode == 2 and len(lines) == 1 and path.name in lines[0], (command, run.stderr)
    assert syncready("catalog", "list", "--json", "--db", tmp_path / "c.db").stdout.strip() == "[]"
