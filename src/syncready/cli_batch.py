"""``syncready batch``: one task over a whole folder, in parallel (local processes or Ray),
resumable, into the catalog.

Exit codes: 0 every file done and passing (warnings allowed), 1 a file failed its check, 2 a
file could not be read (the rest are still done) or bad arguments.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli import EXIT_BAD, EXIT_FAIL, EXIT_OK, ProfileOpt, _guarded, app, err, refuse
from .cli_produce import JsonOpt, _report


@app.command()
def batch(
    spec: Annotated[str, typer.Argument(help="A folder (searched recursively) or a glob pattern.", show_default=False)],
    do: Annotated[str, typer.Option("--do", help="The task for every file: check, or package (a delivery per file).")] = "check",
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Files at once: worker processes, or Ray tasks of one CPU (default: one per core; with --address, the cluster's CPUs).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip files whose result (by content hash) is already in the results folder.")] = False,
    output: Annotated[Path, typer.Option("--output", "-o", help="Results folder: one JSON per file, batch.json summary.")] = Path("syncready-batch"),
    profile: ProfileOpt = "sync-library",
    db: Annotated[Optional[str], typer.Option("--db", help="Catalog to record the results in (default: $SYNCREADY_DB or the user catalog).")] = None,
    no_catalog: Annotated[bool, typer.Option("--no-catalog", help="Do not record the results in the catalog.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="Where the work runs: process (worker processes here) or ray (a Ray instance or cluster; needs the extra syncready\\[ray]).")] = "process",
    address: Annotated[Optional[str], typer.Option("--address", help="Ray only: auto, or HOST:PORT of a running cluster's head (default: start a local Ray instance sized to --jobs).", metavar="ADDR")] = None,
    json_out: JsonOpt = None,
) -> None:
    """Check (or package) every audio file of a folder in worker processes or on Ray, with progress, failures isolated, resumable."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from .batch import run

    if jobs is not None and jobs < 1:
        refuse("--jobs must be at least 1")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(do, total=None, rate="")
        started = time.perf_counter()

        def advance(done: int, total: int) -> None:
            per_hour = 3600 * done / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total, rate=f"{per_hour:,.0f} files/h")

        r = _guarded(lambda: run(spec, output, task=do, profile=profile, jobs=jobs, resume=resume, progress=advance,
                                 catalog=False if no_catalog else db, engine=engine, address=address))
    lines = [f"{r.done} file(s) done ({r.engine}), {r.skipped} already done (resume), {r.not_audio} not audio; "
             f"{r.seconds:.1f} s, {r.rate_per_hour:.0f} files/hour; verdicts {r.verdicts or '-'}; results in {r.results_dir}"]
    lines += [f"failed: {f['file']}: {f['error']}" for f in r.failed]
    _report(r, json_out, lines, [], r.summary())
    code = EXIT_BAD if r.failed else EXIT_FAIL if r.verdicts.get("fail") else EXIT_OK
    raise typer.Exit(code)
