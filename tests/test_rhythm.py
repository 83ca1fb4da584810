"""Tempo, beat grid, downbeats and meter (:mod:`syncready.analysis.rhythm`) on songs made in code."""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest

from syncready.analysis.rhythm import Rhythm, track

FS = 22050


def _tone(freqs: list[float], seconds: float, decay: float, fs: int, harmonics: int = 5) -> np.ndarray:
    """Decaying harmonic tone(s): ``harmonics`` partials per fundamental, 3 ms attack."""
    t = np.arange(int(seconds * fs)) / fs
    out = np.zeros_like(t)
    for f in freqs:
        for h in range(1, harmonics + 1):
            if f * h < fs / 2.2:
                out += np.sin(2 * np.pi * f * h * t) / h**1.5
    fade = np.minimum(1.0, (t[-1] - t) / 0.01)  # no click at the cut
    return out * np.exp(-t / decay) * np.minimum(1.0, t / 0.003) * fade


def _drums(fs: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Kick (decaying low sine sweep), snare (noise burst over a 190 Hz body), hat (high-passed noise)."""
    t = np.arange(int(0.35 * fs)) / fs
    kick = np.sin(2 * np.pi * (50 * t + 80 * 0.03 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / 0.12)
    ts = np.arange(int(0.22 * fs)) / fs
    snare = (0.7 * rng.standard_normal(ts.size) + np.sin(2 * np.pi * 190 * ts)) * np.exp(-ts / 0.05)
    noise = rng.standard_normal(int(0.06 * fs) + 2)
    hat = (noise[2:] - 2 * noise[1:-1] + noise[:-2]) * np.exp(-np.arange(noise.size - 2) / (0.01 * fs))
    return {"kick": kick, "snare": snare * 0.6, "hat": hat * 0.03}


# Chord roots (Hz) cycling bar by bar, and the triad on each.
_ROOTS = [110.0, 87.31, 130.81, 98.0, 146.83, 123.47]
_TRIAD = [1.0, 1.26, 1.5]


def synth_song(
    bpm: float,
    meter: int,
    *,
    bars: int = 8,
    pickup: int = 1,
    seed: int = 0,
    fs: int = FS,
    jitter_s: float = 0.004,
    lead_in_s: float = 0.6,
    drift: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A drum + bass + chord pattern; returns (samples (2, n) float32, beat times, downbeat times).

    4/4: kick on 1 and 3, snare on 2 and 4; 3/4: kick on 1, snare on 2 and 3; hats on every
    eighth; a bass note on every beat (root, fifth on weak beats); a new chord on each bar
    start (held in 4/4, stabbed on every beat in 3/4). ``pickup`` beats before the first bar
    carry only hats, a soft snare and a bass lead-in. Every note is shifted by seeded
    Gaussian jitter of ``jitter_s``; the returned times are the nominal grid. ``drift``
    changes the tempo linearly over the song (0.1: it ends 10 % faster).
    """
    rng = np.random.default_rng(seed)
    drums = _drums(fs, rng)
    beat = 60.0 / bpm
    n_beats = pickup + bars * meter
    periods = beat / (1.0 + drift * np.arange(n_beats) / n_beats)
    beats = lead_in_s + np.concatenate(([0.0], np.cumsum(periods[:-1])))
    out = np.zeros(int((beats[-1] + periods[-1] + 2.0) * fs))

    def put(wave: np.ndarray, when: float, gain: float) -> None:
        start = int(round((when + rng.normal(0.0, jitter_s)) * fs))
        start = max(start, 0)
        seg = wave[: out.size - start]
        out[start : start + seg.size] += gain * seg

    for i, t in enumerate(beats):
        bar, pos = divmod(i - pickup, meter)
        root = _ROOTS[bar % len(_ROOTS)]
        beat = periods[i]
        for half in (0.0, 0.5):
            put(drums["hat"], t + half * beat, 1.0 if half == 0 else 0.7)
        if bar < 0:
            put(drums["snare"], t, 0.35)
            put(_tone([root / 2], beat, 0.3, fs), t, 0.3)
            continue
        if pos == 0 or (meter == 4 and pos == 2):
            put(drums["kick"], t, 1.0 if pos == 0 else 0.8)
        else:
            put(drums["snare"], t, 1.0 if meter == 4 else 0.6)
        put(_tone([root / 2 * (1.0 if pos == 0 else 1.5)], beat, 0.3, fs), t, 0.5)
        chord = [root * 2 * r for r in _TRIAD]
        if pos == 0:
            put(_tone(chord, meter * beat, 1.2 if meter == 4 else 0.4, fs), t, 0.35)
        elif meter == 3:
            put(_tone(chord, beat, 0.25, fs), t, 0.15)
    out *= 0.5 / np.abs(out).max()
    stereo = np.stack([out, 0.9 * out]).astype(np.float32)
    downbeats = beats[pickup::meter]
    return stereo, beats, downbeats


def white_noise(seconds: float = 20.0, fs: int = FS, seed: int = 1) -> np.ndarray:
    """Stationary white noise, (2, n) float32."""
    return (0.1 * np.random.default_rng(seed).standard_normal((2, int(seconds * fs)))).astype(np.float32)


def sustained_chord(seconds: float = 20.0, fs: int = FS) -> np.ndarray:
    """One A minor chord held for the whole file (a single attack, slow decay)."""
    tone = _tone([220.0, 261.63, 329.63], seconds, 30.0, fs, harmonics=6)
    return np.stack([tone, tone]).astype(np.float32) * 0.1


def speech_like(seconds: float = 20.0, fs: int = FS, seed: int = 2) -> np.ndarray:
    """Noise bursts shaped like syllables: 60-300 ms bursts, irregular gaps, pauses between phrases."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    env = np.zeros(n)
    t = 0.3
    while t < seconds - 0.5:
        dur = rng.uniform(0.06, 0.3)
        a, b = int(t * fs), int((t + dur) * fs)
        env[a:b] = np.sin(np.linspace(0, np.pi, b - a)) * rng.uniform(0.3, 1.0)
        t += dur + (rng.uniform(0.4, 1.2) if rng.random() < 0.15 else rng.uniform(0.03, 0.25))
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / fs)
    spec *= np.exp(-0.5 * ((np.log2(np.maximum(freqs, 1) / 600)) / 1.2) ** 2)  # voice-band colour
    noise = np.fft.irfft(spec, n)
    x = noise / noise.std() * env * 0.1
    return np.stack([x, x]).astype(np.float32)


def free_tempo(seconds: float = 24.0, fs: int = FS, seed: int = 3) -> np.ndarray:
    """Piano-like notes at random intervals (0.12-1.3 s): no steady pulse."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * fs))
    t = 0.3
    while t < seconds - 2:
        note = _tone([110.0 * 2 ** (rng.integers(0, 24) / 12)], 1.5, 0.5, fs)
        a = int(t * fs)
        out[a : a + note.size] += note[: out.size - a] * rng.uniform(0.3, 1.0)
        t += rng.uniform(0.12, 1.3)
    out *= 0.3 / np.abs(out).max()
    return np.stack([out, out]).astype(np.float32)


# A chord on every beat (C major roots), in phrases of eight beats.
_CHORALE_ROOTS = [0, 5, 7, 0, 9, 2, 7, 0, 4, 9, 2, 7, 0, 5, 7, 0]
_MAJOR_SCALE = [0, 2, 4, 5, 7, 9, 11]


def legato_chorale(
    bpm: float, beats: int = 48, *, fs: int = FS, seed: int = 0, attack_s: float = 0.2, release_s: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Four voices of a string ensemble moving to a new chord on every beat, no drums.

    Each voice takes the chord tone nearest its last note (the bass the root); a note swells
    in over ``attack_s`` (raised cosine) and fades over ``release_s`` under the next one
    (legato). Each note is three slightly detuned players with their own vibrato (so the
    partials beat and wobble), its start shifted by seeded 4 ms Gaussian jitter; the last
    chord is held for two beats. Returns (samples (2, n) float32, beat times).
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    times = 0.4 + beat * np.arange(beats)
    out = np.zeros(int((times[-1] + 2 * beat + release_s + 1.0) * fs))
    last = [48, 55, 60, 64]
    voices: list[list[tuple[float, int]]] = [[] for _ in range(4)]
    for i, t in enumerate(times):
        root = _CHORALE_ROOTS[i % len(_CHORALE_ROOTS)]
        degree = _MAJOR_SCALE.index(root)
        tones = [_MAJOR_SCALE[(degree + k) % 7] + 12 * octave for k in (0, 2, 4) for octave in range(3, 7)]
        chord = [36 + root + (12 if root < 5 else 0)]
        chord += [min(tones, key=lambda p, v=v: (abs(p - last[v]), p)) for v in (1, 2, 3)]
        for v in range(4):
            voices[v].append((t + rng.normal(0.0, 0.004), chord[v]))
        last = chord
    for notes in voices:
        ends = [start for start, _ in notes[1:]] + [times[-1] + 2 * beat]
        for (start, pitch), end in zip(notes, ends):
            a, b = int(start * fs), int((end + release_s) * fs)
            tt = np.arange(b - a) / fs
            f0 = 440.0 * 2 ** ((pitch - 69) / 12)
            tone = np.zeros(tt.size)
            for detune in (-0.004, 0.0, 0.005):
                rate = rng.uniform(4.5, 6.5)
                wobble = 0.004 / (2 * np.pi * rate) * np.sin(2 * np.pi * rate * tt + rng.uniform(0, 2 * np.pi))
                phase = 2 * np.pi * f0 * (1 + detune) * (tt + wobble)
                for h in range(1, 7):
                    if f0 * h < fs / 2.2:
                        tone += np.sin(h * phase + rng.uniform(0, 2 * np.pi)) / h
            swell = 0.5 - 0.5 * np.cos(np.pi * np.minimum(1.0, tt / attack_s))
            fade = np.clip((end + release_s - start - tt) / release_s, 0.0, 1.0)
            out[a:b] += 0.2 * tone * swell * fade
    out *= 0.5 / np.abs(out).max()
    return np.stack([out, out]).astype(np.float32), times


# Bar rhythms of a hymn (chord starts in beats into the bar, lengths): the downbeat chord is
# held longest, later chords are struck on weak beats.
_HYMN_BARS = {
    3: [[(0, 2), (2, 1)], [(0, 1), (1, 1), (2, 1)]],
    4: [[(0, 2), (2, 1), (3, 1)], [(0, 1), (1, 1), (2, 2)], [(0, 2), (2, 2)], [(0, 1), (1, 1), (2, 1), (3, 1)]],
}


def hymn(bpm: float, meter: int, *, pickup: int = 1, bars: int = 12, seed: int = 0, fs: int = FS):
    """Four-voice block chords on a piano-like tone, no drums, every voice at one loudness.

    A ``pickup``-beat dominant chord leads into bar 1; each bar takes a seeded rhythm from
    ``_HYMN_BARS`` and a new chord (scale-degree root, voices led to the nearest chord tone)
    on every chord start; every fourth bar and the last hold one chord for the whole bar
    (the end of a phrase). Returns (samples (2, n) float32, beat times, downbeat times).
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    chords = [(0, pickup, 4)] if pickup else []  # (start beat, length in beats, scale degree)
    degree = 0
    for bar in range(bars):
        phrase_end = bar % 4 == 3 or bar == bars - 1
        rhythm = [(0, meter)] if phrase_end else _HYMN_BARS[meter][rng.integers(len(_HYMN_BARS[meter]))]
        for onset, length in rhythm:
            degree = 0 if phrase_end else int(rng.choice([d for d in range(6) if d != degree]))
            chords.append((pickup + bar * meter + onset, length, degree))
    times = 0.3 + beat * np.arange(pickup + bars * meter)
    out = np.zeros(int((times[-1] + 2.0) * fs))
    last = [48, 55, 60, 64]
    for start, length, degree in chords:
        root = _MAJOR_SCALE[degree]
        tones = [_MAJOR_SCALE[(degree + k) % 7] + 12 * octave for k in (0, 2, 4) for octave in range(3, 7)]
        chord = [36 + root + (12 if root < 5 else 0)]
        chord += [min(tones, key=lambda p, v=v: (abs(p - last[v]), p)) for v in (1, 2, 3)]
        last = chord
        for pitch in chord:
            note = _tone([440.0 * 2 ** ((pitch - 69) / 12)], length * beat, 1.0, fs)
            a = int(round((0.3 + start * beat + rng.normal(0.0, 0.004)) * fs))
            out[a : a + note.size] += note * rng.uniform(0.8, 1.0)
    out *= 0.5 / np.abs(out).max()
    return np.stack([out, out]).astype(np.float32), times, times[pickup::meter]


def click_track(bpm: float = 100.0, seconds: float = 20.0, fs: int = FS, accent: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Metronome clicks (2 kHz, 20 ms); every ``accent``-th click higher and louder (0: none)."""
    beats = np.arange(0.5, seconds - 0.5, 60.0 / bpm)
    out = np.zeros(int(seconds * fs))
    t = np.arange(int(0.02 * fs)) / fs
    for i, b in enumerate(beats):
        strong = accent and i % accent == 0
        click = np.sin(2 * np.pi * (3000 if strong else 2000) * t) * np.exp(-t / 0.004) * (1.0 if strong else 0.6)
        a = int(round(b * fs))
        out[a : a + click.size] += click
    return np.stack([out, out]).astype(np.float32) * 0.5, beats


def _mean_offset(est: np.ndarray, ref: np.ndarray) -> float:
    """Mean signed error (s) of the estimated beats nearest to each reference beat within 70 ms."""
    diff = est[:, None] - ref[None, :]
    nearest = diff[np.abs(diff).argmin(axis=0), np.arange(ref.size)]
    return float(nearest[np.abs(nearest) < 0.07].mean())


SONGS = [(70, 4), (90, 3), (120, 4), (140, 3), (160, 4), (70, 3), (90, 4), (120, 3), (140, 4), (160, 3)]


@pytest.mark.parametrize(("bpm", "meter"), SONGS)
def test_songs_tempo_beats_meter_downbeats(bpm, meter):
    pickup = 1 + bpm % (meter - 1)  # 1 to meter - 1 beats before the first bar
    samples, beats, downbeats = synth_song(bpm, meter, pickup=pickup, seed=bpm * meter)
    r = track(samples, FS)
    assert r.tempo_bpm == pytest.approx(bpm, rel=0.005)
    assert r.tempo_confidence > 0.5 and r.tempo_stable
    est = np.array(r.beats)
    assert mir_eval.beat.f_measure(beats, est) >= 0.95
    assert abs(_mean_offset(est, beats)) < 0.010
    assert r.meter == meter
    assert mir_eval.beat.f_measure(downbeats, np.array(r.downbeats)) >= 0.9
    assert r.first_downbeat_s == pytest.approx(downbeats[0], abs=0.05)
    assert r.pickup_beats == pickup
    assert set(r.downbeats) <= set(r.beats)


def test_cd_rate_and_mono_input():
    samples, beats, _ = synth_song(128, 4, fs=44100, bars=6, seed=5)
    for x in (samples, samples[0]):
        r = track(x, 44100)
        assert r.tempo_bpm == pytest.approx(128, rel=0.005)
        assert mir_eval.beat.f_measure(beats, np.array(r.beats)) >= 0.95


def test_drifting_tempo_is_tracked_and_flagged():
    samples, beats, _ = synth_song(110, 4, bars=12, drift=0.1, seed=9)
    r = track(samples, FS)
    assert not r.tempo_stable
    assert r.tempo_bpm == pytest.approx(110 * 1.05, rel=0.03)  # the mean tempo
    assert mir_eval.beat.f_measure(beats, np.array(r.beats)) >= 0.9


def test_sudden_tempo_change_is_followed_and_flagged():
    first, beats1, _ = synth_song(100, 4, bars=8, seed=1, pickup=0)
    second, beats2, _ = synth_song(125, 4, bars=8, seed=2, pickup=0, lead_in_s=0.0)
    cut = int((beats1[-1] + 0.6) * FS)
    r = track(np.concatenate([first[:, :cut], second], axis=1), FS)
    assert not r.tempo_stable
    assert 100 < r.tempo_bpm < 125
    truth = np.concatenate([beats1, beats2 + cut / FS])
    assert mir_eval.beat.f_measure(truth, np.array(r.beats)) >= 0.95


def test_a_silent_break_with_a_phase_slip_keeps_the_beat_level():
    song, beats, _ = synth_song(100, 4, bars=8, seed=1, pickup=0)
    cut = int((beats[-1] + 0.6) * FS)  # after the last bar, then 4 s (6.67 beats) of silence
    restart = cut / FS + 4.0 - beats[0]
    r = track(np.concatenate([song[:, :cut], np.zeros((2, 4 * FS), np.float32), song[:, int(beats[0] * FS) :]], axis=1), FS)
    assert r.tempo_bpm == pytest.approx(100, rel=0.02)  # not the 200 BPM eighths
    assert mir_eval.beat.f_measure(np.concatenate([beats, beats + restart]), np.array(r.beats)) >= 0.9


@pytest.mark.parametrize("accent", [0, 4])
def test_click_track(accent):
    samples, beats = click_track(100.0 if accent == 0 else 140.0, accent=accent)
    r = track(samples, FS)
    assert r.tempo_bpm == pytest.approx(100.0 if accent == 0 else 140.0, rel=0.001)
    assert r.tempo_confidence > 0.9 and r.tempo_stable
    assert mir_eval.beat.f_measure(beats, np.array(r.beats)) >= 0.99
    assert abs(_mean_offset(np.array(r.beats), beats)) < 0.010
    if accent:
        assert r.meter == 4 and r.pickup_beats == 0
    else:
        assert r.meter is None and r.downbeats == [] and r.first_downbeat_s is None


@pytest.mark.parametrize(("bpm", "seed"), [(60, 0), (76, 1), (92, 2), (108, 3)])
def test_legato_chorale_follows_the_chord_changes(bpm, seed):
    # no drums and no sharp attacks: the beat is where the harmony changes
    samples, beats = legato_chorale(bpm, seed=seed)
    r = track(samples, FS)
    assert r.tempo_bpm == pytest.approx(bpm, rel=0.005)
    assert r.tempo_stable and r.tempo_confidence >= 0.2
    assert mir_eval.beat.f_measure(beats, np.array(r.beats)) >= 0.9


@pytest.mark.parametrize(
    ("bpm", "meter", "pickup", "seed"), [(60, 3, 1, 0), (84, 3, 1, 2), (96, 3, 0, 3), (72, 4, 1, 1), (84, 4, 0, 2)]
)
def test_hymn_meter_and_downbeats_from_harmonic_rhythm(bpm, meter, pickup, seed):
    # no kick or bass accent: the bar shows in where chords are struck and held
    samples, beats, downbeats = hymn(bpm, meter, pickup=pickup, seed=seed)
    r = track(samples, FS)
    assert r.tempo_bpm == pytest.approx(bpm, rel=0.005)
    assert mir_eval.beat.f_measure(beats, np.array(r.beats)) >= 0.9
    assert r.meter == meter and r.pickup_beats == pickup
    assert mir_eval.beat.f_measure(downbeats, np.array(r.downbeats)) >= 0.9


def _no_pulse(r: Rhythm) -> None:
    assert r.tempo_bpm is None and r.meter is None
    assert r.beats == [] and r.downbeats == [] and r.first_downbeat_s is None
    assert r.pickup_beats == 0 and not r.tempo_stable
    assert 0.0 <= r.tempo_confidence < 0.2


@pytest.mark.parametrize(
    "make",
    [
        lambda: np.zeros((2, 10 * FS), np.float32),
        white_noise,
        sustained_chord,
        lambda: synth_song(120, 4, bars=2)[0][:, : 2 * FS],  # a 2-second excerpt of a song
        speech_like,
        free_tempo,
        lambda: np.zeros((2, 0), np.float32),
        lambda: np.zeros((0, FS * 5), np.float32),
    ],
    ids=["silence", "white-noise", "sustained-chord", "two-seconds", "speech-like", "free-tempo", "empty", "no-channels"],
)
def test_no_steady_pulse(make):
    _no_pulse(track(make(), FS))


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_more_noise_like_inputs_have_no_tempo(seed):
    for make in (white_noise, speech_like, free_tempo):
        _no_pulse(track(make(seed=seed), FS))


def test_non_finite_samples_do_not_raise():
    samples, _, _ = synth_song(100, 4, bars=4)
    samples[:, 1000:2000] = np.nan
    samples[1, 5000] = np.inf
    r = track(samples, FS)
    assert r.tempo_bpm == pytest.approx(100, rel=0.005)
