"""The HTML pages: upload, library, track, rights. They work without JavaScript (plain forms
that post and redirect); ``static/studio.js`` adds drag and drop, live progress, the waveform,
level-matched players and live rights validation through the JSON API. Every value is
rendered through Jinja2's autoescaping; data for scripts goes in ``data-`` attributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from . import actions, rights_form, views
from .api import fields_of, save_record
from .security import csrf_protect, csrf_value
from .storage import RIGHTS_FILE

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
router = APIRouter(include_in_schema=False)
guarded = [Depends(csrf_protect)]


def _page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"csrf": csrf_value(request), **context}, status_code=status)


def _missing(request: Request) -> HTMLResponse:
    return _page(request, "error.html", 404, message="No such track.")


@router.get("/", response_class=HTMLResponse)
def upload_page(request: Request):
    storage = request.app.state.storage
    recent = [views.summary(storage, row) for row in storage.tracks()[:20]]
    return _page(request, "upload.html", max_mb=request.app.state.max_upload / 1e6, profiles=actions.profiles(), recent=recent)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request):
    """The OpenAPI page (swagger-ui, vendored)."""
    return templates.TemplateResponse(request, "docs.html", {})


@router.post("/upload", dependencies=guarded)
async def upload_form(request: Request):
    form = await request.form()
    files = [f for f in form.getlist("files") if hasattr(f, "filename") and f.filename]
    storage, jobs = request.app.state.storage, request.app.state.jobs
    try:
        accepted, rejected = await run_in_threadpool(actions.upload, storage, jobs, files, str(form.get("profile") or "sync-library"),
                                                     request.app.state.max_upload)
    except actions.ActionError as exc:
        accepted, rejected = [], [{"name": "", "error": exc.reason, "status": exc.status}]
    if accepted and not rejected:
        return RedirectResponse(accepted[0]["url"], status_code=303)
    recent = [views.summary(storage, row) for row in storage.tracks()[:20]]
    return _page(request, "upload.html", 400 if not accepted else 200, max_mb=request.app.state.max_upload / 1e6,
                 profiles=actions.profiles(), recent=recent, rejected=rejected, accepted=accepted)


@router.get("/library", response_class=HTMLResponse)
def library_page(request: Request, q: Optional[str] = None, sort: str = "readiness", order: str = "asc",
                 release_path: Optional[str] = None):
    from ..errors import SyncreadyError
    from ..rights.rules import PATHS

    try:
        rows, problem = views.library(request.app.state.storage, request.app.state.db_url, text=q, sort=sort,
                                      descending=order == "desc", release_path=release_path), None
    except SyncreadyError as exc:
        rows, problem = [], str(exc)
    return _page(request, "library.html", rows=rows, q=q or "", sort=sort, order=order, release_path=release_path or "",
                 paths=PATHS, sorts=views.SORTS, problem=problem)


@router.get("/tracks/{track_id}", response_class=HTMLResponse)
def track_page(request: Request, track_id: str):
    doc = views.track(request.app.state.storage, request.app.state.jobs, track_id)
    if doc is None:
        return _missing(request)
    return _page(request, "track.html", t=doc)


@router.post("/tracks/{track_id}/jobs/{kind}", dependencies=guarded)
async def start_job(request: Request, track_id: str, kind: str):
    form = await request.form()
    try:
        actions.start(request.app.state.storage, request.app.state.jobs, track_id, kind, {"step": form.get("step")})
    except actions.ActionError as exc:
        return _page(request, "error.html", exc.status, message=exc.reason)
    return RedirectResponse(f"/tracks/{track_id}", status_code=303)


@router.get("/tracks/{track_id}/rights", response_class=HTMLResponse)
def rights_page(request: Request, track_id: str):
    storage = request.app.state.storage
    row = storage.track(track_id)
    if row is None:
        return _missing(request)
    folder = storage.track_dir(track_id)
    fields = rights_form.load_fields(folder / RIGHTS_FILE) or {"title": Path(row["name"]).stem}
    assessment = rights_form.assess(fields, folder / row["file"]) if (folder / RIGHTS_FILE).is_file() else None
    return _page(request, "rights.html", t=views.summary(storage, row), f=fields, a=assessment, choices=rights_form.CHOICES,
                 rows=rights_form.PARTY_ROWS, saved=(folder / RIGHTS_FILE).is_file())


@router.post("/tracks/{track_id}/rights", dependencies=guarded)
async def rights_save(request: Request, track_id: str):
    from fastapi import HTTPException

    storage = request.app.state.storage
    row = storage.track(track_id)
    if row is None:
        return _missing(request)
    fields = await fields_of(request)
    folder = storage.track_dir(track_id)
    try:
        await run_in_threadpool(save_record, request, track_id, fields, folder / row["file"], folder / RIGHTS_FILE, None)
    except HTTPException as exc:
        return _page(request, "rights.html", 422, t=views.summary(storage, row), f=fields, a=None, error=exc.detail,
                     choices=rights_form.CHOICES, rows=rights_form.PARTY_ROWS, saved=(folder / RIGHTS_FILE).is_file())
    return RedirectResponse(f"/tracks/{track_id}/rights?saved=1", status_code=303)
