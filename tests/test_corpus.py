"""The accuracy benchmark's ground-truth corpus (bench/accuracy/corpus.py) and scorer (score.py).

Skipped without the bench extra (pretty_midi, music21, mir_eval; tinysoundfont and the soundfont
for rendering): `make corpus-deps`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pretty_midi")
pytest.importorskip("mir_eval")

ACCURACY = Path(__file__).resolve().parents[1] / "bench" / "accuracy"


def load(name: str):
    """Import a bench/accuracy script as a module."""
    spec = importlib.util.spec_from_file_location(f"accuracy_{name}", ACCURACY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = load("corpus")


@pytest.fixture(scope="module")
def truths() -> list[dict]:
    """Ground truth of the first 12 songs (every ending, both meters) and two chorales."""
    pytest.importorskip("music21")
    return [corpus.song(index, 3)[1] for index in range(12)] + [
        corpus.chorale(path, 3)[1] for path in ("bach/bwv66.6", "bach/bwv11.6")]


def test_generator_is_deterministic():
    midi, truth = corpus.song(5, 11)
    again_midi, again_truth = corpus.song(5, 11)
    assert corpus.midi_bytes(midi) == corpus.midi_bytes(again_midi)
    assert truth == again_truth
    assert corpus.midi_bytes(corpus.song(5, 12)[0]) != corpus.midi_bytes(midi)


def test_truth_is_self_consistent(truths):
    import mir_eval

    for truth in truths:
        name = truth["name"]
        beats, downbeats = np.array(truth["beats"]), np.array(truth["downbeats"])
        assert 30 <= truth["duration_s"] <= 120, name
        assert 70 <= truth["tempo_bpm"] <= 160 or truth["sections"] is None, name
        assert 0 <= beats[0] and beats[-1] < truth["duration_s"], name
        assert np.all(np.diff(beats) > 0), name
        np.testing.assert_allclose(np.diff(beats), 60 / truth["tempo_bpm"], atol=1e-5)
        first = int(np.argmin(np.abs(beats - downbeats[0])))
        assert first < truth["meter"], name
        np.testing.assert_allclose(downbeats, beats[first::truth["meter"]], atol=1e-6)
        mir_eval.key.validate_key(truth["key"])
        if truth["sections"] is None:
            assert truth["ending"] is None and truth["source"].startswith("music21:")
            continue
        sections = truth["sections"]
        assert sections[0]["start"] == 0 and sections[-1]["end"] == truth["duration_s"], name
        assert all(a["end"] == b["start"] for a, b in zip(sections, sections[1:])), name
        assert all(np.min(np.abs(downbeats - s["start"])) < 1e-6 for s in sections[1:]), name
        groups = {(s["label"], s["group"]) for s in sections}
        assert len(groups) == len({s["label"] for s in sections}), name
        ending = truth["ending"]
        assert ending["type"] in corpus.ENDINGS and ending["last_downbeat"] == downbeats[-1], name
        assert ending["start"] <= truth["duration_s"], name
        # A fade starts bars before the last downbeat; the last hit and the cut are at or after it.
        assert (ending["start"] < ending["last_downbeat"]) == (ending["type"] == "fade"), name


def test_humanised_notes_never_overlap_the_next_of_the_same_pitch():
    for index in range(6):
        for instrument in corpus.song(index, 3)[0].instruments:
            by_pitch = {}
            for note in sorted(instrument.notes, key=lambda n: n.start):
                assert note.start >= by_pitch.get(note.pitch, -1.0), (index, instrument.name)
                by_pitch[note.pitch] = note.end


def test_corpus_covers_keys_meters_tempi_and_endings():
    plans = [corpus._song_plan(index, 0) for index in range(40)]
    assert {p["tonic_pc"] for p in plans} == set(range(12))
    assert {p["mode"] for p in plans} == {"major", "minor"}
    assert {p["meter"] for p in plans} == {3, 4}
    assert {p["ending"] for p in plans} == set(corpus.ENDINGS)
    assert all(70 <= p["tempo_bpm"] <= 160 for p in plans)


def test_chorale_key_and_pickup():
    pytest.importorskip("music21")
    midi, truth = corpus.chorale("bach/bwv66.6", 0)
    assert truth["key"] == "F# minor" and truth["meter"] == 4
    beat_s = 60 / truth["tempo_bpm"]
    # One-beat pickup: the first downbeat is the second beat.
    assert truth["downbeats"][0] == pytest.approx(truth["beats"][1])
    assert truth["beats"][1] == pytest.approx(truth["beats"][0] + beat_s)
    first_note_s = min(note.start for instrument in midi.instruments for note in instrument.notes)
    assert abs(first_note_s - truth["beats"][0]) <= 0.011


def need_soundfont() -> Path:
    """The soundfont for rendering; skip the test without it or tinysoundfont."""
    pytest.importorskip("tinysoundfont")
    soundfont = corpus.soundfont_path()
    if soundfont is None:
        pytest.skip("no General MIDI soundfont (make corpus-deps)")
    return soundfont


def test_build_writes_the_same_bytes_twice(tmp_path):
    need_soundfont()
    names = corpus.build(tmp_path / "a", count=1, seed=4, pieces=0)
    assert names == corpus.build(tmp_path / "b", count=1, seed=4, pieces=0) == ["song-000"]
    for suffix in (".mid", ".json", ".wav"):
        first = (tmp_path / "a" / f"song-000{suffix}").read_bytes()
        assert first == (tmp_path / "b" / f"song-000{suffix}").read_bytes(), suffix


def test_endings_sound_like_their_type():
    soundfont = need_soundfont()
    sr = corpus.SAMPLE_RATE
    for index in range(3):  # seed 0: songs 0, 1, 2 end ring_out, fade, abrupt
        midi, truth = corpus.song(index, 0)
        ending = truth["ending"]
        cut_s = ending["start"] if ending["type"] == "abrupt" else None
        audio = corpus.render(midi, truth["duration_s"], soundfont, cut_s)
        assert audio.shape == (2, round(truth["duration_s"] * sr)) and audio.dtype == np.float32
        assert np.max(np.abs(audio)) == pytest.approx(10 ** (corpus.PEAK_DBFS / 20), rel=1e-5)

        def level_db(start_s: float, end_s: float) -> float:
            part = audio[:, round(start_s * sr):round(end_s * sr)]
            return 10 * np.log10(np.mean(part**2) + 1e-20)

        before = level_db(ending["start"] - 2, ending["start"])
        if ending["type"] == "abrupt":
            assert not np.any(audio[:, round(ending["start"] * sr):])
            assert level_db(ending["start"] - 0.3, ending["start"]) > before - 6
        elif ending["type"] == "fade":
            end_s = truth["downbeats"][-1] + truth["meter"] * 60 / truth["tempo_bpm"]
            quarters = np.linspace(ending["start"], end_s, 5)
            levels = [level_db(a, b) for a, b in zip(quarters, quarters[1:])]
            assert np.all(np.diff(levels) < -3) and levels[-1] < before - 25
        else:
            hit = level_db(ending["start"], ending["start"] + 0.5)
            assert hit > before - 6
            assert level_db(ending["start"] + 2.5, ending["start"] + 3) < hit - 6
            assert level_db(truth["duration_s"] - 0.5, truth["duration_s"]) < hit - 40


score = load("score")


def sections(bounds_s: list[float], labels: str, groups: str) -> list[dict]:
    """Sections from boundary times, space-separated labels and group letters."""
    return [dict(start=a, end=b, label=label, group=group)
            for a, b, label, group in zip(bounds_s, bounds_s[1:], labels.split(), groups)]


TRUTH = dict(tempo_bpm=120.0, meter=4, beats=[6.0 + 0.5 * k for k in range(40)],
             downbeats=[6.0 + 2.0 * k for k in range(10)], key="A minor",
             sections=sections([0, 10, 20, 30, 40], "intro verse chorus verse", "ABCB"),
             ending=dict(type="fade", start=36.0, last_downbeat=24.0))


def test_truth_against_itself_scores_one():
    assert score.evaluate(TRUTH, TRUTH) == {metric: 1.0 for metric in score.METRICS}


def test_shifted_and_wrong_estimates_score_exact_fractions():
    beats = np.array(TRUTH["beats"])
    half_off = np.where(np.arange(40) % 2, beats + 0.1, beats)  # every other beat 100 ms late
    estimate = dict(tempo_bpm=121.0, meter=3, beats=list(half_off), downbeats=list(beats + 0.05),
                    key="C major",
                    sections=sections([0, 10.4, 21, 30, 40], "intro verse chorus outro", "ABCD"),
                    ending=dict(type="abrupt", start=40.0, last_downbeat=38.0))
    scores = score.evaluate(estimate, TRUTH)
    assert scores["tempo_0.5%"] == 0.0 and scores["tempo_4%"] == 1.0 and scores["meter"] == 0.0
    assert scores["beat_f"] == 0.5  # 20 of 40 estimates match 20 of 40 beats
    assert scores["downbeat_f"] == pytest.approx(2 * 10 / (40 + 10))  # 10 hits, 40 estimates
    assert scores["key"] == 0.3  # relative major
    assert scores["boundary_f_3s"] == 1.0
    assert scores["boundary_f_0.5s"] == pytest.approx(2 / 3)  # 10.4 and 30 hit, 21 misses
    assert scores["label_accuracy"] == pytest.approx(1 - (4 + 10 + 100) / 400)
    assert scores["group_accuracy"] == pytest.approx((100 + 90 + 100) / 400)  # A-A, C-C, D-B
    assert scores["ending"] == 0.0


def test_missing_fields_are_not_scored_and_none_scores_zero():
    with pytest.warns(UserWarning, match="Estimated beats are empty"):
        scores = score.evaluate(dict(tempo_bpm=None, beats=[]), TRUTH)
    assert scores["tempo_0.5%"] == 0.0 and scores["beat_f"] == 0.0
    unscored = ("meter", "downbeat_f", "key", "ending", "label_accuracy")
    assert all(np.isnan(scores[metric]) for metric in unscored)
    no_sections = dict(TRUTH, sections=None, ending=None)
    assert np.isnan(score.evaluate(TRUTH, no_sections)["boundary_f_3s"])
    assert score.aggregate([score.evaluate(TRUTH, TRUTH), scores])["tempo_0.5%"] == (0.5, 2)


@pytest.mark.parametrize("field, value, message", [
    ("key", "H major", "estimate key"),
    ("beats", [1.0, 0.5], "strictly increasing"),
    ("tempo_bpm", -3.0, "positive"),
    ("sections", [dict(start=2.0, end=1.0, label="verse", group="A")], "estimate sections"),
    ("ending", dict(type="cut"), "ring_out, fade, abrupt"),
])
def test_validate_names_the_bad_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        score.evaluate({field: value}, TRUTH)
