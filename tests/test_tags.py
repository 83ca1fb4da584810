"""Embedded tags (syncready.rights.tags / riff): WAV read back by wavinfo, MP3 and FLAC by mutagen."""

from __future__ import annotations

import datetime as dt
import os
import struct
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from mutagen.flac import FLAC
from mutagen.id3 import ID3, ID3NoHeaderError
from wavinfo import WavInfoReader

from conftest import music_like
from syncready.analysis.loudness import Loudness
from syncready.audio import Audio, load, save
from syncready.errors import BadInputError, UsageError
from syncready.rights import riff
from syncready.rights.record import load as load_record
from syncready.rights.tags import TagFields, fields_from_record, items, tag

RATE = 44100
FIELDS = TagFields(
    title="Café <Nights> & Days",
    artist="Ann Example",
    composers=["Ann Example", "Bo Writer"],
    lyricists=["Ann Example"],
    publishers=["Example Songs"],
    copyright="2025 Example Records",
    isrc="USABC2500001",
    iswc="T-034.524.680-1",
    lyrics="first line\nsecond line",
    bpm=119.6,
    key="A minor",
    genre="Cinematic",
    date=dt.date(2025, 3, 1),
    disclosure="AI: melody, arrangement (Suno v4); human: lyrics",
    originator="Example Records",
    version="main",
)
LOUDNESS = Loudness(
    integrated_lufs=-14.04, lra_lu=5.5, true_peak_dbtp=-1.02, sample_peak_dbfs=-1.5,
    max_momentary_lufs=-9.996, max_short_term_lufs=-11.5, true_peak_per_channel_dbtp=[],
    sample_peak_per_channel_dbfs=[], momentary_lufs=[], short_term_lufs=[],
)


def make_wav(path: Path, bit_depth: int = 24, seconds: float = 0.5) -> Path:
    save(Audio(music_like(seconds, RATE), RATE), path, bit_depth=bit_depth, overwrite=True)
    return path


def make_mp3(path: Path, seconds: float = 0.5) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mp3", rate=RATE, layout="stereo")
        frame = av.AudioFrame.from_ndarray(music_like(seconds, RATE), format="fltp", layout="stereo")
        frame.sample_rate = RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


def make_flac(path: Path, seconds: float = 0.5) -> Path:
    save(Audio(music_like(seconds, RATE), RATE), path, bit_depth=16, overwrite=True)
    return path


def data_bytes(path: Path) -> bytes:
    chunk = next(c for c in riff.read_chunks(path) if c.id == "data")
    return riff.read_chunk(path, chunk)


def keys(path: Path) -> list[str]:
    return [c.key for c in riff.read_chunks(path)]


# ----------------------------------------------------------------------------- WAV


@pytest.mark.parametrize("bit_depth", [16, 24, 32])
def test_wav_round_trip_read_by_wavinfo(tmp_path, bit_depth):
    path = make_wav(tmp_path / "song.wav", bit_depth)
    samples, data = sf.read(path, dtype="float64")[0], data_bytes(path)

    tag(path, FIELDS, loudness=LOUDNESS)

    reader = WavInfoReader(str(path), info_encoding="utf-8")
    bext = reader.bext
    assert bext.version == 2
    assert bext.description.startswith("Cafe <Nights> & Days - Ann Example; ISRC USABC2500001; AI: melody")
    assert bext.originator == "Example Records"
    assert bext.originator_ref == "USABC2500001"
    assert bext.originator_date == "2025-03-01"
    assert (bext.loudness_value, bext.loudness_range, bext.max_true_peak) == (-14.04, 5.5, -1.02)
    assert (bext.max_momentary_loudness, bext.max_shortterm_loudness) == (-10.0, -11.5)
    assert bext.coding_history == f"A=PCM,F={RATE},W={bit_depth},M=stereo,T=syncready 0.1.0\r\n"
    info = reader.info
    assert (info.title, info.artist, info.copyright) == (FIELDS.title, "Ann Example", "2025 Example Records")
    assert (info.comment, info.created_date, info.genre) == (FIELDS.disclosure, "2025-03-01", "Cinematic")
    assert info.software == "syncready 0.1.0"
    assert info.source is None  # INFO's ISRC field means "source": the ISRC never goes there
    ixml = reader.ixml
    assert (ixml.project, ixml.scene) == (FIELDS.title, "main")
    custom = ixml.raw_xml.find("SYNCREADY")
    assert [e.text for e in custom.findall("COMPOSER")] == ["Ann Example", "Bo Writer"]
    assert (custom.findtext("ISRC"), custom.findtext("ISWC")) == ("USABC2500001", "T-034.524.680-1")
    assert (custom.findtext("BPM"), custom.findtext("KEY")) == ("120", "Am")
    assert custom.findtext("AI_DISCLOSURE") == FIELDS.disclosure
    assert "ISRC: USABC2500001" in ixml.raw_xml.findtext("USER")

    assert data_bytes(path) == data
    assert np.array_equal(sf.read(path, dtype="float64")[0], samples)


