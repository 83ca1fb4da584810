"""`syncready create` end to end on short beds, `--regenerate`, `--variations` and `ideas`.

Rendering needs a General MIDI soundfont: without one these tests skip with the install hint.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
from typer.testing import CliRunner

from syncready import audio
from syncready.cli import app
from syncready.create.render import INSTALL_HINT, soundfont_path
from syncready.stems.stemset import null_test

pytest.importorskip("tinysoundfont")
pytestmark = pytest.mark.skipif(soundfont_path() is None, reason=INSTALL_HINT)
runner = CliRunner()
BRIEF = ["--mood", "uplifting", "--genre", "pop", "--bpm", "120", "--key", "D major", "--length", "24",
         "--sections", "intro,chorus,verse,chorus,outro"]


def make(out: Path, *args: str) -> dict:
    result = runner.invoke(app, ["create", *args, "-o", str(out), "--json", "-"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def bed(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("create") / "bed"
    return out, make(out, *BRIEF, "--seed", "5")


def notes_in(path: Path, start_s: float, end_s: float) -> list[tuple]:
    midi = pretty_midi.PrettyMIDI(str(path))
    return sorted((i.name, round(n.start, 4), round(n.end, 4), n.pitch, n.velocity)
                  for i in midi.instruments for n in i.notes if start_s - 1e-6 <= n.start < end_s - 1e-6)


def test_bed_is_exact_checked_and_confirmed(bed):
    out, doc = bed
    mix = audio.load(out / "mix.wav")
    assert mix.frames == round(24 * 48000) and mix.sample_rate == 48000 and mix.source.bit_depth == 24
    result = runner.invoke(app, ["check", str(out / "mix.wav"), "--profile", "sync-library", "--json", "-", "--no-cache"])
    assert result.exit_code == 0, result.output
    check = json.loads(result.stdout)
    assert check["verdict"] != "fail"
    findings = {f["check"]: f for f in check["findings"]}
    assert findings["music.ending"]["measured"] == "ring_out"
    c = doc["confirmation"]
    assert c["tempo"]["ok"] and abs(c["tempo"]["measured_bpm"] - 120) <= 0.6
    assert c["key"]["ok"]
    assert [s["label"] for s in doc["sections"]] == ["intro", "chorus", "verse", "chorus", "outro"]
    plan = json.loads((out / "plan.json").read_text())
    assert plan["brief"]["bpm"] == 120 and plan["plan"]["ring_s"] >= 2.5


def test_stems_null_against_the_mix(bed):
    out, _ = bed
    mix = audio.load(out / "mix.wav")
    paths = sorted((out / "stems").glob("*.wav"))
    assert {p.stem for p in paths} == {"chords", "pad", "bass", "lead", "drums"}
    stems = [audio.load(p).samples for p in paths]
    assert all(s.shape == mix.samples.shape for s in stems)
    assert null_test(stems, [0] * len(stems), mix).raw_db < -60
    assert null_test(stems[1:], [0] * (len(stems) - 1), mix).raw_db > -30  # a stem left out does not null


def test_outputs_documented(bed):
    out, _ = bed
    record = tomllib.loads(next(out.glob("*.rights.toml")).read_text())
    assert record["generation"]["service"] == "syncready create"
    assert "mood=uplifting; genre=pop; bpm=120; key=D major; length=24s; seed=5" in record["generation"]["prompts"][0]
    assert {c["element"]: c["origin"] for c in record["contributions"]}["melody"] == "ai"
    assert record["audio"]["path"] == "mix.wav"
    song = pretty_midi.PrettyMIDI(str(out / "song.mid"))
    assert {i.name for i in song.instruments} == {"chords", "pad", "bass", "lead", "drums"}
    assert song.get_tempo_changes()[1][0] == pytest.approx(120, abs=1e-3)
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["check"]["verdict"] != "fail" and analysis["confirmation"]["ending"]["measured"] == "ring_out"


def test_same_seed_same_bed_other_seed_other_bed(bed, tmp_path):
    out, _ = bed
    again = tmp_path / "again"
    make(again, *BRIEF, "--seed", "5")
    assert (again / "song.mid").read_bytes() == (out / "song.mid").read_bytes()
    assert np.array_equal(audio.load(again / "mix.wav").samples, audio.load(out / "mix.wav").samples)
    other = tmp_path / "other"
    make(other, *BRIEF, "--seed", "6")
    assert (other / "song.mid").read_bytes() != (out / "song.mid").read_bytes()


def test_regenerate_keeps_the_other_sections(bed, tmp_path):
    out, doc = bed
    new = tmp_path / "regen"
    make(new, "--regenerate", "chorus", "--from", str(out))
    for section in doc["sections"]:
        old_notes = notes_in(out / "song.mid", section["start_s"], section["end_s"])
        new_notes = notes_in(new / "song.mid", section["start_s"], section["end_s"])
        if section["label"] == "chorus":
            assert old_notes != new_notes
        else:
            assert old_notes == new_notes, section
    assert json.loads((new / "plan.json").read_text())["regenerated"] == ["chorus"]
    assert (out / "plan.json").is_file()  # the source is untouched
    result = runner.invoke(app, ["create", "--regenerate", "bridge", "--from", str(out), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "has no 'bridge' section" in result.output


def test_variations_are_different_takes(tmp_path):
    doc = make(tmp_path / "takes", "--mood", "calm", "--genre", "folk", "--length", "12", "--variations", "2")
    assert [Path(d["folder"]).name for d in doc] == ["take-1", "take-2"]
    songs = [(tmp_path / "takes" / f"take-{k}" / "song.mid").read_bytes() for k in (1, 2)]
    assert songs[0] != songs[1]


def test_existing_output_is_kept_without_force(bed):
    out, _ = bed
    before = (out / "mix.wav").read_bytes()
    result = runner.invoke(app, ["create", *BRIEF, "-o", str(out)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert (out / "mix.wav").read_bytes() == before


@pytest.mark.parametrize("kind", ["chords", "melody", "drums", "bass"])
def test_ideas_write_midi_of_the_bars_asked(kind, tmp_path):
    path = tmp_path / f"{kind}.mid"
    result = runner.invoke(app, ["ideas", kind, "--key", "A minor", "--bars", "8", "--bpm", "90", "-o", str(path)])
    assert result.exit_code == 0, result.output
    midi = pretty_midi.PrettyMIDI(str(path))
    assert len(midi.instruments) == 1 and midi.instruments[0].notes
    bar_s = 4 * 60 / 90
    assert max(n.start for n in midi.instruments[0].notes) < 8 * bar_s
    assert max(n.end for n in midi.instruments[0].notes) <= 8 * bar_s + 1e-3
    assert min(n.start for n in midi.instruments[0].notes) < bar_s
    if kind != "drums":
        pcs = {n.pitch % 12 for n in midi.instruments[0].notes}
        assert pcs <= {9, 11, 0, 2, 4, 5, 7, 8}  # A minor (natural, plus the leading tone)


def test_ideas_bad_input(tmp_path):
    result = runner.invoke(app, ["ideas", "solo", "-o", str(tmp_path / "x.mid")])
    assert result.exit_code == 2 and "unknown idea 'solo'" in result.output
    result = runner.invoke(app, ["ideas", "chords", "--bars", "0", "-o", str(tmp_path / "x.mid")])
    assert result.exit_code == 2 and "--bars 0" in result.output
    result = runner.invoke(app, ["ideas", "chords", "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 2 and "*.mid" in result.output
