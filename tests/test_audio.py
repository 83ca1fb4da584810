"""Tests for syncready.audio: reading, validation, resampling and writing."""

import builtins
import hashlib
import json
import os
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from syncready import audio
from syncready.audio import Audio, SourceInfo
from syncready.errors import BadInputError, UsageError


def sine(rate=48000, seconds=0.5, channels=2, freq=1000.0, amp=0.5):
    """(channels, frames) float32 sine, each channel at a slightly different level."""
    t = np.arange(int(round(rate * seconds))) / rate
    gains = 1.0 - 0.1 * np.arange(channels)[:, None]
    return (amp * gains * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def rms_db(x):
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def write_sf(path, x, rate, **kwargs):
    sf.write(path, x.T, rate, **kwargs)
    return path


def write_pyav(path, x, rate, codec, *, sample_format="fltp", container_format=None):
    """Encode (channels, frames) float samples with PyAV; return the path."""
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[x.shape[0]]
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        stream.format = sample_format
        for start in range(0, x.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(x[:, start : start + 1024]), format="fltp", layout=layout
            )
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def chop(path, keep_fraction):
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * keep_fraction)])
    return path


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("subtype", "bits", "tolerance"),
    [
        ("PCM_16", 16, 2**-15),
        ("PCM_24", 24, 2**-23),
        ("PCM_32", 32, 2**-24),
        ("FLOAT", 32, 0.0),
        ("DOUBLE", 64, 0.0),
    ],
)
def test_wav_subtypes_round_trip(tmp_path, subtype, bits, tolerance):
    x = sine()
    path = write_sf(tmp_path / "a.wav", x, 48000, subtype=subtype)
    loaded = audio.load(path)
    info = loaded.source
    assert (info.container, info.codec, info.bit_depth, info.lossy) == ("WAV", subtype, bits, False)
    assert (info.sample_rate, info.channels, info.frames) == (48000, 2, x.shape[1])
    assert loaded.samples.dtype == np.float32 and loaded.samples.flags.c_contiguous
    assert loaded.samples.shape == x.shape
    np.testing.assert_allclose(loaded.samples, x, rtol=0, atol=tolerance)


@pytest.mark.parametrize(
    ("fmt", "subtype", "suffix", "container"),
    [
        ("WAVEX", "PCM_24", ".wav", "WAV"),
        ("RF64", "PCM_24", ".wav", "RF64"),
        ("AIFF", "PCM_24", ".aiff", "AIFF"),
        ("FLAC", "PCM_16", ".flac", "FLAC"),
        ("FLAC", "PCM_24", ".flac", "FLAC"),
    ],
)
def test_lossless_containers_round_trip(tmp_path, fmt, subtype, suffix, container):
    x = sine(channels=6)
    path = write_sf(tmp_path / f"a{suffix}", x, 48000, format=fmt, subtype=subtype)
    loaded = audio.load(path)
    assert loaded.source.container == container
    assert loaded.source.bit_depth == int(subtype[-2:]) and not loaded.source.lossy
    np.testing.assert_allclose(loaded.samples, x, rtol=0, atol=2.0 ** (1 - int(subtype[-2:])))


@pytest.mark.parametrize(
    ("fmt", "subtype", "suffix"),
    [("OGG", "VORBIS", ".ogg"), ("OGG", "OPUS", ".opus"), ("MP3", "MPEG_LAYER_III", ".mp3")],
)
def test_lossy_soundfile_formats(tmp_path, fmt, subtype, suffix):
    x = sine(seconds=1.0)
    path = write_sf(tmp_path / f"a{suffix}", x, 48000, format=fmt, subtype=subtype)
    loaded = audio.load(path)
    info = loaded.source
    assert (info.container, info.codec, info.lossy, info.bit_depth) == (fmt, subtype, True, None)
    assert info.sample_rate == 48000 and info.channels == 2
    assert abs(info.frames - x.shape[1]) <= 2400
    assert abs(rms_db(loaded.samples[0]) - rms_db(x[0])) < 0.5


