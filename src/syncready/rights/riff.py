"""The chunks of a RIFF/WAVE file: list them, read one, rewrite the file with some replaced.

Also the payloads syncready writes there: BWF ``bext`` version 2 (EBU Tech 3285), ``iXML``
and ``LIST``/``INFO``.

Conventions
-----------
* A chunk is a 4-byte id, a little-endian u32 payload size and the payload; a payload of odd
  length is followed by one pad byte, counted in the RIFF size but not in the chunk's. A
  missing pad byte at the very end of a file is tolerated on reading and written on rewriting.
* A chunk's *key* is its id (``"fmt "``, ``"data"``, ``"bext"``, ``"iXML"``...) or, for a
  ``LIST`` chunk, ``"LIST/"`` and its list type (``"LIST/INFO"``, ``"LIST/adtl"``).
* :func:`rewrite` streams every kept chunk from the source unchanged (the ``data`` chunk
  byte for byte), puts the new chunks just before ``data`` and writes a new RIFF size.
* RF64/BW64 files (over 4 GiB) are refused: their ``ds64`` sizes would need rewriting too.
* Text: ``bext`` fields are ASCII as the standard says (accents are dropped, other characters
  become ``?``), zero-padded to their fixed sizes; ``INFO`` values and ``iXML`` are UTF-8.
* bext loudness fields are signed 16-bit integers holding 100 times the value (LUFS, LU, dBTP);
  an unknown value is stored as ``0x7FFF``.
"""

from __future__ import annotations

import os
import struct
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..errors import BadInputError, UsageError

__all__ = [
    "BEXT_UNKNOWN",
    "Chunk",
    "bext_payload",
    "bext_time_reference",
    "coding_history",
    "info_payload",
    "ixml_payload",
    "read_chunk",
    "read_chunks",
    "rewrite",
]

BEXT_UNKNOWN = 0x7FFF
"""What a bext loudness field holds when the value is unknown."""

_BEXT_FIXED = struct.Struct("<256s32s32s10s8sQH64s5h180s")  # 602 bytes before CodingHistory
_TIME_REFERENCE_AT = 256 + 32 + 32 + 10 + 8
_RIFF_LIMIT = 0xFFFF_FFFF
_COPY_BLOCK = 1 << 20


@dataclass(frozen=True)
class Chunk:
    """Where one chunk lies in a file.

    Attributes
    ----------
    id : str
        The 4-character chunk id (``"fmt "``, ``"data"``...).
    offset : int
        Byte offset of the payload (after the 8-byte header) from the start of the file.
    size : int
        Payload length in bytes, without the pad byte.
    list_type : str or None
        The 4-character list type of a ``LIST`` chunk (``"INFO"``); None for other chunks.
    """

    id: str
    offset: int
    size: int
    list_type: str | None = None

    @property
    def key(self) -> str:
        """``id``, or ``"LIST/" + list_type`` for a LIST chunk."""
        return f"LIST/{self.list_type}" if self.list_type is not None else self.id


def read_chunks(path: str | os.PathLike) -> list[Chunk]:
    """List the chunks of a RIFF/WAVE file in file order.

    Bytes after the end the RIFF header declares that do not form a chunk are ignored.

    Raises
    ------
    UsageError
        The file is RF64/BW64 ("tagging RF64 is not supported").
    BadInputError
        Not a RIFF/WAVE file, a chunk running past the end of the file (truncated), or no
        ``fmt `` or ``data`` chunk.
    """
    name = os.fspath(path)
    with open(name, "rb") as f:
        head = f.read(12)
        if head[:4] in (b"RF64", b"BW64"):
            raise UsageError(f"{name}: tagging RF64 is not supported (files over 4 GiB)")
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise BadInputError(f"{name}: not a RIFF/WAVE file")
        riff_end = 8 + struct.unpack("<I", head[4:8])[0]
        file_end = f.seek(0, os.SEEK_END)
        chunks, pos = [], 12
        while pos + 8 <= file_end:
            f.seek(pos)
            header = f.read(12)
            ident, size = header[:4], struct.unpack("<I", header[4:8])[0]
            if not _printable(ident) or pos + 8 + size > file_end:
                if pos >= riff_end:
                    break  # trailing bytes after the RIFF form
                what = "audio data" if ident == b"data" else f"the {ident!r} chunk"
                raise BadInputError(f"{name}: truncated or damaged ({what} runs past the end of the file)")
            list_type = header[8:12].decode("latin-1") if ident == b"LIST" and size >= 4 else None
            chunks.append(Chunk(ident.decode("ascii"), pos + 8, size, list_type))
            pos += 8 + size + (size & 1)
    ids = {c.id for c in chunks}
    for needed in ("fmt ", "data"):
        if needed not in ids:
            raise BadInputError(f"{name}: damaged WAV (no {needed.strip()!r} chunk)")
    return chunks


