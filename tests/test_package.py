"""``syncready package`` and ``verify-package``: the delivery, its manifest, drift, bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from syncready.checks import profile as profiles
from syncready.cli import app
from syncready.deliver import manifest
from syncready.digest import file_sha256
from syncready.deliver.naming import Naming, load, safe_name
from syncready.deliver.package import PAPERWORK, package
from syncready.demo import make_demo_track
from syncready.errors import BadInputError, UsageError

RECORD = """schema_version = 1

[work]
title = "Café Noir"

[[work.writers]]
name = "Ada Writer"
share = 100

[master]
artist = "Ada"
isrc = { main = "GB-XYZ-26-00001" }

[[master.owners]]
name = "Ada"
share = 100

[generation]
service = "Suno"

[[contributions]]
element = "melody"
origin = "ai"
"""


@pytest.fixture
def track(tmp_path):
    return make_demo_track(tmp_path / "raw.wav")


@pytest.fixture
def prof():
    return profiles.load("sync-library")


def test_package_without_rights_builds_audio_report_and_manifest(track, prof, tmp_path):
    out = tmp_path / "delivery"
    result = package(track, out, prof)
    doc = json.loads((out / "manifest.json").read_text())
    kinds = {f["path"]: f["kind"] for f in doc["files"]}
    assert kinds["raw-Main.wav"] == "master"
    assert {"cutdown", "loop", "sting", "report"} <= set(kinds.values())
    assert "raw-Com 60.wav" not in kinds  # the song is shorter than 60 s
    main = next(f for f in doc["files"] if f["kind"] == "master")
    assert {"format", "true_peak", "loudness", "contract"} <= set(main["checks_passed"])
    assert main["format"]["sample_rate"] == 48000 and abs(main["loudness"]["integrated_lufs"] + 14) < 1
    assert doc["source"]["sha256"] == file_sha256(track) and doc["syncready_version"]
    assert {m["document"] for m in doc["missing"]} == set(PAPERWORK)
    assert set(result.stages) >= {"fix", "cutdowns", "loops", "sting", "report"}
    assert manifest.verify(out, prof) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".delivery-")]


def test_rerun_is_idempotent_and_needs_force(track, prof, tmp_path):
    out = tmp_path / "delivery"
    first = package(track, out, prof)
    with pytest.raises(UsageError, match="already exists"):
        package(track, out, prof)
    second = package(track, out, prof, overwrite=True)
    assert first.manifest["files"] == second.manifest["files"]  # the report too: its SVG is deterministic
    assert first.manifest["notes"] == second.manifest["notes"]


def test_verify_reports_drift_and_the_cli_exits_1(track, prof, tmp_path):
    out = tmp_path / "delivery"
    runner = CliRunner()
    made = runner.invoke(app, ["package", str(track), "-o", str(out), "--zip"])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "delivery.zip").stat().st_size > 0
    assert runner.invoke(app, ["verify-package", str(out)]).exit_code == 0
    loop = out / "raw-Loop 4 Bars.wav"
    data = bytearray(loop.read_bytes())
    data[-1000:] = bytes(1000)
    loop.write_bytes(bytes(data))
    (out / "extra.txt").write_text("x")
    problems = {(d.path, d.problem.split(" ")[0]) for d in manifest.verify(out, prof)}
    assert ("raw-Loop 4 Bars.wav", "SHA-256") in problems and ("extra.txt", "not") in problems
    checked = runner.invoke(app, ["verify-package", str(out)])
    assert checked.exit_code == 1 and "drift" in checked.output


def test_rights_record_gives_paperwork_tags_and_safe_names(track, prof, tmp_path):
    (tmp_path / "cafe.rights.toml").write_text(RECORD, encoding="utf-8")
    out = tmp_path / "delivery"
    result = package(track, out, prof, rights=tmp_path / "cafe.rights.toml", naming=load("bpm"))
    paths = [f["path"] for f in result.manifest["files"]]
    assert all(p.isascii() for p in paths)
    assert any(p.startswith("Cafe Noir-Main ") and p.endswith("BPM.wav") for p in paths)
    sheets = [f["path"] for f in result.manifest["files"] if f["kind"] == "sheet"]
    assert "Paperwork/Cafe Noir Ingestion.tsv" in sheets and "Paperwork/Cafe Noir AI Disclosure.json" in sheets
    assert [m["document"] for m in result.manifest["missing"]] == ["lyric-sheet-txt"]
    assert manifest.verify(out, prof) == []


def test_invalid_rights_still_builds_audio_and_lists_paperwork_missing(track, prof, tmp_path):
    (tmp_path / "bad.rights.toml").write_text(RECORD.replace("share = 100\n\n[master]", "share = 40\n\n[master]"))
    result = package(track, tmp_path / "delivery", prof, rights=tmp_path / "bad.rights.toml")
    assert any(f["kind"] == "master" for f in result.manifest["files"])
    reasons = {m["reason"] for m in result.manifest["missing"]}
    assert len(reasons) == 1 and "failed validation" in reasons.pop()
    (tmp_path / "broken.rights.toml").write_text("[work\n")
    again = package(track, tmp_path / "d2", prof, rights=tmp_path / "broken.rights.toml")
    assert "failed validation" in again.manifest["missing"][0]["reason"]


def test_bad_input_and_unwritable_output(track, prof, tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    with pytest.raises(BadInputError):
        package(text, tmp_path / "d", prof)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="cannot write"):
        package(track, blocker / "delivery", prof)
    assert not (tmp_path / "d").exists()


def test_a_crash_leaves_no_half_written_delivery(track, prof, tmp_path, monkeypatch):
    def boom(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(manifest, "write", boom)
    with pytest.raises(RuntimeError):
        package(track, tmp_path / "delivery", prof)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.wav"]


def test_naming_templates(tmp_path):
    assert safe_name('Café: "Noir"/Ré?') == "Cafe- -Noir--Re-"
    assert safe_name("CON") == "_CON" and safe_name("...") == "untitled"
    n = Naming()
    assert n.stem("Song", "instrumental") == "Song-Main Inst"
    assert n.stem("Song", "cut30") == "Song-Com 30" and n.stem("Song", "loop8") == "Song-Loop 8 Bars"
    assert load("bpm").stem("Song", "main", 120.4) == "Song-Main 120BPM"
    template = tmp_path / "lib.toml"
    template.write_text('pattern = "{title}_{version}"\nbpm = false\n[versions]\nmain = "Full"\n')
    assert load(template).stem("Song", "main", 120) == "Song_Full"
    with pytest.raises(UsageError):
        load("nope")
    with pytest.raises(UsageError):
        Naming("{title}-{oops}").stem("Song", "main")
