"""The JSON API under ``/api``: the pages' data and actions for other tools (OpenAPI at ``/docs``).

Unsafe methods need the CSRF value (``GET /api/csrf``, sent back as ``X-CSRF-Token``) or a
bearer token (see :mod:`.security`). Errors are ``{"detail": "one line"}`` with 400 (bad
request), 403 (CSRF), 404 (unknown track, job or file), 409 (not checked yet), 413 (too
large), 415 (not audio) or 422 (an invalid rights record).
"""

from __future__ import annotations

from typing import Annotated, Optional

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from . import actions, rights_form, views
from .security import csrf_protect, csrf_value
from .storage import RIGHTS_FILE

router = APIRouter(prefix="/api", tags=["studio"])
guarded = [Depends(csrf_protect)]


def _state(request: Request):
    return request.app.state.storage, request.app.state.jobs


async def fields_of(request: Request) -> dict:
    """The rights form's fields from a JSON object or a form body."""
    if request.headers.get("content-type", "").startswith("application/json"):
        data = await request.json()
        if not isinstance(data, dict):
            raise HTTPException(400, "send the fields as a JSON object")
        return data
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _fail(exc: actions.ActionError):
    raise HTTPException(exc.status, exc.reason)


@router.get("/csrf", summary="The CSRF value to send back in X-CSRF-Token (also set as a cookie)")
def csrf(request: Request) -> dict:
    return {"csrf_token": csrf_value(request), "header": "X-CSRF-Token"}


@router.get("/limits", summary="Upload size limit (bytes) and the profiles")
def limits(request: Request) -> dict:
    return {"max_upload_bytes": request.app.state.max_upload, "profiles": actions.profiles()}


@router.post("/tracks", status_code=201, dependencies=guarded, summary="Upload audio files (multipart field 'files'); each is checked in the background")
async def upload(request: Request):
    storage, jobs = _state(request)
    form = await request.form()
    files = [f for f in form.getlist("files") if hasattr(f, "filename")]
    profile = str(form.get("profile") or "sync-library")
    try:
        accepted, rejected = await run_in_threadpool(actions.upload, storage, jobs, files, profile, request.app.state.max_upload)
    except actions.ActionError as exc:
        _fail(exc)
    status = 201 if accepted else max(r["status"] for r in rejected)
    return JSONResponse({"tracks": accepted, "rejected": rejected}, status_code=status)


@router.get("/tracks", summary="Every uploaded track, newest first")
def tracks(request: Request) -> list[dict]:
    storage, _ = _state(request)
    return [views.summary(storage, row) for row in storage.tracks()]


@router.get("/tracks/{track_id}", summary="A track: check document, waveform data, findings with fix steps, players, jobs, delivery")
def track(request: Request, track_id: str) -> dict:
    doc = views.track(*_state(request), track_id)
    if doc is None:
        raise HTTPException(404, "no such track")
    return doc


@router.post("/tracks/{track_id}/jobs/{kind}", status_code=202, dependencies=guarded,
             summary="Start a job: check, fix (body {\"step\": \"all|end|trim|master\"}), edits (cut-downs, loops, sting) or package")
async def start_job(request: Request, track_id: str, kind: str):
    params = {}
    if kind == "fix":
        params = await fields_of(request) if request.headers.get("content-length", "0") != "0" else {}
    try:
        return actions.start(*_state(request), track_id, kind, params)
    except actions.ActionError as exc:
        _fail(exc)


@router.get("/jobs/{job_id}", summary="A job's state (queued, running, done, failed, interrupted), progress 0..1 and result")
def job(request: Request, job_id: int) -> dict:
    found = request.app.state.jobs.get(job_id)
    if found is None:
        raise HTTPException(404, "no such job")
    return found


@router.get("/tracks/{track_id}/files/{name}", summary="Download the original, an output, the rights record or delivery.zip")
def download(request: Request, track_id: str, name: str):
    storage, _ = _state(request)
    path = storage.file(track_id, name)
    if path is None:
        raise HTTPException(404, "no such file")
    row = storage.track(track_id)
    shown = row["name"] if name == "original" else f"{name}{path.suffix}" if name != "delivery.zip" else "delivery.zip"
    return FileResponse(path, filename=shown)


def _audio(request: Request, track_id: str):
    storage, _ = _state(request)
    row = storage.track(track_id)
    if row is None:
        raise HTTPException(404, "no such track")
    folder = storage.track_dir(track_id)
    return folder / row["file"], folder / RIGHTS_FILE, views.duration(storage, track_id)


@router.get("/tracks/{track_id}/rights", summary="The saved rights record as form fields, with its validation and advice")
def rights(request: Request, track_id: str) -> dict:
    audio, path, duration = _audio(request, track_id)
    fields = rights_form.load_fields(path)
    return {"saved": path.is_file(), "fields": fields,
            "assessment": rights_form.assess(fields, audio, duration_s=duration) if fields else None}


@router.post("/tracks/{track_id}/rights/validate", dependencies=guarded,
             summary="Validate rights fields (same rules as `syncready rights check`) and advise; nothing is saved")
async def validate_rights(request: Request, track_id: str, fields: Annotated[dict, Depends(fields_of)]) -> dict:
    audio, _, duration = _audio(request, track_id)
    return await run_in_threadpool(rights_form.assess, fields, audio, duration_s=duration)


@router.put("/tracks/{track_id}/rights", dependencies=guarded, summary="Save the rights record (422 when the fields do not make a valid record)")
async def save_rights(request: Request, track_id: str, fields: Annotated[dict, Depends(fields_of)]) -> dict:
    audio, path, duration = _audio(request, track_id)
    return await run_in_threadpool(save_record, request, track_id, fields, audio, path, duration)


def save_record(request: Request, track_id: str, fields: dict, audio, path, duration) -> dict:
    """Save the record, refresh the catalog entry; the assessment (raises 422 on an invalid record)."""
    from ..errors import UsageError

    try:
        rights_form.save(fields, audio, path)
    except UsageError as exc:
        raise HTTPException(422, str(exc)) from None
    request.app.state.jobs.submit(track_id, "catalog")
    return {"saved": True, **rights_form.assess(fields, audio, duration_s=duration)}


@router.get("/library", summary="The catalog: searchable, sortable by readiness, BPM, key, duration; filter by release path")
def library(request: Request, q: Optional[str] = None, sort: str = "readiness", order: str = Query("asc", pattern="^(asc|desc)$"),
            release_path: Optional[str] = None, profile: str = "sync-library", bpm_min: Optional[float] = None,
            bpm_max: Optional[float] = None, key: Optional[str] = None) -> list[dict]:
    from ..errors import SyncreadyError

    try:
        return views.library(request.app.state.storage, request.app.state.db_url, text=q, sort=sort, descending=order == "desc",
                             release_path=release_path, profile=profile, bpm_min=bpm_min, bpm_max=bpm_max, key=key)
    except SyncreadyError as exc:
        raise HTTPException(400, str(exc)) from None
