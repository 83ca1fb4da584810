"""Whole folders at once: run one task on every audio file in a pool of worker processes.

Conventions
-----------
- Inputs are a folder (searched recursively) or a glob pattern; audio is recognised by suffix
  (:data:`syncready.stems.stemset.AUDIO_SUFFIXES`), other files are skipped and counted.
- The unit of work is (task, profile, file content): its key is the file's SHA-256 with the
  task and profile names. Each finished job's result is a JSON file named by that key in the
  results folder, written atomically; ``resume`` skips keys already done without error, so an
  interrupted batch continues where it stopped, a renamed or copied file is not redone, and
  failed files are tried again.
- A failure (unreadable file, a bug in one track) is caught in its worker and recorded as that
  file's result (``status: "error"``); the other files go on.
- Results of files done without error are added to the catalog in the parent process (one
  writer: SQLite allows no other).
- Workers are started with the ``spawn`` method (numba's threads and forked processes do not
  mix) and each runs single files to completion; ``jobs`` is the number of processes.
"""

from __future__ import annotations

import glob
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .digest import file_sha256
from .errors import SyncreadyError, UsageError
from .outputs import write_text
from .stems.stemset import AUDIO_SUFFIXES

TASKS = ("check", "package")


@dataclass
class BatchResult:
    """What a batch did: counts, the files that failed, where the results are, wall time (s)."""

    results_dir: str
    done: int = 0
    skipped: int = 0
    not_audio: int = 0
    failed: list[dict] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rate_per_hour(self) -> float:
        """Files finished per hour of wall time."""
        return 3600.0 * self.done / self.seconds if self.seconds else 0.0


def find_inputs(spec: str | Path) -> tuple[list[Path], int]:
    """The audio files a folder (recursively) or a glob names, sorted, and how many others it held.

    Raises
    ------
    UsageError
        Nothing matches.
    """
    spec = str(spec)
    if os.path.isdir(spec):
        candidates = [p for p in Path(spec).rglob("*") if p.is_file()]
    else:
        candidates = [Path(p) for p in glob.glob(spec, recursive=True) if os.path.isfile(p)]
    audio = sorted(p for p in candidates if p.suffix.lower() in AUDIO_SUFFIXES)
    if not candidates:
        raise UsageError(f"{spec}: no files here")
    return audio, len(candidates) - len(audio)


def job_key(path: Path, task: str, profile: str) -> str:
    """The result key of one job: content hash, task and profile."""
    return f"{file_sha256(path)[:32]}-{task}-{profile}"


def run_job(path: str, task: str, profile: str, key: str, results_dir: str) -> dict:
    """One file's result (runs in a worker). Never raises for the file's own faults.

    ``check``: the ``check --json`` document. ``package``: the delivery is built in
    ``results_dir/deliveries/<file stem>-<key prefix>`` (replaced when it is there: the key
    says the content and profile are the same).
    """
    from .checks import profile as profiles
    from .qc import check_file, document

    started = time.perf_counter()
    try:
        prof = profiles.load(profile)
        if task == "check":
            result = check_file(path, prof)
            doc = document(result)
            out = {"file": path, "status": "error" if result.unusable else "ok", "verdict": doc["verdict"], "check": doc}
            if result.unusable:
                out["error"] = result.unusable
        else:
            from .deliver.package import package

            target = Path(results_dir) / "deliveries" / f"{Path(path).stem}-{key[:12]}"
            made = package(path, target, prof, overwrite=True)
            after = made.fix.after.report.verdict if made.fix.after else "error"
            out = {"file": path, "status": "ok", "verdict": after, "delivery": made.path}
    except SyncreadyError as exc:
        out = {"file": path, "status": "error", "verdict": "error", "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one track's bug must not stop the batch
        out = {"file": path, "status": "error", "verdict": "error", "error": f"{type(exc).__name__}: {exc}"}
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


def run(spec: str | Path, results_dir: str | Path, *, task: str = "check", profile: str = "sync-library",
        jobs: int | None = None, resume: bool = False, progress: Callable[[int, int], None] | None = None,
        catalog: str | None | bool = None) -> BatchResult:
    """Run ``task`` on every audio file of ``spec`` with ``jobs`` worker processes.

    ``progress(done, total)`` is called after each finished file. Results go to
    ``results_dir/<key>.json`` (see the module notes) and a summary to ``results_dir/batch.json``.
    Each file done without error is also added to the catalog (the file for ``check``, its
    delivery for ``package``): ``catalog`` is its URL, None for the default catalog
    (:mod:`syncready.catalog.db`), False for none.

    Raises
    ------
    UsageError
        Unknown task, nothing to do, or a results folder that cannot be written.
    """
    if task not in TASKS:
        raise UsageError(f"unknown task {task!r}; tasks are {', '.join(TASKS)}")
    from .checks import profile as profiles

    profiles.load(profile)  # a bad profile stops the batch before it starts
    files, others = find_inputs(spec)
    folder = Path(results_dir)
    result = BatchResult(str(folder), not_audio=others)
    started = time.perf_counter()
    todo = []
    for path in files:
        key = job_key(path, task, profile)
        if resume and _finished(folder / f"{key}.json"):
            result.skipped += 1
        else:
            todo.append((path, key))
    total = len(todo)
    sessions = None
    if catalog is not False and todo:
        from .catalog.db import open_catalog

        sessions = open_catalog(catalog or None)
    for key, doc in _pool(todo, task, profile, jobs, folder):
        if sessions is not None and doc["status"] == "ok":
            doc["catalog"] = _record(sessions, doc.get("delivery") or doc["file"])
        write_text(folder / f"{key}.json", json.dumps(doc, indent=2))
        result.done += 1
        result.verdicts[doc["verdict"]] = result.verdicts.get(doc["verdict"], 0) + 1
        if doc["status"] == "error":
            result.failed.append({"file": doc["file"], "error": doc["error"]})
        if progress:
            progress(result.done, total)
    result.seconds = round(time.perf_counter() - started, 3)
    summary = {"results_dir": str(folder), "done": result.done, "skipped": result.skipped, "not_audio": result.not_audio,
               "failed": result.failed, "verdicts": result.verdicts, "seconds": result.seconds,
               "rate_per_hour": round(result.rate_per_hour, 1)}
    write_text(folder / "batch.json", json.dumps(summary, indent=2))
    return result


def _record(sessions, path: str) -> str:
    """Add ``path`` (a file or a delivery folder) to the catalog; the outcome in words."""
    from .catalog.store import add

    try:
        with sessions() as session:
            tracks = add(session, path)
            session.commit()
        return f"added as track {', '.join(str(t.id) for t in tracks)}"
    except SyncreadyError as exc:
        return f"not added: {exc}"


def _finished(path: Path) -> bool:
    """Whether a stored result exists and is not an error (errors are retried on resume)."""
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("status") == "ok"
    except (OSError, ValueError):
        return False


def _pool(todo: list[tuple[Path, str]], task: str, profile: str, jobs: int | None,
          folder: Path) -> Iterator[tuple[str, dict]]:
    """Yield ``(key, result)`` as jobs finish, in a spawn-context process pool."""
    if not todo:
        return
    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: dict[Future, str] = {pool.submit(run_job, str(path), task, profile, key, str(folder)): key
                                      for path, key in todo}
        for future in as_completed(futures):
            yield futures[future], future.result()
