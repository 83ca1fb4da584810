"""The studio's FastAPI app: :func:`create_app` wires storage, the job pool, the safety rules,
the JSON API (``/api``, OpenAPI at ``/docs``), the pages and the static files (vendored, no CDN).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .. import __version__
from . import api, pages
from .jobs import Jobs
from .security import Guard
from .storage import Storage

DEFAULT_MAX_UPLOAD = 500 * 10**6  # bytes, per file
MULTIPART_SLACK = 2**20  # bytes a request may carry beyond one file: form fields and part headers


def default_data_dir() -> Path:
    """``<user data dir>/syncready/studio`` (platformdirs, as the catalog)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("syncready")) / "studio"


def create_app(data_dir: str | Path | None = None, db_url: str | None = None, token: str | None = None, *,
               max_upload: int = DEFAULT_MAX_UPLOAD, workers: int = 2) -> FastAPI:
    """The studio app.

    Parameters
    ----------
    data_dir
        Where uploads, outputs, deliveries and the job table live (default :func:`default_data_dir`).
    db_url
        The catalog (as ``--db``; default ``$SYNCREADY_DB`` or the user catalog).
    token
        Required on every request when given (``syncready serve`` sets one when it binds
        beyond loopback); without it, only loopback host names are answered.
    max_upload
        Largest request body, bytes.
    workers
        Worker processes for jobs.

    The job pool starts with the app (its lifespan) and unfinished jobs of an earlier run are
    marked interrupted then.
    """
    storage = Storage(data_dir or default_data_dir())
    jobs = Jobs(storage, workers=workers, db_url=db_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        storage.remove_stale_incoming()
        app.state.interrupted = jobs.start()
        try:
            yield
        finally:
            jobs.stop()

    app = FastAPI(title="syncready studio", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Check, fix, audition, document and deliver tracks: a face over the syncready library.")
    app.state.storage, app.state.jobs, app.state.db_url = storage, jobs, db_url
    app.state.token, app.state.max_upload = token, max_upload
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")
    app.add_middleware(Guard, token=token, max_body=max_upload + MULTIPART_SLACK)
    return app