def test_unknown_loudness_is_7fff(tmp_path):
    path = make_wav(tmp_path / "song.wav")
    tag(path, FIELDS)
    bext = riff.read_chunk(path, next(c for c in riff.read_chunks(path) if c.id == "bext"))
    assert struct.unpack_from("<5h", bext, 412) == (0x7FFF,) * 5


def test_retagging_replaces_and_keeps_time_reference(tmp_path):
    path = make_wav(tmp_path / "song.wav")
    tag(path, FIELDS, loudness=LOUDNESS)
    bext = next(c for c in riff.read_chunks(path) if c.id == "bext")
    with open(path, "r+b") as f:  # a DAW placed the file at 1 h (in samples)
        f.seek(bext.offset + 338)
        f.write(struct.pack("<Q", 3600 * RATE))

    tag(path, TagFields(title="New title", disclosure="human: everything"))

    assert keys(path) == ["fmt ", "bext", "iXML", "LIST/INFO", "data"]
    reader = WavInfoReader(str(path), info_encoding="utf-8")
    assert reader.info.title == "New title"
    assert reader.info.artist is None
    assert reader.bext.time_reference == 3600 * RATE
    assert reader.bext.coding_history.count("T=syncready") == 1
    assert reader.ixml.raw_xml.find("SYNCREADY").findtext("ISRC") is None


def test_strip_removes_wav_metadata_and_keeps_the_rest(tmp_path):
    path = make_wav(tmp_path / "song.wav")
    data = data_bytes(path)
    tag(path, FIELDS)
    insert_chunk(path, b"id3 ", b"ID3\x04" + b"\0" * 7, before_data=False)
    insert_chunk(path, b"cue ", struct.pack("<I", 0), before_data=True)

    tag(path, None, strip=True)

    assert keys(path) == ["fmt ", "cue ", "data"]
    assert data_bytes(path) == data
    reader = WavInfoReader(str(path))
    assert reader.bext is None and reader.ixml is None and reader.info is None


def insert_chunk(path: Path, ident: bytes, payload: bytes, *, before_data: bool) -> None:
    """Add a chunk by hand (before ``data`` or at the end), fixing the RIFF size; odd payloads padded."""
    raw = bytearray(path.read_bytes())
    chunk = ident + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)
    at = next(c for c in riff.read_chunks(path) if c.id == "data").offset - 8 if before_data else len(raw)
    raw[at:at] = chunk
    raw[4:8] = struct.pack("<I", len(raw) - 8)
    path.write_bytes(bytes(raw))


def test_odd_sized_chunks_survive_with_their_padding(tmp_path):
    path = make_wav(tmp_path / "song.wav")
    insert_chunk(path, b"abcd", b"xyz", before_data=True)
    insert_chunk(path, b"tail", b"12345", before_data=False)
    raw = path.read_bytes()
    path.write_bytes(raw[:-1])  # a writer that left out the final pad byte
    data = data_bytes(path)

    tag(path, FIELDS)

    chunks = riff.read_chunks(path)
    assert [c.key for c in chunks] == ["fmt ", "abcd", "bext", "iXML", "LIST/INFO", "data", "tail"]
    assert [riff.read_chunk(path, c) for c in chunks if c.id in ("abcd", "tail")] == [b"xyz", b"12345"]
    assert all(c.offset % 2 == 0 for c in chunks)
    size = path.stat().st_size
    assert size % 2 == 0 and struct.unpack("<I", path.read_bytes()[4:8])[0] == size - 8
    assert data_bytes(path) == data
    assert WavInfoReader(str(path)).bext.originator == "Example Records"


