"""Embedded metadata: what a track says about itself, written into WAV, MP3 and FLAC files.

:class:`TagFields` holds the values; :func:`fields_from_record` fills it from a rights record
(and, optionally, the track's analysis); :func:`tag` writes them, or removes them all with
``strip=True``. The audio is never re-encoded: WAV ``data`` chunk bytes and MP3/FLAC frames are
copied unchanged, and the written file is decoded and compared with the input before it
replaces anything.

What goes where (docs/tags.md has the full table)
-------------------------------------------------
* Every format gets the same named items (:func:`items`): TITLE, VERSION, ARTIST, ALBUM,
  COMPOSER, LYRICIST, PUBLISHER, COPYRIGHT, ISRC, ISWC, BPM (whole beats per minute), KEY
  (short form: ``"Eb"``, ``"Am"``), GENRE, DATE (``yyyy-mm-dd``), COMMENT, AI_DISCLOSURE and
  LYRICS. Composers, lyricists and publishers are lists.
* FLAC: one Vorbis comment per value under those names.
* MP3: ID3v2.4 frames TIT2, TPE1, TALB, TCOM, TEXT, TPUB, TCOP, TSRC, TBPM, TKEY, TCON, TDRC,
  USLT (LYRICS), COMM (COMMENT) and ``TXXX`` frames named VERSION, ISWC and AI_DISCLOSURE.
* WAV (:mod:`.riff`): BWF ``bext`` v2 (description, originator, ISRC as the originator
  reference, date, measured loudness x100, coding history), ``iXML`` (PROJECT = title,
  SCENE = version, NOTE = disclosure, every item in USER and a SYNCREADY element) and
  ``LIST``/``INFO`` (INAM, IART, IPRD, ICMT, ICOP, ICRD, IGNR, ISFT). INFO's ``ISRC`` field
  means "source", not the recording code, and is never written.
* Re-tagging replaces: MP3/FLAC items syncready manages are removed before the new ones are
  added (other tags such as artwork stay); a WAV loses its old ``bext``, ``iXML``, ``INFO`` and
  ``id3`` chunks (an old ID3 chunk could contradict the new fields). A bext TimeReference and
  CodingHistory already there are kept (the history gains one line). Other chunks, a C2PA
  manifest included, are kept, so tagging a signed file makes its signature fail to verify.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import mutagen
import mutagen.id3 as id3
from mutagen.flac import FLAC

from .. import __version__, audio
from ..errors import BadInputError, ContractError, UsageError
from ..outputs import atomic_path
from . import riff

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..analysis.loudness import Loudness
    from .record import Record

__all__ = ["SUPPORTED", "TagFields", "fields_from_record", "items", "tag"]

SUPPORTED = ("WAV", "MP3", "FLAC")
"""Containers :func:`tag` writes (upper-case names as :func:`syncready.audio.probe` gives them)."""

_WAV_CHUNKS = frozenset({"bext", "iXML", "LIST/INFO", "id3 ", "ID3 "})
_ID3_TEXT = {
    "TITLE": id3.TIT2, "ARTIST": id3.TPE1, "ALBUM": id3.TALB, "COMPOSER": id3.TCOM,
    "LYRICIST": id3.TEXT, "PUBLISHER": id3.TPUB, "COPYRIGHT": id3.TCOP, "ISRC": id3.TSRC,
    "BPM": id3.TBPM, "KEY": id3.TKEY, "GENRE": id3.TCON, "DATE": id3.TDRC,
}
_ITEM_KEYS = (
    "TITLE", "VERSION", "ARTIST", "ALBUM", "COMPOSER", "LYRICIST", "PUBLISHER", "COPYRIGHT",
    "ISRC", "ISWC", "BPM", "KEY", "GENRE", "DATE", "COMMENT", "AI_DISCLOSURE", "LYRICS",
)
_ID3_TXXX = tuple(k for k in _ITEM_KEYS if k not in _ID3_TEXT and k not in ("LYRICS", "COMMENT"))
_ID3_LANGUAGE = "XXX"  # ID3's "language unknown"
_UTF8 = 3  # ID3v2.4 text encoding


@dataclass
class TagFields:
    """The values :func:`tag` embeds; None or empty means "leave out".

    Attributes
    ----------
    title : str
        The work's title.
    artist, album : str or None
        Recording artist; album or release title.
    composers, lyricists, publishers : list of str
        Names, in credit order.
    copyright : str or None
        Copyright line of the recording; ID3 wants it to start with the year
        (``"2025 Example Records"``).
    isrc, iswc : str or None
        The recording version's ISRC (12 characters) and the work's ISWC.
    lyrics : str or None
        Full lyrics text.
    bpm : float or None
        Tempo in beats per minute (written rounded to a whole number).
    key : str or None
        Musical key, ``"Eb major"``/``"A minor"`` or already short (``"Eb"``, ``"Am"``).
    genre, comment : str or None
        Free text.
    date : datetime.date or None
        Release (or creation) date.
    disclosure : str
        One-line AI disclosure (what AI made, what people made).
    originator : str or None
        Who produced the file (BWF bext Originator, 32 ASCII characters); defaults to the artist.
    version : str or None
        The recording version's name (``"main"``, ``"cut30"``, ``"instrumental"``).
    """

    title: str
    artist: str | None = None
    album: str | None = None
    composers: list[str] = field(default_factory=list)
    lyricists: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    copyright: str | None = None
    isrc: str | None = None
    iswc: str | None = None
    lyrics: str | None = None
    bpm: float | None = None
    key: str | None = None
    genre: str | None = None
    comment: str | None = None
    date: dt.date | None = None
    disclosure: str = ""
    originator: str | None = None
    version: str | None = None


def fields_from_record(record: Record, version: str = "main", analysis: Analysis | None = None) -> TagFields:
    """The tag fields of one recording version, from its rights record.

    Parameters
    ----------
    record : syncready.rights.record.Record
        The rights record.
    version : str
        The version whose ISRC is used (a key of ``record.master.isrc``); a version the record
        has no ISRC for gets none.
    analysis : syncready.analysis.Analysis or None
        Supplies BPM and key when given.

    Returns
    -------
    TagFields
        Composers are the writers with role composer or composer_lyricist, lyricists those
        with lyricist or composer_lyricist (arrangers are not credited in tags). Copyright is
        ``"YEAR OWNERS"`` from the master owners (or label, or artist), the year of the release
        date or else of the generation date. Date: release date, else generation date.
    """
    work, master, generation = record.work, record.master, record.generation
    date = master.release_date or (generation.date if generation else None)
    holders = ", ".join(o.name for o in master.owners) or master.label or master.artist
    copyright_line = " ".join(x for x in (str(date.year) if date else "", holders or "") if x) or None
    music = analysis.music if analysis is not None else None
    return TagFields(
        title=work.title,
        artist=master.artist,
        composers=[w.name for w in work.writers if w.role in ("composer", "composer_lyricist")],
        lyricists=[w.name for w in work.writers if w.role in ("lyricist", "composer_lyricist")],
        publishers=[p.name for p in work.publishers],
        copyright=copyright_line,
        isrc=master.isrc.get(version),
        iswc=work.iswc,
        lyrics=record.lyrics_text(),
        bpm=music.tempo_bpm if music else None,
        key=music.key if music else None,
        date=date,
        disclosure=record.disclosure_summary(),
        originator=master.label or master.artist,
        version=version,
    )


def items(fields: TagFields) -> list[tuple[str, list[str]]]:
    """The named items every format carries (see the module notes), empty ones left out.

    Returns
    -------
    list of (str, list of str)
        In the order of the module notes; each list has at least one non-empty value.
    """
    values = {
        "TITLE": [fields.title], "VERSION": [fields.version], "ARTIST": [fields.artist],
        "ALBUM": [fields.album], "COMPOSER": fields.composers, "LYRICIST": fields.lyricists,
        "PUBLISHER": fields.publishers, "COPYRIGHT": [fields.copyright], "ISRC": [fields.isrc],
        "ISWC": [fields.iswc], "BPM": [None if fields.bpm is None else str(round(fields.bpm))],
        "KEY": [_short_key(fields.key)], "GENRE": [fields.genre],
        "DATE": [fields.date.isoformat() if fields.date else None], "COMMENT": [fields.comment],
        "AI_DISCLOSURE": [fields.disclosure], "LYRICS": [fields.lyrics],
    }
    pairs = [(key, [v for v in values[key] if v]) for key in _ITEM_KEYS]
    return [(key, vals) for key, vals in pairs if vals]


def tag(
    path: str | os.PathLike,
    fields: TagFields | None,
    *,
    out: str | os.PathLike | None = None,
    loudness: Loudness | None = None,
    strip: bool = False,
) -> Path:
    """Embed ``fields`` in an audio file, or remove every tag syncready writes.

    Parameters
    ----------
    path : path
        A WAV, MP3 or FLAC file.
    fields : TagFields or None
        What to write; ignored (may be None) with ``strip``.
    out : path or None
        Where the tagged copy goes (must not be ``path``); None rewrites ``path`` itself,
        atomically (a temporary file beside it, renamed over it at the end).
    loudness : syncready.analysis.loudness.Loudness or None
        The track's measured loudness, for the WAV bext loudness fields (unknown without).
    strip : bool
        Remove instead of write: WAV ``bext``/``iXML``/``LIST-INFO``/``id3`` chunks, every
        ID3 tag (v1 and v2) of an MP3, a FLAC's Vorbis comments.

    Returns
    -------
    pathlib.Path
        The file written. It keeps the permissions of ``path``.

    Raises
    ------
    BadInputError
        ``path`` is not audio, truncated or corrupt (nothing written, the file untouched).
    UsageError
        A format other than WAV/MP3/FLAC, an RF64 WAV, or ``out`` naming the input.
    ContractError
        The written file does not decode to the same samples (nothing kept).

    Notes
    -----
    Cost: the input and the result are each decoded once (the check that the audio is whole
    before, and unchanged after) and copied once.
    """
    if fields is None and not strip:
        raise ValueError("tag() needs fields unless strip is True")
    name = os.fspath(path)
    info = audio.probe(name)
    before = _decoded_digest(name, info)
    if info.container == "RF64":
        raise UsageError(f"{name}: tagging RF64 is not supported (files over 4 GiB)")
    writer = _WRITERS.get(info.container)
    if writer is None:
        raise UsageError(f"{name}: cannot tag {info.container} files; tagging supports {', '.join(SUPPORTED)}")
    target = Path(name if out is None else out)
    with atomic_path(target, () if out is None else (name,)) as temp:
        writer(name, temp, None if strip else fields, loudness, info)
        shutil.copymode(name, temp)
        if _decoded_digest(temp, audio.probe(temp)) != before:
            raise ContractError(f"{name}: the tagged file does not decode to the same samples; nothing written")
    return target


def _decoded_digest(path: str | Path, info: audio.SourceInfo) -> str:
    """SHA-256 of the decoded float32 samples (and their shape): decoding the whole file is what
    finds a FLAC or MP3 cut short or damaged part-way (BadInputError)."""
    digest = hashlib.sha256(f"{info.channels}x{info.frames}@{info.sample_rate}".encode())
    for block in audio.blocks(path, info=info):
        digest.update(block.tobytes())
    return digest.hexdigest()


def _write_wav(source: str, temp: Path, fields: TagFields | None, loudness: Loudness | None, info: audio.SourceInfo) -> None:
    """Rewrite the WAV chunk list: drop ours, then (unless stripping) add new ones."""
    new: list[tuple[str, bytes]] = []
    if fields is not None:
        old_bext = next((c for c in riff.read_chunks(source) if c.id == "bext"), None)
        old = riff.read_chunk(source, old_bext) if old_bext else b""
        new = [("bext", _bext(fields, loudness, info, old)), ("iXML", _ixml(fields)), ("LIST", _info(fields))]
    riff.rewrite(source, temp, drop=_WAV_CHUNKS, insert=new)


def _bext(fields: TagFields, loudness: Loudness | None, info: audio.SourceInfo, old: bytes) -> bytes:
    title = " - ".join(x for x in (fields.title, fields.version if fields.version != "main" else None, fields.artist) if x)
    description = "; ".join(x for x in (title, f"ISRC {fields.isrc}" if fields.isrc else "", fields.disclosure) if x)
    mode = {1: ",M=mono", 2: ",M=stereo"}.get(info.channels, "")
    line = f"A=PCM,F={info.sample_rate},W={info.bit_depth}{mode},T=syncready {__version__}\r\n"
    history = riff.coding_history(old)
    if not history.endswith(line):
        history += line
    measured = (
        (loudness.integrated_lufs, loudness.lra_lu, loudness.true_peak_dbtp,
         loudness.max_momentary_lufs, loudness.max_short_term_lufs)
        if loudness is not None else (None,) * 5
    )
    return riff.bext_payload(
        description=description,
        originator=fields.originator or fields.artist or "",
        originator_reference=fields.isrc or "",
        date=fields.date.isoformat() if fields.date else "",
        time="",
        time_reference=riff.bext_time_reference(old),
        loudness=measured,
        coding_history=history,
    )


def _ixml(fields: TagFields) -> bytes:
    return riff.ixml_payload(project=fields.title, scene=fields.version or "", note=fields.disclosure, user=items(fields))


def _info(fields: TagFields) -> bytes:
    comment = " | ".join(x for x in (fields.comment, fields.disclosure) if x)
    return riff.info_payload([
        ("INAM", fields.title), ("IART", fields.artist or ""), ("IPRD", fields.album or ""),
        ("ICMT", comment), ("ICOP", fields.copyright or ""),
        ("ICRD", fields.date.isoformat() if fields.date else ""), ("IGNR", fields.genre or ""),
        ("ISFT", f"syncready {__version__}"),
    ])


def _write_mp3(source: str, temp: Path, fields: TagFields | None, loudness: Loudness | None, info: audio.SourceInfo) -> None:
    """Copy, then replace (or delete) the ID3v2.4 frames syncready manages."""
    shutil.copyfile(source, temp)
    with _mutagen_errors(source):
        if fields is None:
            id3.delete(temp)
            return
        try:
            tags = id3.ID3(temp)
        except id3.ID3NoHeaderError:
            tags = id3.ID3()
        for frame_id in ("USLT", "COMM", *(cls.__name__ for cls in _ID3_TEXT.values())):
            tags.delall(frame_id)
        for desc in _ID3_TXXX:
            tags.delall(f"TXXX:{desc}")
        for key, values in items(fields):
            if key in _ID3_TEXT:
                tags.add(_ID3_TEXT[key](encoding=_UTF8, text=values))
            elif key == "LYRICS":
                tags.add(id3.USLT(encoding=_UTF8, lang=_ID3_LANGUAGE, desc="", text=values[0]))
            elif key == "COMMENT":
                tags.add(id3.COMM(encoding=_UTF8, lang=_ID3_LANGUAGE, desc="", text=values))
            else:
                tags.add(id3.TXXX(encoding=_UTF8, desc=key, text=values))
        tags.save(temp, v2_version=4)


def _write_flac(source: str, temp: Path, fields: TagFields | None, loudness: Loudness | None, info: audio.SourceInfo) -> None:
    """Copy, then replace (or clear) the Vorbis comments syncready manages."""
    shutil.copyfile(source, temp)
    with _mutagen_errors(source):
        flac = FLAC(temp)
        if fields is None:
            flac.delete()
            return
        if flac.tags is None:
            flac.add_tags()
        for key in _ITEM_KEYS:
            if key in flac.tags:
                del flac.tags[key]
        for key, values in items(fields):
            flac.tags[key] = values
        flac.save()


@contextlib.contextmanager
def _mutagen_errors(source: str) -> Iterator[None]:
    """A mutagen failure inside the block becomes a one-line BadInputError naming ``source``."""
    try:
        yield
    except mutagen.MutagenError as exc:
        raise BadInputError(f"{source}: cannot read or write its tags ({exc})") from exc


def _short_key(key: str | None) -> str | None:
    """``"Eb major"`` -> ``"Eb"``, ``"A minor"`` -> ``"Am"`` (the ID3 TKEY form); others unchanged."""
    if not key:
        return None
    tonic, _, mode = key.partition(" ")
    return {"major": tonic, "minor": tonic + "m"}.get(mode, key)


_WRITERS: dict[str, Callable[..., None]] = {"WAV": _write_wav, "MP3": _write_mp3, "FLAC": _write_flac}
