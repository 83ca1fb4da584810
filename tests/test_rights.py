"""The rights record: identifiers with known valid and invalid codes, the schema, whole-record
issues, and `rights init|check` as a user runs them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys

import pytest
from conftest import music_like, write_wav

from syncready.errors import UsageError
from syncready.rights.codes import normalise_ipi_base, normalise_ipi_name, normalise_isrc, normalise_iswc
from syncready.rights.record import Record, dumps, issues, load


def syncready(*args, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "syncready", *map(str, args)], capture_output=True, text=True,
                          timeout=300, stdin=stdin or subprocess.DEVNULL)


@pytest.mark.parametrize("code, canonical", [
    ("T-034.524.680-1", "T-034.524.680-1"), ("T0345246801", "T-034.524.680-1"), ("t-070.000.111-2", None),
])
def test_iswc_check_digit(code, canonical):
    if canonical:
        assert normalise_iswc(code) == canonical
    else:  # T-070.000.111: S = 1 + 14 + 63 + 8 + 9 = ..., check it is computed, not guessed
        body = "070000111"
        check = (10 - (1 + sum(i * int(d) for i, d in enumerate(body, 1))) % 10) % 10
        assert normalise_iswc(f"T-070.000.111-{check}").endswith(str(check))
        with pytest.raises(ValueError, match="check digit"):
            normalise_iswc(f"T-070.000.111-{(check + 1) % 10}")


@pytest.mark.parametrize("bad", ["T-034.524.680-2", "T-034.524.68-1", "034.524.680-1", "T-034.524.680-X"])
def test_bad_iswc(bad):
    with pytest.raises(ValueError):
        normalise_iswc(bad)


def test_ipi_name_and_base_numbers():
    assert normalise_ipi_name("00000000199") == "00000000199"
    assert normalise_ipi_name("008 715 260 32") == "00871526032"
    for bad in ("00000000198", "0000000019", "0000000019A"):
        with pytest.raises(ValueError):
            normalise_ipi_name(bad)
    assert normalise_ipi_base("I-001068130-6") == "I-001068130-6"  # a published base number
    assert normalise_ipi_base("i0047917360") == "I-004791736-0"
    for bad in ("I-001068130-5", "T-001068130-6", "I-00106813-6"):
        with pytest.raises(ValueError):
            normalise_ipi_base(bad)


def test_isrc_syntax():
    assert normalise_isrc("GB-XYZ-26-00001") == "GBXYZ2600001"
    assert normalise_isrc("us s1z 99 00001") == "USS1Z9900001"
    for bad in ("GB-XYZ-26-0001", "1B-XYZ-26-00001", "GB-XY!-26-00001", "GB-XYZ-2A-00001"):
        with pytest.raises(ValueError):
            normalise_isrc(bad)


RECORD = """schema_version = 1

[work]
title = "Neon Rain"
iswc = "T-034.524.680-1"

[[work.writers]]
name = "Ada Writer"
role = "lyricist"
ipi = "00000000199"
pro = "PRS"
share = 50

[[work.writers]]
name = "Bo Composer"
role = "composer"
ipi = "00871526032"
pro = "ASCAP"
share = 50

[master]
artist = "Ada"
release_date = 2026-10-01
isrc = { main = "GB-XYZ-26-00001", instrumental = "GBXYZ2600002" }

[[master.owners]]
name = "Ada"
share = 100

[generation]
service = "Suno"
plan = "Pro"
date = 2026-09-01

[[contributions]]
element = "lyrics"
origin = "human"
who = "Ada Writer"
evidence = [{ path = "lyrics.txt", sha256 = "SHA", date = 2026-08-20 }]

[[contributions]]
element = "melody"
origin = "ai"
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "lyrics.txt").write_text("rain on neon\n")
    sha = hashlib.sha256(b"rain on neon\n").hexdigest()
    (tmp_path / "song.rights.toml").write_text(RECORD.replace("SHA", sha))
    return tmp_path


def test_a_good_record_loads_normalised_and_round_trips(folder):
    record = load(folder / "song.rights.toml")
    assert record.master.isrc == {"main": "GBXYZ2600001", "instrumental": "GBXYZ2600002"}
    assert record.disclosure_summary() == "human: lyrics; AI: melody (Suno)"
    assert issues(record, folder, today=dt.date(2026, 11, 21)) == []
    again = Record.model_validate(__import__("tomllib").loads(dumps(record)))
    assert again.model_dump() == record.model_dump()


