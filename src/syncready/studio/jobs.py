"""A pool of worker processes for the studio's jobs, with their state in SQLite.

Conventions
-----------
- Workers are spawned processes (:mod:`multiprocessing` ``spawn``: no forked server state), warmed
  once (:func:`.tasks.warm`). A job's row is created ``queued`` before it is handed to the pool;
  the worker moves it to ``running`` and then ``done`` or ``failed`` (:func:`.tasks.run`).
- The state lives in the ``jobs`` table, so a page reload finds it again, and a server restart
  marks every job still ``queued`` or ``running`` as ``interrupted`` (:meth:`Jobs.start`).
- One job of a kind runs per track at a time: asking again while one is queued or running
  returns that one.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor

from . import tasks
from .storage import Storage

ACTIVE = ("queued", "running")
STATES = ("queued", "running", "done", "failed", "interrupted")


def public(row: dict) -> dict:
    """A job row as the API shows it (params and result decoded)."""
    return {"id": row["id"], "track": row["track"], "kind": row["kind"], "params": json.loads(row["params"]),
            "state": row["state"], "progress": row["progress"], "message": row["message"],
            "result": json.loads(row["result"]) if row["result"] else None, "error": row["error"],
            "created": row["created"], "updated": row["updated"]}


class Jobs:
    """Submit, look up and settle background jobs."""

    def __init__(self, storage: Storage, *, workers: int = 2, db_url: str | None = None):
        self.storage, self.workers, self.db_url = storage, workers, db_url
        self.pool: ProcessPoolExecutor | None = None

    def start(self) -> int:
        """Mark jobs left unfinished by an earlier server as interrupted, start the pool; how many were marked."""
        marked = self.storage.query("SELECT id FROM jobs WHERE state IN (?, ?)", ACTIVE)
        self.storage.execute("UPDATE jobs SET state = 'interrupted', message = 'the server stopped before this job finished',"
                             " updated = ? WHERE state IN (?, ?)", (time.time(), *ACTIVE))
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=tasks.warm)
        for _ in range(self.workers):  # start and warm the workers now, not on the first upload
            self.pool.submit(tasks.ready)
        return len(marked)

    def stop(self) -> None:
        """Stop taking work; running jobs are left to finish or be marked interrupted next start."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def submit(self, track_id: str, kind: str, params: dict | None = None) -> dict:
        """Queue a job (or return the same kind's active job for that track)."""
        params = params or {}
        active = self.storage.query("SELECT * FROM jobs WHERE track = ? AND kind = ? AND params = ? AND state IN (?, ?)"
                                    " ORDER BY id DESC LIMIT 1", (track_id, kind, json.dumps(params, sort_keys=True), *ACTIVE))
        if active:
            return public(active[0])
        now = time.time()
        job_id = self.storage.execute("INSERT INTO jobs (track, kind, params, state, created, updated) VALUES (?, ?, ?, 'queued', ?, ?)",
                                      (track_id, kind, json.dumps(params, sort_keys=True), now, now))
        future = self.pool.submit(tasks.run, str(self.storage.root), job_id, self.db_url)
        future.add_done_callback(lambda f, job_id=job_id: self._settle(job_id, f))
        return self.get(job_id)

    def _settle(self, job_id: int, future: Future) -> None:
        """A job whose worker died (or was cancelled) is marked failed or interrupted, not left running."""
        if future.cancelled():
            state, error = "interrupted", "the server stopped before this job started"
        elif future.exception() is not None:
            state, error = "failed", f"the worker stopped: {future.exception()}"
        else:
            return
        self.storage.execute("UPDATE jobs SET state = ?, error = ?, updated = ? WHERE id = ? AND state IN (?, ?)",
                             (state, error, time.time(), job_id, *ACTIVE))

    def get(self, job_id: int) -> dict | None:
        rows = self.storage.query("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return public(rows[0]) if rows else None

    def for_track(self, track_id: str) -> list[dict]:
        """The track's jobs, newest first."""
        return [public(r) for r in self.storage.query("SELECT * FROM jobs WHERE track = ? ORDER BY id DESC", (track_id,))]

    def latest(self, track_id: str, kind: str) -> dict | None:
        rows = self.storage.query("SELECT * FROM jobs WHERE track = ? AND kind = ? ORDER BY id DESC LIMIT 1", (track_id, kind))
        return public(rows[0]) if rows else None
