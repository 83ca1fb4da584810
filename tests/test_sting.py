"""Stingers (syncready.produce.sting): a strong hit and the ending, exactly as long as asked."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from conftest import music_like, write_wav as write
from syncready.analysis import analyze
from syncready.demo import SAMPLE_RATE, synthesize
from syncready.errors import UsageError
from syncready.produce.bars import open_source
from syncready.produce.sting import hits, make_sting




@pytest.fixture
def song(tmp_path):
    """The demo song, with its second half 6 dB louder: the hit belongs there."""
    x = synthesize(bars=24, seed=4)
    x[:, x.shape[1] // 2 :] *= 2.0
    return write(tmp_path / "song.wav", 0.8 * x / np.abs(x).max())


@pytest.mark.parametrize("length", [5.0, 3.5])
def test_a_sting_starts_on_the_strongest_hit_and_ends_quietly(song, tmp_path, length):
    result = make_sting(song, tmp_path / "sting.wav", length_s=length)
    x, rate = sf.read(result.path, dtype="float32", always_2d=True)
    assert abs(len(x) / rate - length) <= 0.01
    assert result.duration_s == pytest.approx(length, abs=0.01)
    end = np.sqrt(np.mean(x[-round(0.05 * rate) :] ** 2))
    assert 20 * np.log10(end / np.sqrt(np.mean(x**2))) <= -20
    assert result.measured.last_downbeat_gap_s <= 1.5
    assert result.hit_s is not None and result.hit_s < 2.0  # at most a lead-in before the hit
    source = open_source(song)
    hit = source.grid.times[hits(source)[0]]
    assert hit >= 24.0 - 0.05  # in the loud half
    assert f"{hit:.2f} s" in result.notes[0]


def test_a_sting_without_a_beat_is_still_made(tmp_path):
    x = music_like(20, SAMPLE_RATE, seed=3)
    path = write(tmp_path / "free.wav", x * (1 + 0.8 * np.sin(2 * np.pi * np.arange(x.shape[1]) / SAMPLE_RATE / 6)))
    result = make_sting(path, tmp_path / "sting.wav")
    assert result.hit_s is None
    assert result.measured.duration_s == pytest.approx(5.0, abs=0.01)
    assert analyze(path).music.tempo_bpm is None


def test_a_sting_longer_than_the_song_is_refused(song, tmp_path):
    with pytest.raises(UsageError, match="no 60 s sting: the song has only 48.0 s of music"):
        make_sting(song, tmp_path / "sting.wav", length_s=60)
