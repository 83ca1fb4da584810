"""Reading, validating, resampling and writing audio files.

Conventions
-----------
* Samples are ``float32`` arrays of shape ``(channels, frames)``, C-contiguous, with
  full scale at +-1.0 (an integer PCM file's most negative code reads as exactly -1.0).
* Channels keep the order they have in the file (WAV/FLAC order for 5.1 is L, R, C,
  LFE, Ls, Rs); nothing is remixed, and the sample rate is never changed on reading.
* Times in messages and properties are in seconds; rates in Hz; lengths in frames
  (one frame = one sample of every channel).

Which library reads what
------------------------
* **libsndfile** (:mod:`soundfile`) opens WAV (8/16/24/32-bit integer, 32/64-bit float,
  WAVE_FORMAT_EXTENSIBLE), RF64, AIFF, FLAC, Ogg Vorbis/Opus and MP3, and reads all of
  them but MP3. It is tried first: it reads exactly, streams cheaply and reports
  precise lengths. The frame count in a WAV/RF64/AIFF header is checked against the
  data actually present, so a cut-off download is reported as truncated instead of
  silently reading short.
* **PyAV** (FFmpeg) reads everything libsndfile cannot open (M4A/AAC, ALAC, Opus in
  WebM/Matroska, WMA, ...). Containers often state no length or an approximate one, so
  :func:`probe` decodes the first audio stream once to count its frames exactly; when
  the container states the length in samples (MP4 edit lists) it is used to drop the
  encoder's padding. Decoded frames are converted to float with
  ``av.AudioResampler(format="fltp")`` at the native rate and channel layout, so the
  conversion never resamples or remixes.
* **MP3** is described by libsndfile (codec ``MPEG_LAYER_III``) but decoded by PyAV:
  libsndfile 1.2.2 returns wrong samples when an MP3 is read in several calls (zeros
  after the first read for some VBR files), and its MP3 length is only an estimate when
  the file has no Xing/Info/VBRI tag. :func:`probe` decodes MP3s once to count their
  frames (fast: hundreds of times real time); when a tag states the length, a
  shortfall is reported as truncation.

Every problem with an input file surfaces as :class:`~syncready.errors.BadInputError`
with a one-line message that names the file; library exceptions never escape.

Writing
-------
:func:`save` writes WAV (RF64 beyond 4 GiB, WAVE_FORMAT_EXTENSIBLE above two channels)
or FLAC through a temporary file in the destination folder and an atomic rename.
Integer output (16 or 24 bit) gets TPDF dither of +-1 LSB (the sum of two independent
uniform variables of +-0.5 LSB, triangular density), added before rounding and
clipping, so the quantisation error is signal-independent noise rather than
distortion. Dither is skipped when the samples already lie exactly on the output grid
(e.g. a 16-bit source written at 16 or 24 bits), which keeps such copies bit-exact.
32-bit output is IEEE float and is written without dither or clipping.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
import stat
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import soxr
from numba import njit

from syncready.digest import file_sha256
from syncready.errors import BadInputError, UsageError
from syncready.outputs import atomic_path
from syncready.workers import per_channel

# FFmpeg prints its own notes on damaged input ("Illegal Audio-MPEG-Header...") beside the one
# error line; only a panic may print. Failures still raise, with FFmpeg's last error attached.
av.logging.set_level(av.logging.PANIC)

__all__ = [
    "LOSSY_CODECS",
    "MAX_CHANNELS",
    "MAX_SAMPLE_RATE",
    "MIN_SAMPLE_RATE",
    "Audio",
    "SourceInfo",
    "blocks",
    "load",
    "probe",
    "resample",
    "save",
]

MIN_SAMPLE_RATE = 8_000
"""Lowest accepted sample rate, Hz."""
MAX_SAMPLE_RATE = 384_000
"""Highest accepted sample rate, Hz."""
MAX_CHANNELS = 8
"""Most channels accepted (7.1)."""

LOSSY_CODECS: frozenset[str] = frozenset(
    {
        # libsndfile subtypes
        "VORBIS", "OPUS", "MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III",
        "ULAW", "ALAW", "IMA_ADPCM", "MS_ADPCM", "VOX_ADPCM", "GSM610",
        "G721_32", "G723_24", "G723_40", "NMS_ADPCM_16", "NMS_ADPCM_24", "NMS_ADPCM_32",
        # FFmpeg decoder names
        "aac", "aac_fixed", "aac_latm", "mp1", "mp1float", "mp2", "mp2float", "mp3",
        "mp3float", "vorbis", "opus", "libopus", "ac3", "ac3_fixed", "eac3", "dca",
        "wmav1", "wmav2", "wmapro", "wmavoice", "atrac3", "atrac3plus", "cook",
        "amrnb", "amrwb", "gsm", "gsm_ms", "pcm_mulaw", "pcm_alaw", "speex", "ra_144",
        "ra_288", "nellymoser", "qdm2",
    }
)
"""Codec names (libsndfile subtypes and FFmpeg decoder names) that discard information.

