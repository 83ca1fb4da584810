"""Stem sets against their mix: roles, offsets, the null test, `stems check|fix` and `check --stems`."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import write_wav

from syncready.checks.profile import load as load_profile
from syncready.errors import UsageError
from syncready.stems.check import check_set
from syncready.stems.fix import fix_set
from syncready.stems.roles import assign, from_name
from syncready.stems.stemset import load_set, stem_files

SR = 44100
SECONDS = 12
PROFILE = load_profile("sync-library")


def syncready(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "syncready", *map(str, args)], capture_output=True, text=True, timeout=300)


def parts(seed: int = 0) -> dict[str, np.ndarray]:
    """Four stereo parts of a 120 BPM song: drums, a walking bass line, a vibrato 'voice', chords."""
    rng = np.random.default_rng(seed)
    n = SR * SECONDS
    t = np.arange(n) / SR
    beat = t % 0.5
    drums = np.clip(rng.standard_normal((2, n)), -3, 3) * np.exp(-beat / 0.04) * 0.1
    notes = 55.0 * 2 ** (rng.integers(0, 12, size=SECONDS * 2) / 12)
    f_bass = np.repeat(notes, SR // 2)[:n]
    bass = np.tile(0.25 * np.sin(2 * np.pi * np.cumsum(f_bass) / SR), (2, 1))
    f_voice = 330 * 2 ** (rng.integers(0, 8, size=SECONDS) / 12)
    f = np.repeat(f_voice, SR)[:n] * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
    voice = 0.12 * np.sin(2 * np.pi * np.cumsum(f) / SR) * (t % 3 < 2.4)
    vocals = np.stack([voice, voice * 0.9])
    chords = np.tile(0.05 * sum(np.sin(2 * np.pi * fr * t) for fr in (261.6, 329.6, 392.0)), (2, 1))
    return {"drums": drums, "bass": bass, "lead vocal": vocals, "keys": chords}


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    """A mix and its exact stems in stems/."""
    folder = tmp_path_factory.mktemp("song")
    p = parts()
    write_wav(folder / "mix.wav", sum(p.values()), SR)
    for name, x in p.items():
        write_wav(folder / "stems" / f"{name}.wav", x, SR)
    return folder


def findings(report) -> dict[str, str]:
    return {f.check: f.severity for f in report.report.findings}


def test_roles_from_names_and_a_mapping():
    assert [from_name(n) for n in ("Lead Vox.wav", "BGV 2.wav", "Bass Drum.wav", "808.wav", "Piano L.wav", "residual.wav")] == [
        "vocals", "backing_vocals", "drums", "bass", "harmony", "residual"]
    with pytest.raises(UsageError, match="Track 07.wav"):
        assign(["Track 07.wav", "bass.wav"])
    assert assign(["Track 07.wav"], {"Track 07.wav": "fx"}) == {__import__("pathlib").Path("Track 07.wav"): "fx"}


def test_a_good_set_nulls_and_passes(song):
    r = check_set(load_set(song / "mix.wav", stem_files(song / "stems", song / "mix.wav")), PROFILE)
    assert r.report.verdict == "pass", r.report.findings
    assert r.null.raw_db < -80
    assert all(abs(s.offset_ms) == 0 for s in r.stems)
    assert {s.role for s in r.stems} == {"drums", "bass", "vocals", "harmony"}


def test_bad_sets_are_named_and_fixed(song, tmp_path):
    p = parts()
    bad = tmp_path / "bad"
    late = np.concatenate([np.zeros((2, 441)), p["lead vocal"][:, :-441]], axis=1)  # 10 ms late
    write_wav(bad / "lead vocal.wav", late, SR)
    write_wav(bad / "bass.wav", p["bass"][:1, : -SR // 2], SR)  # mono and half a second short
    write_wav(bad / "drums.wav", p["drums"], 48000)  # another rate (and so the wrong length)
    write_wav(bad / "keys.wav", p["keys"], SR)
    write_wav(bad / "pad.wav", np.zeros((2, SR * SECONDS)), SR)  # silent
    r = check_set(load_set(song / "mix.wav", stem_files(bad, song / "mix.wav")), PROFILE)
    found = findings(r)
    assert found["stems.offset"] == "fail" and found["stems.rate"] == "fail" and found["stems.null"] == "fail"
    assert found["stems.channels"] == "warn" and found["stems.length"] == "warn" and found["stems.silent"] == "warn"
    vocal = next(s for s in r.stems if s.role == "vocals")
    assert vocal.offset_ms == pytest.approx(10.0, abs=0.05)
    assert next(s for s in r.stems if s.role == "bass").offset_ms == 0.0  # a short stem is not a late one
    assert all(f.fix for f in r.report.findings if f.severity in ("fail", "warn"))

    fixed = fix_set(load_set(song / "mix.wav", stem_files(bad, song / "mix.wav")), tmp_path / "fixed", PROFILE, residual=True)
    assert fixed.null_after_db < -60 and fixed.sample_rate == 48000 and fixed.bit_depth == 24
    assert any("moved 10.00 ms earlier" in c for s in fixed.stems for c in s.changes)
    assert (tmp_path / "fixed" / "residual.wav").is_file()


def test_fix_without_residual_aligns_and_nulls_an_exact_set(song, tmp_path):
    p = parts()
    bad = tmp_path / "late"
    for name, x in p.items():
        shift = 882 if name == "drums" else 0
        write_wav(bad / f"{name}.wav", np.concatenate([np.zeros((2, shift)), x[:, : x.shape[1] - shift]], axis=1), SR)
    fixed = fix_set(load_set(song / "mix.wav", stem_files(bad, song / "mix.wav")), tmp_path / "out", PROFILE)
    assert fixed.null_before_db > -30 and fixed.null_after_db < -60


def test_the_mix_as_a_stem_and_a_stem_of_another_song(song, tmp_path):
    other = parts(seed=9)
    folder = tmp_path / "odd"
    write_wav(folder / "vocals.wav", sum(parts().values()), SR)  # the mix, renamed
    write_wav(folder / "drums.wav", other["drums"], SR)  # another song's drums
    r = check_set(load_set(song / "mix.wav", stem_files(folder, song / "mix.wav")), PROFILE)
    found = findings(r)
    assert found["stems.is_mix"] == "fail" and found["stems.unrelated"] == "fail" and found["stems.null"] == "fail"
    with pytest.raises(UsageError, match="mix file itself"):
        load_set(song / "mix.wav", [song / "mix.wav"])


def test_stems_check_cli_json_and_exit_codes(song, tmp_path):
    run = syncready("stems", "check", song / "mix.wav", "--dir", song / "stems", "--json", "-")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["verdict"] == "pass" and len(doc["stems"]) == 4 and doc["null"]["raw_db"] < -80
    odd = tmp_path / "unknown"
    write_wav(odd / "Track 07.wav", parts()["keys"], SR)
    run = syncready("stems", "check", song / "mix.wav", "--dir", odd)
    assert run.returncode == 2 and "Track 07.wav" in run.stderr and "Traceback" not in run.stderr
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles]\n"Track 07.wav" = "harmony"\n')
    run = syncready("stems", "check", song / "mix.wav", "--dir", odd, "--roles", roles, "--json", "-")
    assert run.returncode == 1 and json.loads(run.stdout)["stems"][0]["role"] == "harmony"  # keys alone do not null


def test_check_with_stems_adds_the_stem_findings(song, tmp_path):
    run = syncready("check", song / "mix.wav", "--stems", song / "stems", "--json", "-")
    doc = json.loads(run.stdout)
    by_id = {f["check"]: f["severity"] for f in doc["findings"]}
    assert by_id["stems.null"] == "pass"
    assert by_id["stems.instrumental"] == "fail"  # a vocal stem and no instrumental version
    run = syncready("check", song / "mix.wav", "--stems", tmp_path / "nothing-here", "--json", "-")
    assert {f["check"]: f["severity"] for f in json.loads(run.stdout)["findings"]}["stems.missing"] == "fail"