def test_aac_m4a_through_pyav(tmp_path):
    x = sine(rate=44100, seconds=1.0, channels=2)
    path = write_pyav(tmp_path / "a.m4a", x, 44100, "aac")
    loaded = audio.load(path)
    info = loaded.source
    assert (info.container, info.codec, info.lossy, info.bit_depth) == ("M4A", "aac", True, None)
    assert (info.sample_rate, info.channels) == (44100, 2)
    assert abs(info.frames - x.shape[1]) <= 2048  # encoder padding is trimmed when known
    assert loaded.samples.shape == (2, info.frames)
    middle = slice(4410, -4410)
    for ch in range(2):
        assert abs(rms_db(loaded.samples[ch, middle]) - rms_db(x[ch, middle])) < 0.5


def test_aac_six_channels_through_pyav(tmp_path):
    x = sine(seconds=0.5, channels=6)
    info = audio.probe(write_pyav(tmp_path / "a.mp4", x, 48000, "aac"))
    assert (info.container, info.channels, info.sample_rate) == ("MP4", 6, 48000)


def test_alac_is_lossless_through_pyav(tmp_path):
    x = sine(seconds=0.5)
    loaded = audio.load(write_pyav(tmp_path / "a.m4a", x, 48000, "alac", sample_format="s32p"))
    assert loaded.source.codec == "alac" and not loaded.source.lossy
    assert loaded.source.bit_depth == 24 and loaded.source.frames == x.shape[1]
    np.testing.assert_allclose(loaded.samples, x, rtol=0, atol=2**-22)


def test_opus_in_webm_through_pyav(tmp_path):
    x = sine(seconds=0.5)
    loaded = audio.load(write_pyav(tmp_path / "a.webm", x, 48000, "libopus", sample_format="flt"))
    assert (loaded.source.container, loaded.source.codec) == ("WEBM", "opus")
    assert loaded.source.lossy and abs(loaded.frames - x.shape[1]) <= 960


@pytest.mark.parametrize("channels", [1, 2, 6])
@pytest.mark.parametrize("rate", [8000, 44100, 384000])
def test_channels_and_rates(tmp_path, channels, rate):
    x = sine(rate=rate, seconds=0.1, channels=channels, freq=500.0)
    loaded = audio.load(write_sf(tmp_path / "a.flac", x, rate, subtype="PCM_24"))
    assert (loaded.sample_rate, loaded.channels, loaded.frames) == (rate, channels, x.shape[1])
    assert loaded.duration_s == pytest.approx(0.1)
    np.testing.assert_allclose(loaded.samples, x, rtol=0, atol=2**-23)


@pytest.mark.parametrize("kind", ["wav", "m4a"])
def test_blocks_are_exact_and_match_load(tmp_path, kind):
    x = sine(seconds=0.5)
    if kind == "wav":
        path = write_sf(tmp_path / "a.wav", x, 48000, subtype="FLOAT")
    else:
        path = write_pyav(tmp_path / "a.m4a", x, 48000, "alac", sample_format="s32p")
    parts = list(audio.blocks(path, block_frames=1000))
    assert all(p.shape == (2, 1000) for p in parts[:-1]) and 0 < parts[-1].shape[1] <= 1000
    assert all(p.dtype == np.float32 and p.flags.c_contiguous for p in parts)
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), audio.load(path).samples)


def test_hash_is_stable_and_follows_content(tmp_path):
    a = write_sf(tmp_path / "a.wav", sine(), 48000)
    b = write_sf(tmp_path / "b.wav", sine(amp=0.25), 48000)
    info = audio.probe(a)
    assert info.sha256 == audio.probe(a).sha256 == hashlib.sha256(a.read_bytes()).hexdigest()
    assert info.sha256 != audio.probe(b).sha256


def test_source_info_dict_round_trip(tmp_path):
    info = audio.probe(write_sf(tmp_path / "a.wav", sine(), 48000, subtype="PCM_24"))
    d = json.loads(json.dumps(info.to_dict()))
    assert d["duration_s"] == pytest.approx(0.5)
    assert SourceInfo.from_dict(d) == info


def test_audio_normalises_and_validates():
    a = Audio(np.zeros((2, 10)), 48000)
    assert a.samples.dtype == np.float32 and (a.channels, a.frames) == (2, 10)
    with pytest.raises(ValueError):
        Audio(np.zeros(10, np.float32), 48000)
    with pytest.raises(ValueError):
        Audio(np.zeros((1, 10), np.float32), 0)