def read_chunk(path: str | os.PathLike, chunk: Chunk) -> bytes:
    """The payload of ``chunk`` (from :func:`read_chunks` of the same file), without pad."""
    with open(path, "rb") as f:
        f.seek(chunk.offset)
        return f.read(chunk.size)


def rewrite(
    source: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    drop: Collection[str] = (),
    insert: Sequence[tuple[str, bytes]] = (),
) -> None:
    """Copy a WAV file chunk by chunk, leaving out some and adding others.

    Parameters
    ----------
    source, dest : path
        The WAV file read and the file written (created or truncated; must differ).
    drop : collection of str
        Chunk keys (see the module notes) to leave out, e.g. ``{"bext", "LIST/INFO"}``.
    insert : sequence of (str, bytes)
        New chunks as (4-character id, payload), written in this order just before the
        ``data`` chunk.

    Raises
    ------
    UsageError
        The result would exceed the 4 GiB a RIFF size can state.
    BadInputError
        As :func:`read_chunks`.
    """
    kept = [c for c in read_chunks(source) if c.key not in drop]
    at = next(i for i, c in enumerate(kept) if c.id == "data")
    plan: list[Chunk | tuple[str, bytes]] = [*kept[:at], *insert, *kept[at:]]
    sizes = [item.size if isinstance(item, Chunk) else len(item[1]) for item in plan]
    riff_size = 4 + sum(8 + n + (n & 1) for n in sizes)
    if riff_size > _RIFF_LIMIT:
        raise UsageError(f"{os.fspath(source)}: the tagged file would exceed 4 GiB (RIFF size limit)")
    with open(source, "rb") as src, open(dest, "wb") as out:
        out.write(b"RIFF" + struct.pack("<I", riff_size) + b"WAVE")
        for item, size in zip(plan, sizes):
            ident = item.id if isinstance(item, Chunk) else item[0]
            out.write(_id_bytes(ident) + struct.pack("<I", size))
            if isinstance(item, Chunk):
                _copy(src, out, item.offset, size)
            else:
                out.write(item[1])
            if size & 1:
                out.write(b"\0")


def bext_payload(
    *,
    description: str,
    originator: str,
    originator_reference: str,
    date: str,
    time: str,
    time_reference: int,
    loudness: Sequence[float | None],
    coding_history: str,
) -> bytes:
    """A BWF ``bext`` chunk payload, version 2 (EBU Tech 3285 v2).

    Parameters
    ----------
    description, originator, originator_reference : str
        Free text, cut to 256, 32 and 32 ASCII bytes.
    date, time : str
        OriginationDate ``"yyyy-mm-dd"`` and OriginationTime ``"hh:mm:ss"``, or ``""``.
    time_reference : int
        The first sample's position in samples since midnight (0 when not placed).
    loudness : sequence of 5 float or None
        Integrated loudness (LUFS), loudness range (LU), maximum true peak (dBTP), maximum
        momentary and maximum short-term loudness (LUFS); stored x100, None as 0x7FFF.
    coding_history : str
        CodingHistory lines (EBU R 98), each ending in CR LF.

    Returns
    -------
    bytes
        602 fixed bytes (UMID and Reserved zero) followed by the coding history.
    """
    if len(loudness) != 5:
        raise ValueError(f"loudness needs 5 values, got {len(loudness)}")
    fixed = _BEXT_FIXED.pack(
        _ascii(description, 256), _ascii(originator, 32), _ascii(originator_reference, 32),
        _ascii(date, 10), _ascii(time, 8), time_reference, 2, b"",
        *(_centi(v) for v in loudness), b"",
    )
    return fixed + _ascii(coding_history, None)