def test_tagged_copy_leaves_the_input_untouched(tmp_path):
    path = make_wav(tmp_path / "song.wav")
    before = path.read_bytes()
    out = tag(path, FIELDS, out=tmp_path / "out" / "tagged.wav")
    assert path.read_bytes() == before
    assert WavInfoReader(str(out)).bext is not None
    with pytest.raises(UsageError, match="input"):
        tag(path, FIELDS, out=path)


def test_in_place_keeps_permissions(tmp_path):
    path = make_wav(tmp_path / "song.wav")
    os.chmod(path, 0o644)
    tag(path, FIELDS)
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["song.wav"]  # no temporary file left


def test_rf64_is_refused(tmp_path):
    path = tmp_path / "big.wav"
    sf.write(path, music_like(0.2, RATE).T, RATE, format="RF64", subtype="PCM_16")
    before = path.read_bytes()
    with pytest.raises(UsageError, match="tagging RF64 is not supported"):
        tag(path, FIELDS)
    assert path.read_bytes() == before


def test_bext_text_is_ascii_and_cut_to_size():
    payload = riff.bext_payload(
        description="é" * 300, originator="Ø" + "x" * 40, originator_reference="", date="", time="",
        time_reference=0, loudness=[None, 1.0, -200.0, 400.0, None], coding_history="",
    )
    assert payload[:256] == b"e" * 256 and payload[256:258] == b"?x"
    assert struct.unpack_from("<5h", payload, 412) == (0x7FFF, 100, -20000, 0x7FFE, 0x7FFF)
    assert len(payload) == 602


# ----------------------------------------------------------------------------- MP3 and FLAC


def test_mp3_round_trip_id3v24(tmp_path):
    path = make_mp3(tmp_path / "song.mp3")
    samples = load(path).samples

    tag(path, FIELDS)

    tags = ID3(path)
    assert tags.version[:2] == (2, 4)
    assert tags["TIT2"].text == [FIELDS.title]
    assert tags["TPE1"].text == ["Ann Example"]
    assert tags["TCOM"].text == ["Ann Example", "Bo Writer"]
    assert tags["TEXT"].text == ["Ann Example"]
    assert tags["TPUB"].text == ["Example Songs"]
    assert tags["TCOP"].text == ["2025 Example Records"]
    assert tags["TSRC"].text == ["USABC2500001"]
    assert (tags["TBPM"].text, tags["TKEY"].text) == (["120"], ["Am"])
    assert tags["TXXX:ISWC"].text == ["T-034.524.680-1"]
    assert tags["TXXX:AI_DISCLOSURE"].text == [FIELDS.disclosure]
    assert tags.getall("USLT")[0].text == FIELDS.lyrics
    assert np.array_equal(load(path).samples, samples)

    tag(path, TagFields(title="Other", disclosure="human: everything"))
    tags = ID3(path)
    assert tags["TIT2"].text == ["Other"] and "TSRC" not in tags and "TXXX:ISWC" not in tags
    assert len(tags.getall("TIT2")) == 1

    tag(path, None, strip=True)
    with pytest.raises(ID3NoHeaderError):
        ID3(path)
    assert np.array_equal(load(path).samples, samples)


