"""Seamless loops (syncready.produce.loop): bar-exact length, a downbeat start, a clean wrap."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from conftest import music_like, write_wav as write
from syncready.analysis import analyze
from syncready.demo import SAMPLE_RATE, synthesize
from syncready.errors import UsageError
from syncready.produce.cutdown import CLICK_EXCESS_MAX_DB, join_step_db, rms, to_db
from syncready.produce.loop import LEVEL_STEP_MAX_DB, make_loop




@pytest.fixture
def song(tmp_path):
    x = synthesize(bars=16, seed=5)
    return write(tmp_path / "song.wav", 0.8 * x / np.abs(x).max())


@pytest.mark.parametrize("bars", [8, 3])
def test_a_loop_is_bar_exact_and_wraps_without_a_click_or_a_level_bump(song, tmp_path, bars):
    music = analyze(song).music
    result = make_loop(song, bars, tmp_path / "loop.wav")
    x, rate = sf.read(result.path, dtype="float32", always_2d=True)
    x = x.T
    expected = bars * music.meter * 60 / music.tempo_bpm
    assert abs(x.shape[1] / rate - expected) <= 0.005
    assert result.duration_s == pytest.approx(expected, abs=0.005)
    assert min(abs(d - result.start_s) for d in music.downbeats) < 0.001
    tiled = np.tile(x, 3)
    wraps = [x.shape[1], 2 * x.shape[1]]
    w = round(0.1 * rate)
    # within the loop, a downbeat step as the song has; at the wraps, nothing more
    inside = join_step_db(tiled, rate, [x.shape[1] // 2])[0]
    for at in wraps:
        assert join_step_db(tiled, rate, [at])[0] <= max(inside, result.seam_click_db) + CLICK_EXCESS_MAX_DB
        step = to_db(rms(tiled[:, at : at + w])) - to_db(rms(tiled[:, at - w : at]))
        assert step == pytest.approx(result.seam_level_step_db, abs=0.1)
    # the level step at the wrap is the song's own step into a downbeat
    source, _ = sf.read(song, dtype="float32", always_2d=True)
    at = round((result.start_s + expected) * rate)
    natural = to_db(rms(source.T[:, at : at + w])) - to_db(rms(source.T[:, at - w : at]))
    assert abs(result.seam_level_step_db - natural) <= LEVEL_STEP_MAX_DB


def test_no_tempo_no_loop(tmp_path):
    path = write(tmp_path / "free.wav", music_like(20, SAMPLE_RATE, seed=2))
    with pytest.raises(UsageError, match="free.wav: no steady tempo: cannot make a bar-exact loop"):
        make_loop(path, 8, tmp_path / "loop.wav")


def test_bad_bar_counts_and_existing_outputs_are_refused(song, tmp_path):
    with pytest.raises(UsageError, match="too short for a 32-bar loop"):
        make_loop(song, 32, tmp_path / "loop.wav")
    with pytest.raises(UsageError, match="at least one bar"):
        make_loop(song, 0, tmp_path / "loop.wav")
    make_loop(song, 4, tmp_path / "loop.wav")
    with pytest.raises(UsageError, match="already exists"):
        make_loop(song, 4, tmp_path / "loop.wav")
    assert make_loop(song, 4, tmp_path / "loop.wav", overwrite=True).bars == 4
