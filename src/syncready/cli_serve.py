"""``syncready serve``: the local web studio (check, fix, audition, document and deliver in a browser).

Binds to loopback by default. Binding to any other address needs a token: ``--token`` or a
generated one, printed with the address to open; every request must carry it. Exit codes: 0
after a clean stop (Ctrl-C), 2 bad arguments (a port out of range, a data folder that cannot be made).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli import app, err, refuse
from .cli_catalog import DbOpt


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; anything but loopback needs a token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8750,
    db: DbOpt = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Folder for uploads, outputs, deliveries and jobs (default: the user data dir).", metavar="DIR")] = None,
    token: Annotated[Optional[str], typer.Option("--token", help="Access token required on every request (generated when binding beyond loopback).")] = None,
    max_upload_mb: Annotated[float, typer.Option("--max-upload-mb", help="Largest upload, MB.")] = 500.0,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes for analysis, fixes and packages.")] = 2,
) -> None:
    """Start the web studio: upload songs, see what is wrong, fix, audition, fill in the rights, download the delivery."""
    from .studio.security import is_loopback, new_token

    if not 0 < port < 65536:
        refuse(f"--port {port}: choose 1 to 65535")
    if workers < 1 or max_upload_mb <= 0:
        refuse("--workers and --max-upload-mb must be positive")
    if token is None and not is_loopback(host):
        token = new_token()
    try:
        import uvicorn

        from .studio.app import create_app, default_data_dir
    except ImportError as exc:
        refuse(f"the studio needs the 'studio' extra: pip install 'syncready[studio]' ({exc.name} is missing)")
    folder = data or default_data_dir()
    try:
        studio = create_app(folder, db, token, max_upload=int(max_upload_mb * 1e6), workers=workers)
    except OSError as exc:
        refuse(f"{folder}: cannot use it as the data folder ({exc.strerror})")
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/" + (f"?token={token}" if token else "")
    err.print(f"syncready studio: open {address}  (data in {folder}; Ctrl-C stops)", highlight=False, markup=False)
    uvicorn.run(studio, host=host, port=port, log_level="warning")