# --------------------------------------------------------------------------- bad inputs


def _wav(tmp_path, x, rate=48000, name="bad.wav", **kwargs):
    return write_sf(tmp_path / name, x, rate, **kwargs)


def _with_bad_sample(tmp_path, value):
    x = sine(seconds=1.0)
    x[1, 24000] = value  # at 0.50 s
    return _wav(tmp_path, x, subtype="FLOAT")


def _bytes(path, data):
    path.write_bytes(data)
    return path


def _folder(path):
    path.mkdir()
    return path


BAD_INPUTS = {
    "missing": (lambda p: p / "nothing.wav", "file not found"),
    "folder": (lambda p: _folder(p / "folder.wav"), "is a folder"),
    "empty": (lambda p: _bytes(p / "empty.wav", b""), "file is empty (0 bytes)"),
    "text": (
        lambda p: _bytes(p / "notes.wav", b"verse 1\nchorus\n" * 50),
        "not an audio file (cannot be decoded)",
    ),
    "random": (
        lambda p: _bytes(p / "noise.wav", np.random.default_rng(2).bytes(50000)),
        "not an audio file (cannot be decoded)",
    ),
    "truncated_wav": (
        lambda p: chop(_wav(p, sine(seconds=2.0), subtype="PCM_24"), 0.3),
        "truncated (header promises 2.0 s, data holds 0.6 s)",
    ),
    "truncated_rf64": (
        lambda p: chop(_wav(p, sine(seconds=2.0), format="RF64"), 0.3),
        "truncated (header promises 2.0 s",
    ),
    "truncated_aiff": (
        lambda p: chop(_wav(p, sine(seconds=2.0), name="bad.aiff"), 0.3),
        "truncated (header promises 2.0 s",
    ),
    "truncated_flac": (
        lambda p: chop(_wav(p, sine(seconds=3.0), name="bad.flac"), 0.5),
        "damaged or truncated (only 1.",  # cut at 1.5 s; located to within 0.2 s
    ),
    "truncated_mp3_xing": (
        lambda p: chop(_wav(p, sine(seconds=3.0), name="bad.mp3", format="MP3"), 0.5),
        "truncated (header promises 3.0 s",
    ),
    "nan": (lambda p: _with_bad_sample(p, np.nan), "NaN or infinite samples (first at 0.50 s)"),
    "inf": (lambda p: _with_bad_sample(p, -np.inf), "NaN or infinite samples (first at 0.50 s)"),
    "no_frames": (lambda p: _wav(p, np.zeros((2, 0), np.float32)), "contains no audio"),
    "18_channels": (
        lambda p: _wav(p, np.zeros((18, 100), np.float32)),
        "18 channels; syncready handles 1 to 8 (up to 7.1)",
    ),
    "rate_4k": (
        lambda p: _wav(p, sine(rate=4000), rate=4000),
        "sample rate 4000 Hz is outside 8 kHz to 384 kHz",
    ),
    "rate_400k": (
        lambda p: _wav(p, sine(rate=400000, seconds=0.01), rate=400000),
        "sample rate 400000 Hz is outside",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_inputs_raise_one_line_errors(tmp_path, case):
    make, expected = BAD_INPUTS[case]
    path = make(tmp_path)
    with pytest.raises(BadInputError) as caught:
        audio.load(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_mp3_streams_correctly_in_small_blocks(tmp_path):
    # libsndfile 1.2.2 returns zeros after the first of several reads of this file.
    x = sine(seconds=2.0)
    path = write_sf(tmp_path / "a.mp3", x, 48000, format="MP3")
    parts = list(audio.blocks(path, block_frames=1000))
    y = np.concatenate(parts, axis=1)
    np.testing.assert_array_equal(y, audio.load(path).samples)
    assert abs(rms_db(y[0, 4800:-4800]) - rms_db(x[0, 4800:-4800])) < 0.5


def test_mp3_without_xing_tag_is_not_called_truncated(tmp_path):
    # Without a Xing/Info tag libsndfile estimates the length; probe counts it exactly.
    x = sine(rate=44100, seconds=1.0)
    with av.open(str(tmp_path / "a.mp3"), "w", format="mp3", options={"write_xing": "0"}) as c:
        stream = c.add_stream("libmp3lame", rate=44100, layout="stereo")
        for start in range(0, x.shape[1], 1152):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(x[:, start : start + 1152]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = 44100, start
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode(None):
            c.mux(packet)
    loaded = audio.load(tmp_path / "a.mp3")
    assert loaded.frames == loaded.source.frames and abs(loaded.frames - x.shape[1]) < 3000


def test_permission_denied(tmp_path, monkeypatch):
    path = _wav(tmp_path, sine(), name="locked.flac")
    if os.geteuid() != 0:
        path.chmod(0)
    else:  # root reads anything: simulate the refusal
        real_open = builtins.open

        def refusing_open(file, *args, **kwargs):
            if os.fspath(file) == os.fspath(path):
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", refusing_open)
    with pytest.raises(BadInputError, match="locked.flac: cannot read: permission denied$"):
        audio.probe(path)


def test_blocks_notices_a_file_cut_after_probing(tmp_path):
    path = _wav(tmp_path, sine(seconds=2.0), subtype="PCM_16")
    info = audio.probe(path)
    chop(path, 0.5)
    with pytest.raises(BadInputError, match="truncated"):
        list(audio.blocks(path, info=info))


# --------------------------------------------------------------------------- writing


def test_resample_keeps_level_and_exact_length():
    x = sine(rate=44100, seconds=1.0, channels=2)
    src = Audio(x, 44100)
    out = audio.resample(src, 48000)
    assert out.sample_rate == 48000 and out.frames == 48000
    assert audio.resample(src, 44100) is src
    middle = slice(4800, -4800)
    assert abs(rms_db(out.samples[0, middle]) - rms_db(x[0, 4410:-4410])) < 0.05


def test_save_resamples_44k1_to_48k(tmp_path):
    x = sine(rate=44100, seconds=1.0, channels=2)
    info = audio.save(Audio(x, 44100), tmp_path / "out.wav", sample_rate=48000.0)
    assert (info.sample_rate, info.frames, info.codec) == (48000, 48000, "PCM_24")
    y = audio.load(tmp_path / "out.wav").samples
    for ch in range(2):
        assert abs(rms_db(y[ch, 4800:-4800]) - rms_db(x[ch, 4410:-4410])) < 0.05


def test_tpdf_dither_keeps_a_sine_below_one_lsb(tmp_path):
    rate, lsb = 48000, 2.0**-15
    x = sine(rate=rate, seconds=1.0, channels=1, amp=10 ** (-100 / 20))  # 0.33 LSB peak
    audio.save(Audio(x, rate), tmp_path / "quiet.wav", bit_depth=16)
    y = audio.load(tmp_path / "quiet.wav").samples[0].astype(np.float64)
    error = (y - x[0]) / lsb
    # TPDF: total error variance = 1/12 (rounding) + 2/12 (dither) LSB^2 -> RMS 0.5 LSB
    assert 0.45 < np.sqrt(np.mean(error**2)) < 0.55
    # The sine survives (undithered rounding would give silence) ...
    reference = np.sin(2 * np.pi * 1000 * np.arange(rate) / rate)
    amplitude = 2 * np.mean(y * reference)
    assert amplitude == pytest.approx(10 ** (-100 / 20), rel=0.1)
    # ... and the error is noise: uncorrelated with the signal, no harmonic spikes.
    assert abs(np.corrcoef(error, x[0])[0, 1]) < 0.02
    spectrum = np.abs(np.fft.rfft(error)) ** 2  # 1 Hz bins
    assert spectrum[[1000, 2000, 3000, 5000]].max() < 20 * np.median(spectrum)


def test_float_output_is_not_dithered_or_clipped(tmp_path):
    x = sine(amp=1e-6)
    x[0, 100] = 1.5
    audio.save(Audio(x, 48000), tmp_path / "f.wav", bit_depth=32)
    loaded = audio.load(tmp_path / "f.wav")
    assert loaded.source.codec == "FLOAT"
    np.testing.assert_array_equal(loaded.samples, x)


def test_integer_output_clips_overs(tmp_path):
    x = sine(amp=0.5)
    x[0, 100], x[1, 200] = 1.5, -2.0
    audio.save(Audio(x, 48000), tmp_path / "c.wav", bit_depth=16)
    y = audio.load(tmp_path / "c.wav").samples
    assert y[0, 100] == pytest.approx(1 - 2**-15) and y[1, 200] == -1.0


@pytest.mark.parametrize(("subtype", "bit_depth"), [("PCM_16", 16), ("PCM_16", 24), ("PCM_24", 24)])
def test_samples_on_the_output_grid_are_copied_bit_exact(tmp_path, subtype, bit_depth):
    src = audio.load(_wav(tmp_path, sine(), name="in.flac", subtype=subtype))
    audio.save(src, tmp_path / "out.wav", bit_depth=bit_depth)
    np.testing.assert_array_equal(audio.load(tmp_path / "out.wav").samples, src.samples)


def test_dithered_output_is_reproducible(tmp_path):
    a = Audio(sine(), 48000)
    first = audio.save(a, tmp_path / "a.flac", bit_depth=16)
    second = audio.save(a, tmp_path / "b.flac", bit_depth=16)
    assert first.sha256 == second.sha256
    other = audio.save(a, tmp_path / "c.flac", bit_depth=16, rng=np.random.default_rng(5))
    assert other.sha256 != first.sha256


def test_save_formats_and_multichannel(tmp_path):
    x = sine(channels=6)
    wav = audio.save(Audio(x, 48000), tmp_path / "six.wav", bit_depth=24)
    flac = audio.save(Audio(x, 48000), tmp_path / "six.FLAC", bit_depth=16)
    assert (wav.container, wav.codec, wav.channels) == ("WAV", "PCM_24", 6)
    assert (flac.container, flac.codec, flac.channels) == ("FLAC", "PCM_16", 6)
    assert "WAVE_FORMAT_EXTENSIBLE" in sf.info(tmp_path / "six.wav").extra_info


def test_save_is_atomic(tmp_path, monkeypatch):
    audio.save(Audio(sine(), 48000), tmp_path / "ok.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.wav"]

    def failing_write(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sf.SoundFile, "write", failing_write)
    with pytest.raises(UsageError, match="full.wav: cannot write: no space left on device"):
        audio.save(Audio(sine(), 48000), tmp_path / "full.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.wav"]


def test_save_refuses_inputs_and_existing_files(tmp_path):
    a = Audio(sine(), 48000)
    source = _wav(tmp_path, sine(), name="song.wav")
    original = source.read_bytes()
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.wav").symlink_to(source)
    os.link(source, tmp_path / "hard.wav")
    for target in [source, tmp_path / "sub" / ".." / "song.wav", tmp_path / "link.wav"]:
        with pytest.raises(UsageError, match="is an input file"):
            audio.save(a, target, protect=[source], overwrite=True)
    with pytest.raises(UsageError, match="is an input file"):
        audio.save(a, tmp_path / "hard.wav", protect=[str(source)], overwrite=True)
    with pytest.raises(UsageError, match="song.wav: already exists"):
        audio.save(a, source)
    assert source.read_bytes() == original
    info = audio.save(a, source, overwrite=True)
    assert info.sha256 != hashlib.sha256(original).hexdigest()


def test_save_creates_a_missing_folder(tmp_path):
    info = audio.save(Audio(sine(), 48000), tmp_path / "new" / "out.wav")
    assert info.frames == sine().shape[1]


@pytest.mark.parametrize(
    ("name", "kwargs", "expected"),
    [
        ("out.mp3", {}, "can only write .wav or .flac"),
        ("out.wav", {"bit_depth": 20}, "bit depth 20 is not supported"),
        ("out.flac", {"bit_depth": 32}, "FLAC holds at most 24 bits"),
        ("out.wav", {"sample_rate": 4000}, "sample rate 4000 Hz is outside"),
    ],
)
def test_save_usage_errors(tmp_path, name, kwargs, expected):
    with pytest.raises(UsageError, match=expected):
        audio.save(Audio(sine(), 48000), tmp_path / name, **kwargs)
