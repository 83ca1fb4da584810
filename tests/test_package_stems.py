"""``syncready package`` with stems (versions, one stems folder each, the null, naming) and the
labelled DSP instrumental without stems (``--split-instrumental``).

The song is made here: 16 s at 120 BPM of four parts (kick and noise hats, a bass line, a sung
line with rests, held chords) written as stems, the mix their exact sum.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import write_wav
from syncready import audio
from syncready.checks import profile as profiles
from syncready.cli import app
from syncready.deliver import manifest
from syncready.deliver.naming import load
from syncready.deliver.package import package
from syncready.demo import make_demo_track
from syncready.errors import UsageError
from syncready.stems.stemset import residual_db
from syncready.stems.versions import UNDERSCORE_DRUMS_DB

RATE = 44100
BEAT_S = 0.5
SECONDS = 16.0
PROFILE = profiles.load("sync-library")


def _song_parts() -> dict[str, np.ndarray]:
    """Stem name -> stereo float32 part at ``RATE``."""
    rng = np.random.default_rng(3)
    n = round(SECONDS * RATE)
    t = np.arange(n) / RATE
    beat_phase = t % BEAT_S
    kick = np.sin(2 * np.pi * 55 * beat_phase) * np.exp(-beat_phase / 0.08) * (np.floor(t / BEAT_S) % 2 == 0)
    hats = rng.standard_normal(n) * np.exp(-(t % (BEAT_S / 2)) / 0.01) * 0.3
    roots = np.array([55.0, 43.65, 49.0, 41.2])[(t // 2).astype(int) % 4]
    bass = np.sin(2 * np.pi * np.cumsum(roots) / RATE) * (0.6 + 0.4 * np.exp(-beat_phase / 0.2))
    notes = np.array([440.0, 494.0, 523.3, 587.3, 523.3, 494.0, 440.0, 392.0])[(t // 1).astype(int) % 8]
    sung = np.sin(2 * np.pi * np.cumsum(notes * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))) / RATE) * ((t % 4) < 3.2)
    chords = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    parts = {"drums": (kick + hats, 0.3), "bass": (bass, 0.2), "lead vocal": (sung, 0.12), "keys": (chords, 0.08)}
    return {name: np.stack([x * g, x * g * 0.95]).astype(np.float32) for name, (x, g) in parts.items()}


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    folder = tmp_path_factory.mktemp("song")
    parts = _song_parts()
    (folder / "stems").mkdir()
    for name, x in parts.items():
        write_wav(folder / "stems" / f"{name}.wav", x, RATE)
    return write_wav(folder / "song.wav", sum(parts.values()), RATE), folder / "stems"


@pytest.fixture(scope="module")
def delivered(song, tmp_path_factory):
    """A delivery with stems and a naming template, through the command line."""
    mix, stems = song
    folder = tmp_path_factory.mktemp("delivery")
    template = folder / "library.toml"
    template.write_text('pattern = "{title}_{version}"\n[versions]\ninstrumental = "Instrumental"\nunderscore = "Bed"\n')
    out = folder / "out"
    run = CliRunner().invoke(app, ["package", str(mix), "--stems", str(stems), "--naming", str(template),
                                   "-o", str(out), "--json", "-"])
    assert run.exit_code == 0, run.output
    return out, json.loads(run.stdout)


def test_versions_are_delivered_and_named_by_the_template(delivered):
    out, doc = delivered
    versions = {f["version"]: f for f in doc["files"] if f["kind"] == "version"}
    assert set(versions) == {"Instrumental", "A Cappella", "Bed", "No Drums", "Bass and Drums", "TV Mix"}
    assert versions["Instrumental"]["path"] == "song_Instrumental.wav" and versions["Bed"]["path"] == "song_Bed.wav"
    assert all(v["method"] == "stems" and "contract" in v["checks_passed"] for v in versions.values())
    assert all(v["format"] == {"container": "WAV", "sample_rate": 48000, "bit_depth": 24, "channels": 2}
               for v in versions.values())
    assert {"fix", "versions", "cutdowns"} <= set(doc["stages"])
    assert manifest.verify(out, PROFILE) == []


def _load(out, path) -> np.ndarray:
    return audio.load(out / path).samples.astype(np.float64)


def test_one_stems_folder_per_version_that_nulls_against_it(delivered):
    out, doc = delivered
    stems_by_folder: dict[str, list[str]] = {}
    for f in doc["files"]:
        if f["kind"] == "stem":
            stems_by_folder.setdefault(f["path"].split("/")[0], []).append(f["path"])
    versions = [f for f in doc["files"] if f["kind"] == "version"]
    assert sorted(stems_by_folder) == sorted(f"{v['path'][:-4]} Stems" for v in versions)
    assert sorted(p.split("/")[1] for p in stems_by_folder["song_A Cappella Stems"]) == ["lead vocal.wav"]
    assert "lead vocal.wav" not in {p.split("/")[1] for p in stems_by_folder["song_Instrumental Stems"]}
    gains = []
    for v in versions:
        version = _load(out, v["path"])
        summed = sum(_load(out, p) for p in stems_by_folder[f"{v['path'][:-4]} Stems"])
        assert summed.shape == version.shape  # same length, to the frame
        gain = float(np.vdot(version, summed) / np.vdot(summed, summed))
        gains.append(20 * math.log10(gain))
        # the folder, raised by the shared gain, is the version up to what its limiter took
        assert residual_db(version - gain * summed, version) < -30
    assert max(gains) - min(gains) < 0.05  # one gain structure for every version
    drums = {v: _load(out, f"song_{v} Stems/drums.wav") for v in ("Instrumental", "Bed")}
    level = 10 * math.log10(np.mean(drums["Bed"] ** 2) / np.mean(drums["Instrumental"] ** 2))
    assert level == pytest.approx(UNDERSCORE_DRUMS_DB, abs=0.01)  # the bed's stems are the bed's mix
    stems = [f for f in doc["files"] if f["kind"] == "stem"]
    assert all("null" in f["checks_passed"] for f in stems)


def test_without_the_flag_no_instrumental_is_guessed_and_with_stems_it_is_refused(song, tmp_path):
    mix, stems = song
    plain = package(mix, tmp_path / "plain", PROFILE)
    assert not [f for f in plain.manifest["files"] if f["kind"] in ("version", "stem")]
    with pytest.raises(UsageError, match="split-instrumental"):
        package(mix, tmp_path / "both", PROFILE, stems=stems, split_instrumental=True)
    assert not (tmp_path / "both").exists()


def test_split_instrumental_is_a_labelled_dsp_version(tmp_path):
    track = make_demo_track(tmp_path / "raw.wav")
    result = package(track, tmp_path / "out", PROFILE, split_instrumental=True, naming=load("default"))
    (version,) = [f for f in result.manifest["files"] if f["kind"] == "version"]
    assert version["path"] == "raw-Main Inst (DSP).wav" and version["version"] == "Main Inst (DSP)"
    assert version["method"] == "dsp-separation"
    assert any("dsp" in note and "not made from stems" in note for note in result.manifest["notes"])
    assert not [f for f in result.manifest["files"] if f["kind"] == "stem"]
    inst = audio.load(tmp_path / "out" / version["path"])
    main = audio.load(tmp_path / "out" / "raw-Main.wav")
    assert inst.sample_rate == main.sample_rate == 48000
    peak = version["loudness"]["true_peak_dbtp"]
    assert peak is not None and peak <= PROFILE.loudness.true_peak_max_dbtp
    # the vocals are taken out, so it is quieter than the mix it was separated from, under the same gain
    assert version["loudness"]["integrated_lufs"] < PROFILE.loudness.integrated_lufs
    assert manifest.verify(tmp_path / "out", PROFILE) == []


def test_a_rerun_with_stems_is_identical(song, delivered):
    mix, stems = song
    out, doc = delivered
    again = package(mix, out, PROFILE, stems=stems, naming=load(out.parent / "library.toml"), overwrite=True)
    assert again.manifest["files"] == doc["files"] and again.manifest["notes"] == doc["notes"]
