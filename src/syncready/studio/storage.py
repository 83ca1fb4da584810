"""Where the studio keeps files: uploads by content hash, outputs under names it chooses.

Conventions
-----------
- The data folder holds ``studio.sqlite`` (:mod:`.db`), ``incoming/`` (uploads being received)
  and ``tracks/<sha256>/``: ``original<.ext>`` (the upload, extension from the probed container),
  ``check.json`` and ``view.json`` (written by the check job), ``outputs/<name>.wav``,
  ``original.rights.toml``, ``delivery/`` and ``delivery.zip``.
- An uploaded file name is display text only: it is sanitised (:func:`display_name`) and never
  becomes part of a path. Track ids are 64 lowercase hex digits; anything else is "no such
  track". Downloads resolve only names the studio itself recorded (:meth:`Storage.file`), and
  the resolved path must lie inside the data folder.
- Sizes are bytes.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from pathlib import Path
from typing import BinaryIO

from .. import audio
from ..errors import BadInputError
from .db import connect

TRACK_ID = re.compile(r"[0-9a-f]{64}")
CHUNK_BYTES = 1 << 20
MAX_NAME_CHARS = 120
EXTENSIONS = {"WAV": ".wav", "RF64": ".wav", "W64": ".w64", "AIFF": ".aiff", "FLAC": ".flac", "OGG": ".ogg",
              "MP3": ".mp3", "M4A": ".m4a", "MP4": ".m4a", "WEBM": ".webm", "CAF": ".caf"}
RIGHTS_FILE = "original.rights.toml"
DELIVERY_DIR = "delivery"
DELIVERY_ZIP = "delivery.zip"


class TooLarge(BadInputError):
    """An upload went past the size limit."""


def display_name(name: str | None) -> str:
    """An uploaded file name made safe to show: the last path part, no control characters,
    at most :data:`MAX_NAME_CHARS` characters ("untitled" when nothing is left)."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return text[:MAX_NAME_CHARS] or "untitled"


class Storage:
    """The data folder and the studio's tables (one connection, used under a lock)."""

    def __init__(self, data_dir: str | Path):
        self.root = Path(data_dir).resolve()
        for folder in (self.root, self.root / "incoming", self.root / "tracks"):
            folder.mkdir(parents=True, exist_ok=True)
        self._conn = connect(self.root)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ tables
    def query(self, sql: str, args: tuple = ()) -> list[dict]:
        """Rows of ``sql`` as dicts."""
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, args).fetchall()]

    def execute(self, sql: str, args: tuple = ()) -> int:
        """Run one statement; the last inserted row id."""
        with self._lock:
            return self._conn.execute(sql, args).lastrowid

    def track(self, track_id: str) -> dict | None:
        """The track row, or None (also for an id that is not a SHA-256)."""
        if not TRACK_ID.fullmatch(track_id or ""):
            return None
        rows = self.query("SELECT * FROM tracks WHERE id = ?", (track_id,))
        return rows[0] if rows else None

    def tracks(self) -> list[dict]:
        """Every track, newest first."""
        return self.query("SELECT * FROM tracks ORDER BY created DESC")

    def outputs(self, track_id: str) -> list[dict]:
        """The rendered outputs of a track, in the order they were made."""
        return self.query("SELECT * FROM outputs WHERE track = ? ORDER BY created, name", (track_id,))

    # ------------------------------------------------------------------ files
    def track_dir(self, track_id: str) -> Path:
        """``tracks/<id>`` (the id must be a SHA-256)."""
        if not TRACK_ID.fullmatch(track_id):
            raise ValueError("not a track id")
        return self.root / "tracks" / track_id

    def receive(self, stream: BinaryIO, name: str | None, profile: str, max_bytes: int) -> tuple[dict, bool]:
        """Store an upload: copy it in chunks (at most ``max_bytes``), check by content that it
        is audio, keep it under its hash. Returns the track row and whether it is new.

        Raises
        ------
        TooLarge
            More than ``max_bytes`` bytes.
        BadInputError
            The content is not audio syncready can read (the message names the upload, not a path).
        """
        shown = display_name(name)
        fd, tmp = tempfile.mkstemp(dir=self.root / "incoming", prefix="upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                size = 0
                while chunk := stream.read(CHUNK_BYTES):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"{shown}: larger than the {max_bytes / 1e6:g} MB upload limit")
                    out.write(chunk)
            try:
                info = audio.probe(tmp)
            except BadInputError as exc:
                reason = str(exc).replace(tmp, "").lstrip(": ") or "not audio"
                raise BadInputError(f"{shown}: {reason}") from None
            return self._keep(Path(tmp), info, shown, profile)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def _keep(self, tmp: Path, info, shown: str, profile: str) -> tuple[dict, bool]:
        existing = self.track(info.sha256)
        if existing is not None:
            return existing, False
        folder = self.track_dir(info.sha256)
        (folder / "outputs").mkdir(parents=True, exist_ok=True)
        stored = "original" + EXTENSIONS.get(info.container, ".audio")
        os.replace(tmp, folder / stored)
        self.execute("INSERT OR IGNORE INTO tracks (id, name, file, profile, created) VALUES (?, ?, ?, ?, ?)",
                     (info.sha256, shown, stored, profile, time.time()))
        return self.track(info.sha256), True

    def file(self, track_id: str, name: str) -> Path | None:
        """The file behind a download name, or None: ``original``, ``delivery.zip``, ``rights``
        or an output's name. Only names the studio recorded resolve, and only inside the data folder."""
        row = self.track(track_id)
        if row is None:
            return None
        folder = self.track_dir(track_id)
        if name == "original":
            relative = row["file"]
        elif name == "delivery.zip":
            relative = DELIVERY_ZIP
        elif name == "rights":
            relative = RIGHTS_FILE
        else:
            found = self.query("SELECT file FROM outputs WHERE track = ? AND name = ?", (track_id, name))
            if not found:
                return None
            relative = found[0]["file"]
        path = (folder / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def remove_stale_incoming(self) -> None:
        """Delete half-received uploads left by a previous run."""
        shutil.rmtree(self.root / "incoming", ignore_errors=True)
        (self.root / "incoming").mkdir(exist_ok=True)