def test_flac_round_trip_vorbis_comments(tmp_path):
    path = make_flac(tmp_path / "song.flac")
    samples = load(path).samples

    tag(path, FIELDS)

    comments = FLAC(path).tags
    assert comments["TITLE"] == [FIELDS.title]
    assert comments["COMPOSER"] == ["Ann Example", "Bo Writer"]
    assert comments["LYRICIST"] == ["Ann Example"]
    assert comments["PUBLISHER"] == ["Example Songs"]
    assert (comments["ISRC"], comments["ISWC"]) == (["USABC2500001"], ["T-034.524.680-1"])
    assert (comments["BPM"], comments["KEY"]) == (["120"], ["Am"])
    assert comments["LYRICS"] == [FIELDS.lyrics]
    assert comments["AI_DISCLOSURE"] == [FIELDS.disclosure]
    assert np.array_equal(load(path).samples, samples)

    flac = FLAC(path)
    flac.tags["REPLAYGAIN_TRACK_GAIN"] = "-3.0 dB"  # not ours: kept on re-tagging
    flac.save()
    tag(path, TagFields(title="Other", disclosure="human: everything"))
    comments = FLAC(path).tags
    assert comments["TITLE"] == ["Other"] and "ISRC" not in comments
    assert comments["REPLAYGAIN_TRACK_GAIN"] == ["-3.0 dB"]

    tag(path, None, strip=True)
    assert not FLAC(path).tags
    assert np.array_equal(load(path).samples, samples)


# ----------------------------------------------------------------------------- bad input


def test_not_audio_is_bad_input_and_untouched(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_bytes(b"RIFF, but no audio in here at all" * 10)
    with pytest.raises(BadInputError, match="notes.wav"):
        tag(path, FIELDS)
    assert path.read_bytes() == b"RIFF, but no audio in here at all" * 10
    assert [p.name for p in tmp_path.iterdir()] == ["notes.wav"]


@pytest.mark.parametrize("make", [make_wav, make_mp3, make_flac])
def test_truncated_file_is_bad_input_and_untouched(tmp_path, make):
    path = make(tmp_path / f"song.{make.__name__.removeprefix('make_')}", seconds=2.0)
    cut = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(cut)
    with pytest.raises(BadInputError):
        tag(path, FIELDS)
    assert path.read_bytes() == cut


def test_unsupported_format_names_the_supported_ones(tmp_path):
    path = tmp_path / "song.ogg"
    sf.write(path, music_like(0.5, RATE).T, RATE, format="OGG", subtype="VORBIS")
    with pytest.raises(UsageError, match="WAV, MP3, FLAC"):
        tag(path, FIELDS)


# ----------------------------------------------------------------------------- fields


def test_fields_from_record(tmp_path):
    record_path = tmp_path / "song.rights.toml"
    record_path.write_text(
        """
[work]
title = "Night Drive"
iswc = "T-034.524.680-1"
lyrics = { text = "la la" }

[[work.writers]]
name = "Ann Example"
role = "composer_lyricist"
share = 50.0

[[work.writers]]
name = "Bo Writer"
role = "composer"
share = 50.0

[[work.publishers]]
name = "Example Songs"
share = 100.0

[master]
artist = "Ann Example"
label = "Example Records"
release_date = 2025-06-01
isrc = { main = "USABC2500001", cut30 = "USABC2500002" }

[[master.owners]]
name = "Example Records"
share = 100.0

[generation]
service = "Suno"
model = "v4"
date = 2025-01-10

[[contributions]]
element = "melody"
origin = "ai"

[[contributions]]
element = "lyrics"
origin = "human"
""",
        encoding="utf-8",
    )
    record = load_record(record_path)
    fields = fields_from_record(record, "cut30")
    assert fields.title == "Night Drive" and fields.version == "cut30"
    assert fields.isrc == "USABC2500002"
    assert fields.composers == ["Ann Example", "Bo Writer"] and fields.lyricists == ["Ann Example"]
    assert fields.publishers == ["Example Songs"]
    assert fields.copyright == "2025 Example Records"
    assert fields.date == dt.date(2025, 6, 1)
    assert fields.lyrics == "la la"
    assert fields.originator == "Example Records"
    assert fields.disclosure == record.disclosure_summary() and "Suno" in fields.disclosure
    assert fields_from_record(record, "tv_mix").isrc is None
    assert dict(items(fields))["ISWC"] == ["T-034.524.680-1"]
