"""The studio's own state: a small SQLite file in the data folder.

Tables: ``tracks`` (one per uploaded file, keyed by its SHA-256), ``jobs`` (one per piece of
background work: ``state`` is queued, running, done, failed or interrupted; ``progress`` 0..1;
``result`` JSON) and ``outputs`` (the rendered files of a track: master, cut-downs, loops...,
each with its integrated loudness in LUFS for level-matched playback). Times are Unix seconds.
Every process (the server and each worker) opens its own connection; WAL mode lets readers
go on while a worker writes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS tracks (
    id TEXT PRIMARY KEY,            -- SHA-256 of the uploaded bytes
    name TEXT NOT NULL,             -- the uploaded file name, sanitised, display only
    file TEXT NOT NULL,             -- the stored file, relative to the track folder
    profile TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    track TEXT NOT NULL REFERENCES tracks(id),
    kind TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    result TEXT,
    error TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_track ON jobs(track, id);
CREATE TABLE IF NOT EXISTS outputs (
    track TEXT NOT NULL REFERENCES tracks(id),
    name TEXT NOT NULL,             -- master, cut30, loop8, sting... (a file stem we chose)
    kind TEXT NOT NULL,             -- fix, cutdown, loop, sting
    label TEXT NOT NULL,
    file TEXT NOT NULL,             -- relative to the track folder
    duration_s REAL,
    integrated_lufs REAL,
    verdict TEXT,
    created REAL NOT NULL,
    PRIMARY KEY (track, name)
);
"""


def connect(data_dir: str | Path) -> sqlite3.Connection:
    """A connection to ``<data_dir>/studio.sqlite`` (schema created if needed), rows as dicts."""
    conn = sqlite3.connect(Path(data_dir) / "studio.sqlite", timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.executescript(SCHEMA)
    return conn