@pytest.mark.parametrize("change, message", [
    (('title = "Neon Rain"', 'title = "Neon Rain"\ntempo = 120'), "work.tempo: unknown field"),
    (("share = 50\n\n[[work.writers]]", 'share = "50"\n\n[[work.writers]]'), "share: Input should be a valid number"),
    (("T-034.524.680-1", "T-034.524.680-7"), "work.iswc: ISWC 'T-034.524.680-7' has a wrong check digit"),
    (("00871526032", "00871526033"), "ipi: IPI name number '00871526033' has wrong check digits"),
    (('origin = "ai"', 'origin = "robot"'), "contributions.1.origin"),
    (("[master]", "[master"), "(at line 21, column 8)"),
])
def test_bad_records_are_refused_in_one_line(folder, change, message):
    path = folder / "song.rights.toml"
    path.write_text(path.read_text().replace(*change, 1))
    with pytest.raises(UsageError, match="^" + str(path).replace("\\", "\\\\") + ".*" + __import__("re").escape(message)):
        load(path)


def test_whole_record_issues(folder):
    path = folder / "song.rights.toml"
    text = path.read_text().replace("share = 50\n\n[master]", "share = 40\n\n[master]").replace("release_date = 2026-10-01", "release_date = 2026-08-01")
    text = text.replace('name = "Bo Composer"', 'name = "ada  writer"').replace('pro = "PRS"\n', "")
    path.write_text(text)
    (folder / "lyrics.txt").write_text("changed\n")
    found = {(i.severity, i.field, i.message) for i in issues(load(path), folder, today=dt.date(2026, 11, 21))}
    messages = " | ".join(m for _, _, m in found)
    assert ("error", "work.writers", "shares sum to 90%, not 100%") in found
    assert "ada  writer is listed twice" in messages
    assert "released 2026-08-01, before it was generated (2026-09-01)" in messages
    assert "lyrics.txt has changed since it was recorded" in messages
    assert ("warning", "work.writers", "Ada Writer has no PRO (some libraries accept writers without a PRO)") in found
    strict = {i.severity for i in issues(load(path), folder, require_pro=True) if "no PRO" in i.message}
    assert strict == {"error"}


def test_rights_init_and_check_from_the_command_line(tmp_path):
    track = write_wav(tmp_path / "Neon Rain.wav", music_like(2, 44100), 44100)
    run = syncready("rights", "init", track, "--artist", "Ada", "--writer", "Ada Writer=60", "--writer", "Bo=40",
                    "--service", "Suno", "--plan", "Pro", "--generated", "2026-09-01", "--origin", "lyrics=human",
                    "--origin", "melody=ai", "--no-input")
    assert run.returncode == 0, run.stderr
    record_path = tmp_path / "Neon-Rain.rights.toml"
    record = load(record_path)
    assert record.work.title == "Neon Rain" and record.generation.service == "Suno"
    assert record.audio.sha256 == hashlib.sha256(track.read_bytes()).hexdigest()
    assert record.origins() == {"lyrics": "human", "melody": "ai"}
    run = syncready("rights", "check", record_path, "--json", "-")
    assert run.returncode == 0 and json.loads(run.stdout)["valid"] is True
    assert syncready("rights", "init", track, "--no-input").returncode == 2  # the record exists: not replaced
    assert syncready("rights", "init", track, "--writer", "Ada", "--no-input", "-o", tmp_path / "x.toml").returncode == 2
    record_path.write_text(record_path.read_text().replace("share = 40.0", "share = 30.0"))
    run = syncready("rights", "check", record_path)
    assert run.returncode == 1 and "90%" in run.stdout


def test_advise_export_and_tag_from_the_command_line(folder, tmp_path):
    track = write_wav(folder / "neon.wav", music_like(4, 48000), 48000)
    record = folder / "song.rights.toml"
    run = syncready("rights", "advise", record, "--stems", tmp_path / "no-stems", "--json", "-")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["classification"]["label"] == "hybrid" and "not legal advice" in doc["disclaimer"].lower()
    assert list(doc["paths"]) == ["demo", "content", "streaming", "sync"] and doc["paths"]["sync"]["ready"] is False
    assert doc["rules_version"] and doc["registration"]["material_excluded"]
    run = syncready("rights", "export", record, "-o", tmp_path / "docs", "--track", track)
    assert run.returncode == 0, run.stderr
    written = sorted(p.name for p in (tmp_path / "docs").iterdir())
    assert written == ["Neon-Rain.cue-sheet.csv", "Neon-Rain.disclosure.json", "Neon-Rain.ingestion.tsv",
                       "Neon-Rain.split-sheet.csv", "Neon-Rain.split-sheet.html"]  # no lyrics: no lyric sheet
    assert syncready("rights", "export", record, "-o", tmp_path / "docs").returncode == 2  # not overwritten
    run = syncready("tag", track, "--rights", record, "--analysis", "-o", tmp_path / "tagged.wav")
    assert run.returncode == 0, run.stderr
    import wavinfo

    info = wavinfo.WavInfoReader(str(tmp_path / "tagged.wav"))
    assert info.info.title == "Neon Rain" and info.bext.loudness_value is not None
    assert syncready("tag", record, "--rights", record).returncode == 2  # not audio