For PyAV sources a codec missing from this set still counts as lossy when FFmpeg's
codec descriptor says so.
"""

_SOUNDFILE_SUBTYPES = frozenset(sf.available_subtypes())
_MPEG_SUBTYPES = frozenset({"MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III"})
# Subtypes with a fixed number of bytes per frame: their header length can be checked.
_FIXED_SIZE_SUBTYPES = frozenset(
    {"PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"}
)
_CONTAINER_ALIASES = {"WAVEX": "WAV"}
_READ_BLOCK = 1 << 16  # frames libsndfile decodes per call (sets how closely damage is located)
_MPEG_SUFFIXES = (".mp3", ".mp2", ".mpga")
_READ_ERRORS = (sf.SoundFileError, av.FFmpegError, OSError, ValueError, RuntimeError)
_WRITE_BLOCK = 1 << 18  # frames quantised and written at a time
_WAV_DATA_LIMIT = 0xFFFF_FFFF - (1 << 16)  # bytes of audio beyond which WAV becomes RF64
_DITHER_SEED = 0
_MPEG_FRAME_SAMPLES = 1152


@dataclass(frozen=True)
class SourceInfo:
    """Facts about an audio file, as established by :func:`probe`.

    Attributes
    ----------
    path : str or None
        The path as given by the caller.
    container : str
        Upper-case short container name: ``"WAV"``, ``"RF64"``, ``"AIFF"``, ``"FLAC"``,
        ``"OGG"``, ``"MP3"``, ``"M4A"``, ``"WEBM"``...
    codec : str
        libsndfile subtype (``"PCM_24"``, ``"FLOAT"``, ``"VORBIS"``,
        ``"MPEG_LAYER_III"``...) or FFmpeg decoder name (``"aac"``, ``"alac"``...).
    sample_rate : int
        Sample rate, Hz.
    channels : int
        Number of channels.
    frames : int
        Length in frames (samples per channel).
    bit_depth : int or None
        Bits per sample of lossless codecs (32 or 64 for float); None for lossy codecs.
    lossy : bool
        Whether the codec discards information (see :data:`LOSSY_CODECS`).
    sha256 : str
        Hex SHA-256 digest of the file's bytes.
    """

    path: str | None
    container: str
    codec: str
    sample_rate: int
    channels: int
    frames: int
    bit_depth: int | None
    lossy: bool
    sha256: str

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate

    def to_dict(self) -> dict:
        """Plain JSON-able dict of all fields plus ``duration_s`` (seconds)."""
        return {**dataclasses.asdict(self), "duration_s": self.duration_s}

    @classmethod
    def from_dict(cls, d: dict) -> SourceInfo:
        """Rebuild from :meth:`to_dict` output (``duration_s`` is derived, so ignored)."""
        return cls(**{f.name: d[f.name] for f in dataclasses.fields(cls)})


@dataclass(frozen=True, eq=False)
class Audio:
    """Audio samples in memory.

    Parameters
    ----------
    samples : numpy.ndarray
        Shape ``(channels, frames)``; stored as C-contiguous float32 (converted if
        needed), full scale +-1.0.
    sample_rate : int
        Sample rate, Hz.
    source : SourceInfo or None
        The file the samples came from, kept through processing as provenance (its
        rate is the file's, which may differ from ``sample_rate`` after resampling).

    Notes
    -----
    Instances compare by identity: equality of sample arrays is not a cheap question.
    """

    samples: np.ndarray
    sample_rate: int
    source: SourceInfo | None = None

    def __post_init__(self) -> None:
        samples = np.ascontiguousarray(self.samples, dtype=np.float32)
        if samples.ndim != 2:
            raise ValueError(f"samples must have shape (channels, frames), got {samples.shape}")
        if int(self.sample_rate) != self.sample_rate or self.sample_rate <= 0:
            raise ValueError(f"sample_rate must be a positive integer, got {self.sample_rate}")
        object.__setattr__(self, "samples", samples)
        object.__setattr__(self, "sample_rate", int(self.sample_rate))

    @property
    def channels(self) -> int:
        """Number of channels."""
        return self.samples.shape[0]

    @property
    def frames(self) -> int:
        """Length in frames."""
        return self.samples.shape[1]

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


# --------------------------------------------------------------------------- reading


def probe(path: str | os.PathLike) -> SourceInfo:
    """Validate an audio file and describe it, without keeping its samples.

    Checks that the file exists, is readable, non-empty and decodable, has 1 to
    :data:`MAX_CHANNELS` channels, a rate from :data:`MIN_SAMPLE_RATE` to
    :data:`MAX_SAMPLE_RATE` Hz and at least one frame, and that a WAV/RF64/AIFF holds
    as many frames as its header promises. Sample values are checked by :func:`blocks`.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    SourceInfo

    Raises
    ------
    BadInputError
        With a one-line message naming the file.

    Notes
    -----
    Cost: the whole file is read once for the hash; MP3s and files read through PyAV
    are also decoded once to count their frames (see the module notes).
    """
    name = os.fspath(path)
    _check_regular_file(name)
    sha256 = _sha256(name)
    info = _probe_soundfile(name, sha256)
    if info is None or info.frames == 0:
        info = _probe_pyav(name, sha256) or info
    if info is None:
        raise BadInputError(f"{name}: not an audio file (cannot be decoded)")
    if not 1 <= info.channels <= MAX_CHANNELS:
        raise BadInputError(
            f"{name}: {info.channels} channels; syncready handles 1 to {MAX_CHANNELS} (up to 7.1)"
        )
    if not MIN_SAMPLE_RATE <= info.sample_rate <= MAX_SAMPLE_RATE:
        raise BadInputError(
            f"{name}: sample rate {info.sample_rate} Hz is outside "
            f"{MIN_SAMPLE_RATE // 1000} kHz to {MAX_SAMPLE_RATE // 1000} kHz"
        )
    if info.frames == 0:
        raise BadInputError(f"{name}: contains no audio (0 samples)")
    return info


def blocks(
    path: str | os.PathLike, *, block_frames: int = 2**19, info: SourceInfo | None = None
) -> Iterator[np.ndarray]:
    """Stream a file's samples in order, block by block.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    block_frames : int
        Frames per block; every block but the last has exactly this many.
    info : SourceInfo or None
        The file's :func:`probe` result, if already known (saves hashing again).

    Yields
    ------
    numpy.ndarray
        float32, shape ``(channels, n)``, C-contiguous. In total exactly
        ``info.frames`` frames.

    Raises
    ------
    BadInputError
        If a sample is NaN or infinite (the message gives the time of the first one),
        if the file holds fewer frames than promised (truncated), or if decoding fails
        part-way. Like every check here, this happens while iterating: a block is only
        yielded once it has passed.
    """
    if block_frames < 1:
        raise ValueError(f"block_frames must be at least 1, got {block_frames}")
    name = os.fspath(path)
    if info is None:
        info = probe(name)
    else:
        _check_regular_file(name)
    if info.codec in _SOUNDFILE_SUBTYPES and info.codec not in _MPEG_SUBTYPES:
        decoded = _soundfile_chunks(name)
    else:
        decoded = _pyav_chunks(name, info.channels)
    yield from _rebuffer(_checked(decoded, name, info), block_frames)


def load(path: str | os.PathLike) -> Audio:
    """Read a whole file into memory.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    Audio
        Samples at the file's own rate, with ``source`` set to the :func:`probe` result.

    Raises
    ------
    BadInputError
        As :func:`probe` and :func:`blocks`.
    """
    info = probe(path)
    samples = np.empty((info.channels, info.frames), dtype=np.float32)
    pos = 0
    for block in blocks(path, info=info):
        samples[:, pos : pos + block.shape[1]] = block
        pos += block.shape[1]
    return Audio(samples, info.sample_rate, info)


def _check_regular_file(name: str) -> None:
    try:
        st = os.stat(name)
    except FileNotFoundError as exc:
        raise BadInputError(f"{name}: file not found") from exc
    except OSError as exc:
        raise _os_error(name, exc) from exc
    if stat.S_ISDIR(st.st_mode):
        raise BadInputError(f"{name}: is a folder, not an audio file")
    if not stat.S_ISREG(st.st_mode):
        raise BadInputError(f"{name}: not a regular file")
    if st.st_size == 0:
        raise BadInputError(f"{name}: file is empty (0 bytes)")


def _sha256(name: str) -> str:
    try:
        return file_sha256(name)
    except OSError as exc:
        raise _os_error(name, exc) from exc


def _os_error(name: str, exc: OSError) -> BadInputError:
    if isinstance(exc, PermissionError):
        return BadInputError(f"{name}: cannot read: permission denied")
    reason = (exc.strerror or str(exc)).lower()
    return BadInputError(f"{name}: cannot read: {reason}")


def _truncated_message(name: str, promised: int, holds: int, rate: int) -> str:
    promised_s, holds_s = f"{promised / rate:.1f} s", f"{holds / rate:.1f} s"
    if promised_s == holds_s:  # a few frames short: seconds would read as equal
        promised_s, holds_s = f"{promised} samples", f"{holds}"
    return f"{name}: truncated (header promises {promised_s}, data holds {holds_s})"


def _bit_depth_from_name(codec: str) -> int | None:
    """Bits per sample from a lossless codec name ("PCM_24" -> 24, "pcm_s24le" -> 24)."""
    if codec.upper() in ("FLOAT", "DOUBLE"):
        return 32 if codec.upper() == "FLOAT" else 64
    match = re.search(r"_[SU]?(\d+)$", codec) or re.match(r"pcm_[suf](\d+)", codec)
    return int(match.group(1)) if match else None


def _probe_soundfile(name: str, sha256: str) -> SourceInfo | None:
    """Describe a file libsndfile can open; None if it cannot (or, named as MPEG audio, does
    not start like it: libsndfile's MPEG decoder prints notes of its own on such a file)."""
    if Path(name).suffix.lower() in _MPEG_SUFFIXES and not _starts_like_mpeg(name):
        return None
    try:
        with sf.SoundFile(name) as f:
            container = _CONTAINER_ALIASES.get(f.format, f.format)
            codec, rate, channels, frames = f.subtype, f.samplerate, f.channels, f.frames
    except sf.SoundFileError:
        return None
    except OSError as exc:
        raise _os_error(name, exc) from exc
    promised, slack = None, 0
    if codec in _MPEG_SUBTYPES:
        if _has_mpeg_length_tag(name):
            promised, slack = frames, _MPEG_FRAME_SAMPLES  # forgive one MPEG frame
        frames = _pyav_frames(name, rate, channels)
    elif codec in _FIXED_SIZE_SUBTYPES:
        promised = _header_frames(name, container)
    if promised is not None and promised - slack > frames:
        raise BadInputError(_truncated_message(name, promised, frames, rate))
    lossy = codec in LOSSY_CODECS
    return SourceInfo(
        path=name,
        container=container,
        codec=codec,
        sample_rate=rate,
        channels=channels,
        frames=frames,
        bit_depth=None if lossy else _bit_depth_from_name(codec),
        lossy=lossy,
        sha256=sha256,
    )


def _starts_like_mpeg(name: str) -> bool:
    """Whether a file begins with an ID3v2 tag or an MPEG audio frame sync (11 set bits)."""
    try:
        with open(name, "rb") as f:
            head = f.read(3)
    except OSError as exc:
        raise _os_error(name, exc) from exc
    return head == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _has_mpeg_length_tag(name: str) -> bool:
    """Whether an MPEG audio file states its length (Xing/Info/VBRI tag in the first frame)."""
    try:
        with open(name, "rb") as f:
            head = f.read(10)
            if head[:3] == b"ID3" and len(head) == 10:  # skip an ID3v2 tag (syncsafe size)
                size = int.from_bytes(bytes(b & 0x7F for b in head[6:10]), "big")
                f.seek(10 + size + (10 if head[5] & 0x10 else 0))
            else:
                f.seek(0)
            first = f.read(4096)
    except OSError as exc:
        raise _os_error(name, exc) from exc
    return any(tag in first for tag in (b"Xing", b"Info", b"VBRI"))


def _header_frames(name: str, container: str) -> int | None:
    """Frames a WAV/RF64/AIFF header promises; None when unknown or not applicable."""
    try:
        with open(name, "rb") as f:
            if container in ("WAV", "RF64"):
                return _riff_frames(f)
            if container == "AIFF":
                return _aiff_frames(f)
    except (OSError, struct.error):
        return None
    return None


def _riff_frames(f) -> int | None:
    riff, _, wave = struct.unpack("<4sI4s", f.read(12))
    if riff not in (b"RIFF", b"RF64", b"BW64") or wave != b"WAVE":
        return None
    block_align = ds64_data_size = None
    while len(header := f.read(8)) == 8:
        chunk_id, size = struct.unpack("<4sI", header)
        if chunk_id == b"data":
            if size == 0xFFFF_FFFF:  # RF64: real size in ds64; plain WAV: streamed, unknown
                size = ds64_data_size
            if not size or not block_align:
                return None
            return size // block_align
        body = f.read(size + (size & 1))
        if chunk_id == b"fmt ":
            (block_align,) = struct.unpack_from("<H", body, 12)
        elif chunk_id == b"ds64":
            (ds64_data_size,) = struct.unpack_from("<Q", body, 8)
    return None


def _aiff_frames(f) -> int | None:
    form, _, kind = struct.unpack(">4sI4s", f.read(12))
    if form != b"FORM" or kind not in (b"AIFF", b"AIFC"):
        return None
    while len(header := f.read(8)) == 8:
        chunk_id, size = struct.unpack(">4sI", header)
        if chunk_id == b"COMM":
            _, frames = struct.unpack(">hI", f.read(6))
            return frames
        f.seek(size + (size & 1), os.SEEK_CUR)
    return None


def _probe_pyav(name: str, sha256: str) -> SourceInfo | None:
    """Describe a file FFmpeg can open, decoding it once; None if it cannot be opened."""
    try:
        container = av.open(name, metadata_errors="ignore")
    except _READ_ERRORS:
        return None
    with container:
        if not container.streams.audio:
            raise BadInputError(f"{name}: has no audio stream")
        stream = container.streams.audio[0]
        context = stream.codec_context
        rate, channels = context.sample_rate, context.channels
        if rate <= 0 or channels <= 0:
            return None
        decoded, sample_bits = _decode_to_end(name, container, rate, channels)
        frames = decoded
        if stream.time_base == Fraction(1, rate) and stream.duration:
            frames = min(decoded, stream.duration)  # sample-exact length: drop padding
        codec = context.name
        lossy = codec in LOSSY_CODECS or context.codec.lossy
        bit_depth = None
        if not lossy:
            extradata = context.extradata or b""
            if codec == "alac" and len(extradata) >= 36:
                bit_depth = extradata[17]  # ALACSpecificConfig bitDepth
            else:
                bit_depth = _bit_depth_from_name(codec) or sample_bits
        names = container.format.name.split(",")
        suffix = Path(name).suffix.lower().lstrip(".")
        return SourceInfo(
            path=name,
            container=(suffix if suffix in names else names[0]).upper(),
            codec=codec,
            sample_rate=rate,
            channels=channels,
            frames=frames,
            bit_depth=bit_depth,
            lossy=lossy,
            sha256=sha256,
        )


def _pyav_frames(name: str, rate: int, channels: int) -> int:
    """Frames FFmpeg decodes from a file's first audio stream."""
    try:
        container = av.open(name, metadata_errors="ignore")
    except _READ_ERRORS as exc:
        raise BadInputError(f"{name}: not an audio file (cannot be decoded)") from exc
    with container:
        if not container.streams.audio:
            raise BadInputError(f"{name}: has no audio stream")
        return _decode_to_end(name, container, rate, channels)[0]


def _decode_to_end(
    name: str, container: av.container.InputContainer, rate: int, channels: int
) -> tuple[int, int | None]:
    """Decode the first audio stream: (frames, bits per decoded sample)."""
    decoded, sample_bits = 0, None
    try:
        for frame in container.decode(container.streams.audio[0]):
            if (frame.sample_rate, frame.layout.nb_channels) != (rate, channels):
                raise BadInputError(
                    f"{name}: sample rate or channel count changes mid-stream; not supported"
                )
            decoded += frame.samples
            sample_bits = sample_bits or 8 * frame.format.bytes
    except _READ_ERRORS as exc:
        if decoded == 0:
            raise BadInputError(f"{name}: not an audio file (cannot be decoded)") from exc
        raise BadInputError(
            f"{name}: damaged or truncated (decoding fails after {decoded / rate:.1f} s)"
        ) from exc
    return decoded, sample_bits


def _checked(chunks: Iterator[np.ndarray], name: str, info: SourceInfo) -> Iterator[np.ndarray]:
    """Pass decoded chunks on, up to ``info.frames``, raising on bad samples or data."""
    done = 0
    try:
        while done < info.frames:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except _READ_ERRORS as exc:
                if isinstance(exc, OSError) and not isinstance(exc, av.FFmpegError):
                    raise _os_error(name, exc) from exc
                raise BadInputError(
                    f"{name}: damaged or truncated (only {done / info.sample_rate:.1f} s "
                    f"of {info.duration_s:.1f} s can be decoded)"
                ) from exc
            chunk = chunk[:, : info.frames - done]
            # a float64 sum cannot overflow on float32 data: it is finite iff every sample is
            if not np.isfinite(chunk.sum(dtype=np.float64)):
                first = done + int(np.argmin(np.isfinite(chunk).all(axis=0)))
                raise BadInputError(
                    f"{name}: contains NaN or infinite samples "
                    f"(first at {first / info.sample_rate:.2f} s)"
                )
            yield chunk
            done += chunk.shape[1]
    finally:
        chunks.close()
    if done < info.frames:
        raise BadInputError(_truncated_message(name, info.frames, done, info.sample_rate))


def _soundfile_chunks(name: str) -> Iterator[np.ndarray]:
    with sf.SoundFile(name) as f:
        while len(data := f.read(_READ_BLOCK, dtype="float32", always_2d=True)):
            yield data.T


def _pyav_chunks(name: str, channels: int) -> Iterator[np.ndarray]:
    with av.open(name, metadata_errors="ignore") as container:
        to_float = av.AudioResampler(format="fltp")
        frames = container.decode(container.streams.audio[0])
        for frame in itertools.chain(frames, [None]):  # None flushes the converter
            for converted in to_float.resample(frame):
                data = converted.to_ndarray()
                if data.shape[0] != channels:
                    raise ValueError("channel count changed mid-stream")
                yield data


def _rebuffer(chunks: Iterator[np.ndarray], block_frames: int) -> Iterator[np.ndarray]:
    """Regroup (channels, n) arrays of any length and layout into C-contiguous blocks.

    Each sample is copied once, straight into a fresh block of ``block_frames`` frames
    (the last block holds what is left).
    """
    block, filled = None, 0
    try:
        for chunk in chunks:
            pos = 0
            while pos < chunk.shape[1]:
                if block is None:
                    block, filled = np.empty((chunk.shape[0], block_frames), np.float32), 0
                take = min(block_frames - filled, chunk.shape[1] - pos)
                block[:, filled : filled + take] = chunk[:, pos : pos + take]
                filled, pos = filled + take, pos + take
                if filled == block_frames:
                    yield block
                    block = None
        if block is not None:
            yield np.ascontiguousarray(block[:, :filled])
    finally:
        chunks.close()


# --------------------------------------------------------------------------- processing


def resample(audio: Audio, sample_rate: int) -> Audio:
    """Change the sample rate with soxr at its very-high-quality setting.

    Parameters
    ----------
    audio : Audio
        The input.
    sample_rate : int
        Target rate, Hz.

    Returns
    -------
    Audio
        ``round(frames * sample_rate / audio.sample_rate)`` frames at the new rate,
        same ``source``; ``audio`` itself when the rate is already right.
    """
    if sample_rate == audio.sample_rate:
        return audio
    if int(sample_rate) != sample_rate or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer, got {sample_rate}")
    rows = per_channel(lambda c: soxr.resample(audio.samples[c], audio.sample_rate, int(sample_rate), quality="VHQ"),
                       audio.channels)
    return Audio(np.stack(rows), int(sample_rate), audio.source)


# --------------------------------------------------------------------------- writing


def save(
    audio: Audio,
    path: str | os.PathLike,
    *,
    sample_rate: int | None = None,
    bit_depth: int = 24,
    protect: Iterable[str | os.PathLike] = (),
    overwrite: bool = False,
    rng: np.random.Generator | None = None,
) -> SourceInfo:
    """Write audio to a WAV or FLAC file, atomically.

    Parameters
    ----------
    audio : Audio
        Samples to write; must be finite.
    path : str or os.PathLike
        Destination; the suffix (``.wav`` or ``.flac``) picks the format. WAV data
        beyond 4 GiB is written as RF64, and WAV with more than two channels as
        WAVE_FORMAT_EXTENSIBLE.
    sample_rate : int or None
        Output rate, Hz (resampled with :func:`resample` if it differs); None keeps
        the audio's rate.
    bit_depth : int
        16 or 24 (integer PCM, TPDF-dithered, clipped to full scale) or 32 (float,
        WAV only, written as is).
    protect : iterable of paths
        Files that must never be written (the inputs); refused even with ``overwrite``.
    overwrite : bool
        Allow replacing an existing file.
    rng : numpy.random.Generator or None
        Dither source; None uses a fixed seed, so the same audio gives the same bytes.

    Returns
    -------
    SourceInfo
        :func:`probe` of the written file.

    Raises
    ------
    UsageError
        Unsupported suffix, bit depth, rate or channel count; destination protected,
        existing, a folder, or not writable (a missing folder is created).
    """
    target = Path(path)
    name = os.fspath(path)
    file_format = {".wav": "WAV", ".flac": "FLAC"}.get(target.suffix.lower())
    if file_format is None:
        raise UsageError(f"{name}: can only write .wav or .flac files")
    if bit_depth not in (16, 24, 32):
        raise UsageError(f"{name}: bit depth {bit_depth} is not supported; use 16, 24 or 32")
    if file_format == "FLAC" and bit_depth == 32:
        raise UsageError(f"{name}: FLAC holds at most 24 bits; use 16 or 24, or write a .wav")
    rate = audio.sample_rate if sample_rate is None else sample_rate
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise UsageError(
            f"{name}: sample rate {rate} Hz is outside "
            f"{MIN_SAMPLE_RATE // 1000} kHz to {MAX_SAMPLE_RATE // 1000} kHz"
        )
    if not 1 <= audio.channels <= MAX_CHANNELS:
        raise UsageError(f"{name}: {audio.channels} channels; syncready writes 1 to {MAX_CHANNELS}")
    if not np.isfinite(audio.samples).all():
        raise ValueError("audio to save contains NaN or infinite samples")

    with atomic_path(target, protect, overwrite=overwrite) as temp:
        audio = resample(audio, rate)
        subtype = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}[bit_depth]
        if file_format == "WAV":
            data_bytes = audio.frames * audio.channels * bit_depth // 8
            if data_bytes > _WAV_DATA_LIMIT:
                file_format = "RF64"
            elif audio.channels > 2:
                file_format = "WAVEX"
        dither = bit_depth < 32 and not _on_grid(audio.samples, bit_depth)
        rng = rng if rng is not None else np.random.default_rng(_DITHER_SEED)
        try:
            with sf.SoundFile(temp, "w", audio.sample_rate, audio.channels, subtype, format=file_format) as out:
                for start in range(0, audio.frames, _WRITE_BLOCK):
                    chunk = audio.samples[:, start : start + _WRITE_BLOCK]
                    out.write(_quantise(chunk, bit_depth, rng if dither else None).T)
        except (OSError, sf.SoundFileError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise UsageError(f"{name}: cannot write: {reason.lower()}") from exc
    return probe(target)


def quantised(samples: np.ndarray, bit_depth: int) -> np.ndarray:
    """``samples`` as a ``bit_depth``-bit file holds them: float32, full scale +-1.

    16 and 24: TPDF-dithered and rounded to the PCM grid, clipped to the code range, by
    :func:`save`'s own quantiser from its fixed seed (so the same samples give the
    same result); 32: float32 unchanged.
    :func:`save` writes samples already on the grid without touching them,
    and reading such a file gives them back bit for bit, so measuring the result of this
    function *is* measuring the written file, without reading it again.
    """
    x = np.ascontiguousarray(samples, dtype=np.float32)
    if bit_depth == 32:
        return x
    codes = _quantise(x, bit_depth, np.random.default_rng(_DITHER_SEED))
    full_scale = 2.0 ** (31 if bit_depth == 24 else 15)  # 24-bit codes sit in the top bytes of int32
    return codes.astype(np.float32) * np.float32(1.0 / full_scale)


def _on_grid(samples: np.ndarray, bit_depth: int) -> bool:
    """Whether every sample is exactly an integer code of ``bit_depth``-bit PCM."""
    scale = float(2 ** (bit_depth - 1))
    for start in range(0, samples.shape[1], _WRITE_BLOCK):
        scaled = samples[:, start : start + _WRITE_BLOCK].astype(np.float64) * scale
        in_range = scaled.min(initial=0.0) >= -scale and scaled.max(initial=0.0) <= scale - 1
        if not (in_range and np.array_equal(scaled, np.rint(scaled))):
            return False
    return True


def _quantise(
    chunk: np.ndarray, bit_depth: int, rng: np.random.Generator | None
) -> np.ndarray:
    """Turn float samples into what libsndfile writes losslessly for ``bit_depth``.

    32: float32 unchanged. 16: int16 codes. 24: the 24-bit codes in the top three
    bytes of int32 (libsndfile keeps the top 24 bits). With ``rng``, TPDF dither of
    +-1 LSB is added before rounding to every sample that is not already an exact code
    (an edit's untouched stretches keep their codes); clipping to the code range comes
    last. The dither comes from a xorshift generator seeded by ``rng``, in one compiled pass.
    """
    if bit_depth == 32:
        return chunk
    channels = chunk.shape[0]
    seeds = rng.integers(1, 2**63, size=channels, dtype=np.uint64) if rng is not None else np.zeros(channels, np.uint64)
    codes = np.empty(chunk.shape, np.int32)
    x = np.ascontiguousarray(chunk, dtype=np.float32)
    scale = float(2 ** (bit_depth - 1))
    per_channel(lambda c: _dither_round(x[c], scale, seeds[c], codes[c]), channels)
    if bit_depth == 16:
        return codes.astype(np.int16)
    return codes << 8


@njit(cache=True, nogil=True)
def _dither_round(x, scale, seed, out):  # pragma: no cover - compiled
    """``out = clip(rint(x * scale + d), -scale, scale - 1)`` for one channel, ``d`` TPDF of
    +-1 LSB (the difference of two uniforms from xorshift64*) for samples off the grid;
    seed 0: no dither."""
    state = seed
    lo, hi = -scale, scale - 1.0
    for i in range(x.shape[0]):
        v = np.float64(x[i]) * scale
        r = np.rint(v)
        if seed != 0 and v != r:
            pair = 0.0
            for k in range(2):
                state ^= state >> np.uint64(12)
                state ^= state << np.uint64(25)
                state ^= state >> np.uint64(27)
                u = np.float64((state * np.uint64(2685821657736338717)) >> np.uint64(11)) * (1.0 / 9007199254740992.0)
                pair += u if k == 0 else -u
            r = np.rint(v + pair)
        out[i] = np.int32(min(max(r, lo), hi))
