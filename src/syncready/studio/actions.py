"""What the pages and the API both do to the studio's state: receive uploads, start jobs.

Errors are :class:`ActionError` with an HTTP status and a one-line reason the routes pass on
(JSON ``{"detail": ...}`` for the API, a message on the page).
"""

from __future__ import annotations

from .jobs import Jobs
from .storage import Storage, TooLarge
from .tasks import FIX_STEPS
from ..errors import BadInputError

JOB_KINDS = ("check", "fix", "edits", "package")


class ActionError(Exception):
    """A request the studio refuses: ``status`` (HTTP) and ``reason`` (one line)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def profiles() -> list[str]:
    from ..checks import profile

    return list(profile.available())


def upload(storage: Storage, jobs: Jobs, files: list, profile: str, max_bytes: int) -> tuple[list[dict], list[dict]]:
    """Store each upload (``files``: objects with ``filename`` and a binary ``file``) and queue its
    check; the accepted tracks (``id``, ``name``, ``new``, ``job``) and the rejected files
    (``name``, ``error``, ``status``: 413 too large, 415 not audio).

    Raises
    ------
    ActionError
        400: no file, or an unknown profile.
    """
    if profile not in profiles():
        raise ActionError(400, f"unknown profile {profile!r}; choose from {', '.join(profiles())}")
    if not files:
        raise ActionError(400, "no file in the upload (field 'files')")
    accepted, rejected = [], []
    for item in files:
        try:
            row, new = storage.receive(item.file, item.filename, profile, max_bytes)
        except TooLarge as exc:
            rejected.append({"name": str(exc).split(":")[0], "error": str(exc), "status": 413})
            continue
        except BadInputError as exc:
            rejected.append({"name": str(exc).split(":")[0], "error": str(exc), "status": 415})
            continue
        checked = (storage.track_dir(row["id"]) / "check.json").is_file()
        job = jobs.latest(row["id"], "check") if checked else jobs.submit(row["id"], "check")
        accepted.append({"id": row["id"], "name": row["name"], "new": new, "job": job, "url": f"/tracks/{row['id']}"})
    return accepted, rejected


def start(storage: Storage, jobs: Jobs, track_id: str, kind: str, params: dict | None = None) -> dict:
    """Queue a job on a track.

    Raises
    ------
    ActionError
        404 unknown track; 400 unknown kind or fix step; 409 the track has not been checked yet.
    """
    if storage.track(track_id) is None:
        raise ActionError(404, "no such track")
    if kind not in JOB_KINDS:
        raise ActionError(400, f"unknown job {kind!r}")
    params = dict(params or {})
    if kind == "fix":
        params = {"step": params.get("step") or "all"}
        if params["step"] not in FIX_STEPS:
            raise ActionError(400, f"unknown fix step {params['step']!r}; choose from {', '.join(FIX_STEPS)}")
    else:
        params = {}
    if kind != "check" and not (storage.track_dir(track_id) / "check.json").is_file():
        raise ActionError(409, "the track is still being checked")
    return jobs.submit(track_id, kind, params)