def bext_time_reference(payload: bytes) -> int:
    """The TimeReference (samples since midnight) of a ``bext`` payload; 0 if too short."""
    if len(payload) < _TIME_REFERENCE_AT + 8:
        return 0
    return struct.unpack_from("<Q", payload, _TIME_REFERENCE_AT)[0]


def coding_history(payload: bytes) -> str:
    """The CodingHistory text of a ``bext`` payload ('' if none), trailing NULs removed."""
    return payload[_BEXT_FIXED.size :].split(b"\0", 1)[0].decode("ascii", "replace")


def info_payload(items: Sequence[tuple[str, str]]) -> bytes:
    """A ``LIST`` chunk payload of list type ``INFO``.

    Parameters
    ----------
    items : sequence of (str, str)
        (4-character INFO id such as ``"INAM"``, value); empty values are skipped. Each value
        is written as UTF-8 with a terminating NUL (and a pad byte when that is odd).
    """
    parts = [b"INFO"]
    for ident, value in items:
        if value:
            data = value.encode("utf-8") + b"\0"
            parts.append(_id_bytes(ident) + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1))
    return b"".join(parts)


def ixml_payload(*, project: str, scene: str, note: str, user: Sequence[tuple[str, list[str]]]) -> bytes:
    """An ``iXML`` chunk payload (UTF-8 XML, escaped by ElementTree).

    Parameters
    ----------
    project, scene, note : str
        The iXML PROJECT, SCENE and NOTE elements (empty ones are left out).
    user : sequence of (str, list of str)
        Named values (XML-name keys such as ``"ISRC"``), written twice from the same list:
        as ``KEY: value`` lines in iXML's free-text USER element, which iXML readers show
        (line breaks inside a value become `` / ``),
        and as elements of a ``SYNCREADY`` element (one per value) for programs.
    """
    root = ET.Element("BWFXML")
    ET.SubElement(root, "IXML_VERSION").text = "2.10"
    for tag, text in (("PROJECT", project), ("SCENE", scene), ("NOTE", note)):
        if text:
            ET.SubElement(root, tag).text = text
    lines = (f"{key}: {' / '.join(value.splitlines())}" for key, values in user for value in values)
    ET.SubElement(root, "USER").text = "\n".join(lines)
    custom = ET.SubElement(root, "SYNCREADY")
    for key, values in user:
        for value in values:
            ET.SubElement(custom, key).text = value
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _copy(src, out, offset: int, size: int) -> None:
    src.seek(offset)
    left = size
    while left:
        block = src.read(min(left, _COPY_BLOCK))
        if not block:
            raise BadInputError(f"{src.name}: changed while it was being read")
        out.write(block)
        left -= len(block)


def _printable(ident: bytes) -> bool:
    return len(ident) == 4 and all(32 <= b < 127 for b in ident)


def _id_bytes(ident: str) -> bytes:
    data = ident.encode("ascii")
    if len(data) != 4:
        raise ValueError(f"chunk id must be 4 ASCII characters, got {ident!r}")
    return data


def _ascii(text: str, size: int | None) -> bytes:
    """``text`` as ASCII (accents dropped, other characters ``?``), cut to ``size`` bytes."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    data = plain.encode("ascii", "replace")
    return data if size is None else data[:size]


def _centi(value: float | None) -> int:
    """A loudness value as int16 hundredths, clamped to the int16 range; None -> 0x7FFF."""
    if value is None:
        return BEXT_UNKNOWN
    return max(-0x8000, min(BEXT_UNKNOWN - 1, round(value * 100)))
