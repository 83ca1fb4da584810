"""The brief of `syncready create`: impossible briefs exit 2 with what can be done instead; the plan
lands exactly on the length. No soundfont needed."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from syncready.cli import app
from syncready.create.brief import LEAD_IN_S, RING_MIN_S, make_brief, parse_key
from syncready.create.plan import make_plan

runner = CliRunner()
BRIEF = dict(mood="uplifting", genre="pop", bpm=100, key="D major")


def create(*args: str, tmp_path):
    return runner.invoke(app, ["create", *args, "-o", str(tmp_path / "bed")])


@pytest.mark.parametrize(("args", "says"), [
    (["--length", "6", "--bpm", "100", "--sections", "intro,verse,chorus,bridge,outro"], ["cannot hold 5 sections", "--length 27 or more"]),
    (["--bpm", "400"], ["outside 50-200 BPM", "--bpm 200"]),
    (["--key", "H major"], ["unknown key 'H major'", "\"D major\""]),
    (["--mood", "angry"], ["unknown mood 'angry'", "uplifting"]),
    (["--genre", "polka"], ["unknown genre 'polka'", "cinematic"]),
    (["--sections", "intro,solo"], ["unknown section 'solo'", "chorus"]),
    (["--instruments", "piano,strings,organ"], ["two instruments for the pad part"]),
    (["--length", "700"], ["outside 8-600 s"]),
])
def test_impossible_brief_exits_2_with_what_to_do(args, says, tmp_path):
    result = create(*args, tmp_path=tmp_path)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    for text in says:
        assert text in message, message
    assert "Traceback" not in result.output
    assert not (tmp_path / "bed").exists()


def test_too_short_for_the_sections_suggests_fewer():
    with pytest.raises(Exception) as info:
        make_brief(**BRIEF, length_s=20, sections="intro,verse,build,chorus,outro")
    assert "at most 3 sections (e.g. --sections intro,verse,outro)" in str(info.value)


@pytest.mark.parametrize(("text", "expected"), [("D major", (2, "major")), ("f# minor", (6, "minor")), ("Bbm", (10, "minor")),
                                                ("Eb", (3, "major")), ("A min", (9, "minor"))])
def test_keys(text, expected):
    assert parse_key(text, "major") == expected


@pytest.mark.parametrize("length", [8.0, 12.5, 30.0, 60.0, 95.3, 240.0])
@pytest.mark.parametrize("bpm", [50, 97, 140, 200])
def test_plan_lands_on_the_length(length, bpm):
    try:
        brief = make_brief(mood="calm", genre="cinematic", bpm=bpm, key="C minor", length_s=length, seed=4)
    except Exception as exc:  # too short at this tempo: refused with a reason
        assert "cannot hold" in str(exc)
        return
    plan = make_plan(brief)
    assert sum(s.bars for s in plan.sections) == plan.bars
    assert math.isclose(plan.final_hit_s + plan.ring_s, length, abs_tol=1e-5)
    assert RING_MIN_S <= plan.ring_s < RING_MIN_S + plan.bar_s + 1e-6
    assert plan.sections[0].start_s == LEAD_IN_S and math.isclose(plan.sections[-1].end_s, plan.final_hit_s, abs_tol=1e-5)
    assert all(s.bars >= 2 for s in plan.sections)
    if plan.bars >= 4 * len(plan.sections):  # boundaries on the 4-bar grid, the rest in the last section
        assert all(s.bars % 4 == 0 for s in plan.sections[:-1])
    if len(plan.sections) >= 4:
        assert plan.sections[0].label == "intro" and "build" in [s.label for s in plan.sections]


def test_plan_follows_the_sections_asked():
    brief = make_brief(**BRIEF, length_s=60, sections="intro,verse,chorus,verse,chorus,outro", seed=1)
    plan = make_plan(brief)
    assert [s.label for s in plan.sections] == ["intro", "verse", "chorus", "verse", "chorus", "outro"]
    assert [s.occurrence for s in plan.sections] == [0, 0, 0, 1, 1, 0]
    assert set(plan.material_seeds) == {"intro", "verse", "chorus", "outro"}


def test_no_soundfont_says_how_to_install_one(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNCREADY_SOUNDFONT", str(tmp_path / "missing.sf2"))
    result = create("--length", "30", tmp_path=tmp_path)
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "no General MIDI soundfont" in message and "make install" in message and "$SYNCREADY_SOUNDFONT" in message
    assert not (tmp_path / "bed").exists()


def test_regenerate_needs_a_bed_folder(tmp_path):
    (tmp_path / "notabed").mkdir()
    result = runner.invoke(app, ["create", "--regenerate", "chorus", "--from", str(tmp_path / "notabed"), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "no plan.json" in result.output
    (tmp_path / "notabed" / "plan.json").write_text("{not json")
    result = runner.invoke(app, ["create", "--regenerate", "chorus", "--from", str(tmp_path / "notabed"), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "not a plan written by syncready create" in result.output
    (tmp_path / "notabed" / "plan.json").write_text('{"brief": {"mood": "calm"}, "plan": {"material_seeds": {"chorus": "x"}}}')
    result = runner.invoke(app, ["create", "--regenerate", "chorus", "--from", str(tmp_path / "notabed"), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "not a plan written by syncready create" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["create", "--regenerate", "chorus", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "go together" in result.output
    result = runner.invoke(app, ["create", "--regenerate", "chorus", "--from", str(tmp_path), "--variations", "2"])
    assert result.exit_code == 2 and "does not go with --regenerate" in result.output


def test_drum_patterns_thin_out_at_slow_tempi():
    from syncready.create.drums import thin

    pattern = {"kick": [0, 1.5, 2, 2.5], "snare": [1, 3], "low-tom": [3.5], "hat": [0, 0.5, 1, 1.5]}
    assert thin(pattern) == {"kick": [0, 2], "snare": [1, 3], "low-tom": [], "hat": [0, 0.5, 1, 1.5]}
