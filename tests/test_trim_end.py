"""`trim` and `end` on rendered music: contracts measured on the files they write."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from conftest import write_wav as write
from syncready.analysis import analyze
from syncready.checks.profile import load as load_profile
from syncready.demo import SAMPLE_RATE as SR
from syncready.demo import synthesize
from syncready.errors import BadInputError, UsageError
from syncready.produce.ending import end, phrase_closes
from syncready.produce.trim import PREROLL_S, trim

PROFILE = load_profile("sync-library")


def syncready(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "syncready", *map(str, args)], capture_output=True, text=True, timeout=300)




@pytest.fixture(scope="module")
def groove() -> np.ndarray:
    """24 bars of the demo groove (120 BPM, 4/4: a bar is 2 s), float32 stereo."""
    return (0.5 * np.tanh(synthesize(bars=24, seed=3))).astype(np.float32)


@pytest.fixture(scope="module")
def padded(groove, tmp_path_factory):
    """The groove with 0.8 s of silence before and 4 s of steady -55 dBFS hiss after."""
    rng = np.random.default_rng(5)
    hiss = 10 ** (-55 / 20) * rng.standard_normal((2, 4 * SR))
    x = np.concatenate([np.zeros((2, int(0.8 * SR))), groove[:, : 16 * SR], hiss], axis=1)
    return write(tmp_path_factory.mktemp("trim") / "padded.wav", x)


@pytest.fixture(scope="module")
def cut_song(groove, tmp_path_factory):
    """The groove stopped at full level in the middle of bar 19 (37.3 s)."""
    return write(tmp_path_factory.mktemp("end") / "cut.wav", groove[:, : int(37.3 * SR)])


def test_trim_starts_on_the_music_and_drops_the_noise_tail(padded, tmp_path):
    out = tmp_path / "t.wav"
    r = trim(padded, out, PROFILE)
    assert r.changed and r.removed_head_s == pytest.approx(0.8 - PREROLL_S, abs=0.005)
    assert 3.0 < r.removed_tail_s < 4.0
    a = analyze(out)
    assert a.levels.head_s <= PREROLL_S + 0.002
    assert a.source.duration_s == pytest.approx(16 + PREROLL_S + 0.3, abs=0.05)
    x, _ = sf.read(padded, always_2d=True)
    y, _ = sf.read(out, always_2d=True)
    start = round(r.start_s * SR)
    middle = slice(SR, 15 * SR)  # the music itself is untouched (same 16-bit codes)
    assert np.array_equal(y[middle], x[start + middle.start : start + middle.stop])


def test_trim_leaves_a_trimmed_file_alone_byte_for_byte(padded, tmp_path):
    first = tmp_path / "t1.wav"
    trim(padded, first, PROFILE)
    second = tmp_path / "t2.wav"
    r = trim(first, second, PROFILE)
    assert not r.changed and "left alone" in r.note
    assert second.read_bytes() == first.read_bytes()


def test_trim_keeps_a_hard_stop_at_level_for_end_to_repair(cut_song, tmp_path):
    """A loud last second is music, not a noise bed: trim must not eat into it."""
    r = trim(cut_song, tmp_path / "t.wav", PROFILE)
    assert r.removed_tail_s == 0.0
    assert analyze(tmp_path / "t.wav").music.ending.type == "abrupt"


def test_trim_downbeat_starts_on_the_first_downbeat(groove, tmp_path):
    x = np.concatenate([np.zeros((2, SR // 2)), groove[:, int(1.0 * SR) : 16 * SR]], axis=1)  # starts 2 beats early
    src = write(tmp_path / "pickup.wav", x)
    r = trim(src, tmp_path / "t.wav", PROFILE, downbeat=True)
    first_downbeat = analyze(src).music.intro.first_downbeat_s
    assert r.start_s == pytest.approx(first_downbeat - PREROLL_S, abs=0.002)


def test_trim_refuses_silence_and_its_own_input(tmp_path, padded):
    silent = write(tmp_path / "silent.wav", np.zeros((2, 3 * SR)))
    with pytest.raises(BadInputError, match="silent"):
        trim(silent, tmp_path / "o.wav", PROFILE)
    with pytest.raises(UsageError, match="input"):
        trim(padded, padded, PROFILE)


def test_end_rings_out_on_a_phrase_close(cut_song, tmp_path):
    out = tmp_path / "e.wav"
    r = end(cut_song, out)
    assert r.changed and r.ending_before == "abrupt" and r.ending_after == "ring_out"
    source = analyze(cut_song).music
    closes = phrase_closes(source, 37.3 - 0.375)  # room for most of a beat of the final chord
    assert r.end_at_s == pytest.approx(closes[-1], abs=1e-3) and 37.3 - r.end_at_s <= 4 * 2.0
    a = analyze(out)
    assert a.levels.end_level_db < -40
    assert a.music.tempo_bpm == pytest.approx(120, rel=0.01)
    x, _ = sf.read(cut_song, always_2d=True)
    y, _ = sf.read(out, always_2d=True)
    keep = round(r.end_at_s * SR)
    assert np.array_equal(y[:keep], x[:keep])  # everything before the final downbeat is the song itself
    tail = y[keep:]
    assert 2.0 <= len(tail) / SR <= 4.01
    assert np.sqrt(np.mean(tail[-SR // 10 :] ** 2)) < 1e-3 * np.sqrt(np.mean(tail[: SR // 10] ** 2))


def test_end_fade_when_asked(cut_song, tmp_path):
    r = end(cut_song, tmp_path / "f.wav", mode="fade")
    assert r.changed and r.ending_after in ("fade", "ring_out")
    assert analyze(tmp_path / "f.wav").levels.end_level_db < -20


def test_end_replaces_a_fade_and_leaves_a_ring_out_alone(cut_song, tmp_path):
    faded = tmp_path / "faded.wav"
    end(cut_song, faded, mode="fade")
    ring = tmp_path / "ring.wav"
    r = end(faded, ring)
    assert r.changed and r.ending_before == "fade" and r.ending_after == "ring_out"
    again = tmp_path / "again.wav"
    r = end(ring, again)
    assert not r.changed and again.read_bytes() == ring.read_bytes()


def test_end_without_a_beat_rings_out_on_the_last_attack(tmp_path):
    """Slow chord swells with no pulse, cut off at level."""
    t = np.arange(14 * SR) / SR
    chords = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 440.0))
    swell = 0.5 + 0.5 * np.sin(2 * np.pi * t / 5.3 - 1.0)
    x = np.tile(0.08 * chords * swell, (2, 1))
    src = write(tmp_path / "drone.wav", x)
    r = end(src, tmp_path / "e.wav")
    assert r.ending_after in ("ring_out", "fade") and analyze(tmp_path / "e.wav").levels.end_level_db < -20


def test_end_cli_json_and_exit_codes(cut_song, tmp_path):
    run = syncready("end", cut_song, "-o", tmp_path / "e.wav", "--json", "-")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["changed"] is True and doc["ending_after"] == "ring_out" and doc["path"].endswith("e.wav")
    assert syncready("end", cut_song, "-o", tmp_path / "e.wav").returncode == 2  # exists: not overwritten
    assert syncready("end", cut_song, "-o", tmp_path / "x.wav", "--mode", "bounce").returncode == 2
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF1234WAVEjunk" * 10)
    run = syncready("trim", junk, "-o", tmp_path / "j.wav")
    assert run.returncode == 2 and "Traceback" not in run.stderr and not (tmp_path / "j.wav").exists()
