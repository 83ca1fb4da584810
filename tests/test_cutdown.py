"""Cut-downs (syncready.produce.cutdown): exact lengths, starts on music, real or repaired endings,
clean joins at bars, the energy-minima path for songs without a beat, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from conftest import music_like, write_wav as write
from syncready.analysis import analyze
from syncready.analysis.levels import SOUND_DBFS
from syncready.audio import load
from syncready.demo import CHORDS, SAMPLE_RATE, _hz, synthesize
from syncready.errors import BadInputError, UsageError
from syncready.produce.bars import open_source
from syncready.produce.cutdown import (
    CLICK_EXCESS_MAX_DB,
    cut_name,
    cutdowns,
    join_step_db,
    natural_step_db,
    plan_cut,
    render,
    splice_click_db,
)
from syncready.produce.edit import splice


def ringing(bars: int = 16, seed: int = 3, decay_s: float = 4.0) -> np.ndarray:
    """The demo song followed by a last chord with a kick on the downbeat, left to ring out."""
    x = synthesize(bars=bars, seed=seed)
    t = np.arange(round(decay_s * SAMPLE_RATE)) / SAMPLE_RATE
    chord = sum(np.sin(2 * np.pi * _hz(n) * k * t) / k for n in CHORDS[0] for k in range(1, 5))
    end = 0.12 * chord * np.exp(-t * 5.0 / decay_s)
    hit = t[: round(0.3 * SAMPLE_RATE)]
    end[: len(hit)] += 0.6 * np.sin(2 * np.pi * (50 * hit + 2 * (1 - np.exp(-hit * 30)))) * np.exp(-hit * 12)
    x = np.concatenate([x, np.tile(end, (2, 1))], axis=1)
    return (0.8 * x / np.abs(x).max()).astype(np.float32)


@pytest.fixture(scope="module")
def demo_mix() -> np.ndarray:
    """48 s of the demo song (24 bars at 120 BPM), ending abruptly at level."""
    x = synthesize(bars=24, seed=3)
    return 0.8 * x / np.abs(x).max()


@pytest.fixture
def demo(tmp_path, demo_mix):
    return write(tmp_path / "demo.wav", demo_mix)


def assert_contract(cut, source_tempo: float | None):
    """The promises of a cut-down, checked on the file as written."""
    x, rate = sf.read(cut.path, dtype="float32", always_2d=True)
    x = x.T
    assert abs(x.shape[1] / rate - cut.target_s) <= 0.01
    loud = np.flatnonzero((np.abs(x) > 10 ** (SOUND_DBFS / 20)).any(axis=0))
    assert loud[0] / rate < 0.01  # starts on music
    end = np.sqrt(np.mean(x[:, -round(0.05 * rate) :] ** 2))
    assert 20 * np.log10(end / np.sqrt(np.mean(x**2))) <= -20  # no hard stop
    if cut.method == "bars":
        assert 0 < cut.measured.last_downbeat_gap_s <= 1.5
    assert all(e <= CLICK_EXCESS_MAX_DB for e in cut.measured.click_excess_db)
    assert len(cut.splices) == len(cut.measured.splice_click_db)
    if source_tempo is not None and cut.target_s >= 15:
        tempo = analyze(cut.path).music.tempo_bpm
        assert tempo == pytest.approx(source_tempo, rel=0.02)


def test_cutdowns_of_an_abrupt_song_meet_the_contract(demo, tmp_path):
    source = analyze(demo)
    cuts = cutdowns(demo, [30, 15, 6], tmp_path / "cuts")
    assert [c.path for c in cuts] == [str(tmp_path / "cuts" / cut_name(demo, t)) for t in (30, 15, 6)]
    assert (tmp_path / "cuts" / "demo-cut30.wav").exists()
    for cut in cuts:
        assert cut.method == "bars"
        assert_contract(cut, source.music.tempo_bpm)
        assert any("ring-out of the chord" in n for n in cut.notes)  # the abrupt end is repaired
        # every piece starts and ends on a downbeat of the song (the lead-in aside)
        downbeats = np.array(source.music.downbeats)
        for start, end in cut.segments[1:-1]:
            assert np.min(np.abs(downbeats - start)) < 0.01 and np.min(np.abs(downbeats - end)) < 0.01


def test_a_ring_out_song_ends_on_its_own_ring_out(tmp_path):
    path = write(tmp_path / "ring.wav", ringing())
    analysis = analyze(path)
    assert analysis.music.ending.type == "ring_out"
    last = analysis.music.ending.last_downbeat
    cuts = cutdowns(path, [20, 7], tmp_path, analysis=analysis)
    for cut in cuts:
        assert_contract(cut, analysis.music.tempo_bpm)
        assert any("own ring-out" in n for n in cut.notes)
        assert cut.segments[-1][0] - 0.01 <= last < cut.segments[-1][1]  # the final downbeat is the song's
        assert cut.measured.last_downbeat_gap_s == pytest.approx(cut.segments[-1][1] - last, abs=0.01)


def test_render_matches_the_plan_and_the_joins_are_reported(demo):
    source = open_source(demo)
    plan = plan_cut(source, 15)
    out = render(source, plan)
    assert out.shape == (2, round(15 * SAMPLE_RATE))
    pieces = [(a, b) for a, b in plan.pieces]
    _, joins = splice(source.sound.samples, pieces, plan.overlap)
    assert plan.joins[: len(joins)] == joins


def test_the_click_measures_flag_a_butt_splice_but_not_a_crossfaded_one(demo):
    x = load(demo).samples
    rate = SAMPLE_RATE
    # mid-bar, different chords, the waveform near opposite peaks: a butt splice steps hard
    a = round(10.7 * rate) + int(np.argmax(x[0, round(10.7 * rate) : round(10.71 * rate)]))
    b = round(21.3 * rate) + int(np.argmin(x[0, round(21.3 * rate) : round(21.31 * rate)]))
    butt = np.concatenate([x[:, a - rate : a], x[:, b : b + rate]], axis=1)
    faded, joins = splice(x, [(a - rate, a), (b, b + rate)], round(0.02 * rate))
    natural = natural_step_db(x, rate, [(a, b)])[0]
    assert join_step_db(butt, rate, [rate])[0] - natural > CLICK_EXCESS_MAX_DB + 6
    assert join_step_db(faded, rate, joins)[0] - natural < CLICK_EXCESS_MAX_DB
    assert splice_click_db(butt, rate, [rate])[0] > splice_click_db(faded, rate, joins)[0] + 10


def test_a_song_without_a_beat_is_cut_at_energy_minima(tmp_path):
    x = music_like(30, SAMPLE_RATE, seed=1)
    swell = 1 + 0.8 * np.sin(2 * np.pi * np.arange(x.shape[1]) / SAMPLE_RATE / 7.0)
    path = write(tmp_path / "free.wav", x * swell)
    (cut,) = cutdowns(path, [12], tmp_path / "out")
    assert cut.method == "energy-minima"
    assert "energy minima" in cut.notes[0] and "no steady beat" in cut.notes[0]
    assert len(cut.splices) == 1
    assert_contract(cut, None)


def test_lengths_out_of_range_are_refused_with_the_song_length(demo, tmp_path):
    with pytest.raises(UsageError, match=r"no 47 s cut-down: the song has only 48\.0 s of music"):
        cutdowns(demo, [30, 47], tmp_path)
    assert not list(tmp_path.glob("*-cut*.wav"))  # nothing written when one target is impossible
    with pytest.raises(UsageError, match="shortest edit"):
        cutdowns(demo, [1], tmp_path)


def test_short_and_silent_files_are_refused(tmp_path):
    short = write(tmp_path / "short.wav", synthesize(bars=2)[:, : 3 * SAMPLE_RATE] * 0.5)
    with pytest.raises(BadInputError, match="short.wav: only 3.0 s of music; too short to cut"):
        cutdowns(short, [6], tmp_path)
    silent = write(tmp_path / "silent.wav", np.zeros((2, 20 * SAMPLE_RATE)))
    with pytest.raises(BadInputError, match="silent"):
        cutdowns(silent, [6], tmp_path)


def test_existing_outputs_and_the_input_are_protected(demo, tmp_path):
    (tmp_path / "demo-cut6.wav").write_bytes(b"keep")
    with pytest.raises(UsageError, match="already exists"):
        cutdowns(demo, [6], tmp_path)
    assert (tmp_path / "demo-cut6.wav").read_bytes() == b"keep"
    (cut,) = cutdowns(demo, [6], tmp_path, overwrite=True)
    assert sf.info(cut.path).frames == 6 * SAMPLE_RATE
    assert sf.info(demo).frames == 48 * SAMPLE_RATE


def test_corpus_songs_meet_the_contract(tmp_path):
    pytest.importorskip("pretty_midi")
    pytest.importorskip("tinysoundfont")
    from test_corpus import corpus

    soundfont = corpus.soundfont_path()
    if soundfont is None:
        pytest.skip("no General MIDI soundfont")
    for index in (3, 2):  # a ring-out at 147 BPM, an abrupt stop in 3/4
        midi, truth = corpus.song(index, 0)
        cut_s = truth["ending"]["start"] if truth["ending"]["type"] == "abrupt" else None
        path = write(tmp_path / f"{truth['name']}.wav", corpus.render(midi, truth["duration_s"], soundfont, cut_s))
        tempo = analyze(path).music.tempo_bpm
        for cut in cutdowns(path, [30, 15, 6], tmp_path / "cuts"):
            assert cut.method == "bars"
            assert_contract(cut, tempo)
