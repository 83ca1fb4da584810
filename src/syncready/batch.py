"""Whole folders at once: run one task on every audio file, in local processes or on Ray.

Conventions
-----------
- Inputs are a folder (searched recursively) or a glob pattern; audio is recognised by suffix
  (:data:`syncready.stems.stemset.AUDIO_SUFFIXES`), other files are skipped and counted. Paths
  are made absolute, so that a worker on another machine can open them where every node
  mounts the same storage.
- The unit of work is (task, profile, file content): its key is the file's SHA-256 with the
  task and profile names. Each finished job's result is a JSON file named by that key in the
  results folder, written atomically by the driver; ``resume`` skips keys already done without
  error, so an interrupted batch continues where it stopped, a renamed or copied file is not
  redone, and failed files are tried again.
- A file is hashed where it is read: the worker's analysis hashes it (the driver does not),
  and its result carries that ``sha256`` with the file's ``size_bytes`` and ``mtime_ns`` as
  read. On ``resume`` the driver takes a file's hash from a stored result with the same path,
  size and modification time, and hashes only the files it has not seen that way (new,
  renamed, copied or changed: to find a copy already done); such a file's worker gets the
  hash for its key, though its analysis still hashes the bytes it reads.
- A failure (unreadable file, a bug in one track, a worker that died) is recorded as that
  file's result (``status: "error"``); the other files go on.
- Results of files done without error are added to the catalog by the driver (one writer:
  SQLite allows no other).
- Where the work runs is the engine's business (:mod:`syncready.engines`): ``process`` (a
  pool of ``jobs`` processes here) or ``ray`` (one-CPU tasks on a local Ray instance or a
  cluster, ``jobs`` at once); the same :func:`run_job` runs in either.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import engines
from .digest import file_sha256
from .errors import BadInputError, SyncreadyError, UsageError
from .outputs import write_text
from .stems.stemset import AUDIO_SUFFIXES

TASKS = ("check", "package")
SHARED_STORAGE = "input, results and cache folders must be on storage every node mounts at the same path"


@dataclass
class BatchResult:
    """What a batch did: counts, the files that failed, where the results are, wall time (s)."""

    results_dir: str
    engine: str = "process"
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

    def summary(self) -> dict:
        """The ``batch.json`` document (also what ``batch --json`` prints)."""
        return {"results_dir": self.results_dir, "engine": self.engine, "done": self.done, "skipped": self.skipped,
                "not_audio": self.not_audio, "failed": self.failed, "verdicts": self.verdicts,
                "seconds": self.seconds, "rate_per_hour": round(self.rate_per_hour, 1)}


@dataclass(frozen=True)
class Job:
    """One file's work, as a worker gets it (plain strings: it travels to other processes/nodes).

    ``sha256`` is the file's hash when the driver already knows it, ``cache_dir`` the
    driver's ``$SYNCREADY_CACHE`` (absolute) when set, ``remote`` whether the worker may be on
    another machine (its errors then name the host and the shared-storage rule).
    """

    path: str
    task: str
    profile: str
    results_dir: str
    sha256: str | None = None
    cache_dir: str | None = None
    remote: bool = False


def find_inputs(spec: str | Path) -> tuple[list[Path], int]:
    """The audio files (absolute paths) a folder (recursively) or a glob names, sorted, and how
    many other files it held.

    Raises
    ------
    UsageError
        Nothing matches.
    """
    spec = str(spec)
    if os.path.isdir(spec):
        candidates = [p for p in Path(spec).absolute().rglob("*") if p.is_file()]
    else:
        candidates = [Path(p).absolute() for p in glob.glob(spec, recursive=True) if os.path.isfile(p)]
    audio = sorted(p for p in candidates if p.suffix.lower() in AUDIO_SUFFIXES)
    if not candidates:
        raise UsageError(f"{spec}: no files here")
    return audio, len(candidates) - len(audio)


def job_key(sha256: str, task: str, profile: str) -> str:
    """The result key of one job: content hash, task and profile."""
    return f"{sha256[:32]}-{task}-{profile}"


def run_job(job: Job) -> dict:
    """One file's result (runs in a worker). Never raises for the file's own faults.

    ``check``: the ``check --json`` document. ``package``: the delivery is built in
    ``results_dir/deliveries/<file stem>-<hash prefix>`` (replaced when it is there: the hash
    says the content is the same). The result carries ``sha256`` (None when the file could not
    be read at all), ``size_bytes`` and ``mtime_ns`` (the file as read) and ``host``.
    """
    from .checks import profile as profiles
    from .qc import check_file, document

    started = time.perf_counter()
    if job.cache_dir:
        os.environ["SYNCREADY_CACHE"] = job.cache_dir
    out: dict = {"file": job.path, "sha256": job.sha256, "host": socket.gethostname()}
    try:
        _check_paths(job)
        stat = os.stat(job.path)
        out |= {"size_bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        prof = profiles.load(job.profile)
        if job.task == "check":
            result = check_file(job.path, prof)
            doc = document(result)
            out |= {"sha256": doc["format"]["sha256"], "status": "error" if result.unusable else "ok",
                    "verdict": doc["verdict"], "check": doc}
            if result.unusable:
                out["error"] = result.unusable
        else:
            from .deliver.package import package

            out["sha256"] = out["sha256"] or file_sha256(job.path)
            target = Path(job.results_dir) / "deliveries" / f"{Path(job.path).stem}-{out['sha256'][:12]}"
            made = package(job.path, target, prof, overwrite=True)
            after = made.fix.after.report.verdict if made.fix.after else "error"
            out |= {"status": "ok", "verdict": after, "delivery": made.path}
    except SyncreadyError as exc:
        out |= {"status": "error", "verdict": "error", "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one track's bug must not stop the batch
        out |= {"status": "error", "verdict": "error", "error": f"{type(exc).__name__}: {exc}"}
    if out["sha256"] is None:
        out["sha256"] = _hash_or_none(Path(job.path))  # only files that failed before their analysis
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


def run(spec: str | Path, results_dir: str | Path, *, task: str = "check", profile: str = "sync-library",
        jobs: int | None = None, resume: bool = False, progress: Callable[[int, int], None] | None = None,
        catalog: str | None | bool = None, engine: str = "process", address: str | None = None) -> BatchResult:
    """Run ``task`` on every audio file of ``spec``, ``jobs`` at a time, on ``engine``.

    ``engine`` is ``"process"`` (worker processes here) or ``"ray"`` (``address`` None: a
    local Ray instance with ``jobs`` CPUs; ``"auto"`` or ``HOST:PORT``: a running cluster).
    ``progress(done, total)`` is called after each finished file. Results go to
    ``results_dir/<key>.json`` (see the module notes) and a summary to ``results_dir/batch.json``.
    Each file done without error is also added to the catalog (the file for ``check``, its
    delivery for ``package``): ``catalog`` is its URL, None for the default catalog
    (:mod:`syncready.catalog.db`), False for none.

    Raises
    ------
    UsageError
        Unknown task or engine, nothing to do, a results folder that cannot be written, Ray
        not installed or its cluster not reachable.
    """
    if task not in TASKS:
        raise UsageError(f"unknown task {task!r}; tasks are {', '.join(TASKS)}")
    from .checks import profile as profiles

    label = _profile_label(profile, profiles.load(profile))  # a bad profile stops the batch here
    runner = engines.make(engine, jobs=jobs, address=address)
    files, others = find_inputs(spec)
    folder = Path(results_dir).absolute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{folder}: cannot create the results folder ({exc.strerror})") from None
    cache = os.environ.get("SYNCREADY_CACHE")
    template = Job("", task, profile, str(folder), cache_dir=str(Path(cache).absolute()) if cache else None,
                   remote=runner.name == "ray")
    result = BatchResult(str(folder), engine=runner.name, not_audio=others)
    started = time.perf_counter()
    known = _known_hashes(folder) if resume else {}
    todo = []
    for path in files:
        sha = None
        if resume:
            sha = known.get(_stamp(path)) or _hash_or_none(path)
            if sha and _finished(folder / f"{job_key(sha, task, label)}.json"):
                result.skipped += 1
                continue
        todo.append(replace(template, path=str(path), sha256=sha))
    total = len(todo)
    sessions = None
    if catalog is not False and todo:
        from .catalog.db import open_catalog

        sessions = open_catalog(catalog or None)
    with contextlib.closing(runner.run(run_job, todo)) as finished:
        for outcome in finished:
            doc = outcome.value if outcome.error is None else _lost(outcome.item, outcome.error)
            if sessions is not None and doc["status"] == "ok":
                doc["catalog"] = _record(sessions, doc.get("delivery") or doc["file"])
            write_text(folder / f"{_result_key(doc, task, label)}.json", json.dumps(doc, indent=2))
            result.done += 1
            result.verdicts[doc["verdict"]] = result.verdicts.get(doc["verdict"], 0) + 1
            if doc["status"] == "error":
                result.failed.append({"file": doc["file"], "error": doc["error"]})
            if progress:
                progress(result.done, total)
    result.seconds = round(time.perf_counter() - started, 3)
    write_text(folder / "batch.json", json.dumps(result.summary(), indent=2))
    return result


def _check_paths(job: Job) -> None:
    """On a possibly remote worker: fail clearly when this node cannot read the input (or, for a
    package, write the results folder), naming the host and the shared-storage rule."""
    if not job.remote:
        return  # here the analysis's own messages are the precise ones
    host = socket.gethostname()
    if not os.access(job.path, os.R_OK):
        raise BadInputError(f"{job.path}: cannot be read on worker {host} ({SHARED_STORAGE})")
    if job.task == "package" and not os.access(job.results_dir, os.W_OK):
        raise BadInputError(f"{job.results_dir}: cannot be written on worker {host} ({SHARED_STORAGE})")


def _lost(job: Job, error: str) -> dict:
    """The result of a job whose worker returned nothing."""
    return {"file": job.path, "sha256": job.sha256, "status": "error", "verdict": "error", "error": error}


def _profile_label(profile: str, loaded) -> str:
    """The profile's part of a result key: a shipped profile's name; for a profile file, its
    name made safe for a file name and the first 8 hex digits of the file's SHA-256 (two files
    of one name, or an edited file, do not share results)."""
    from .checks.profile import available

    if profile in available():
        return profile
    safe = "".join(c if c.isalnum() or c in "._" else "-" for c in loaded.name)[:40]
    return f"{safe}-{hashlib.sha256(Path(profile).read_bytes()).hexdigest()[:8]}"


def _result_key(doc: dict, task: str, profile: str) -> str:
    """The key a result is stored under: its content hash, or (unreadable file) its path's."""
    if doc.get("sha256"):
        return job_key(doc["sha256"], task, profile)
    return f"unread-{hashlib.sha256(doc['file'].encode()).hexdigest()[:24]}-{task}-{profile}"


def _stamp(path: Path) -> tuple[str, int, int] | None:
    """Path, size and modification time (ns) of a file; None when it cannot be examined."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_size, stat.st_mtime_ns


def _known_hashes(folder: Path) -> dict[tuple[str, int, int], str]:
    """The hashes the stored results of ``folder`` give, by the file's path, size and mtime."""
    known = {}
    for item in folder.glob("*.json"):
        try:
            doc = json.loads(item.read_text(encoding="utf-8"))
            stamp = (doc["file"], doc["size_bytes"], doc["mtime_ns"])
            if doc["sha256"]:
                known[stamp] = doc["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # batch.json, foreign or damaged files: no hash to learn
    return known


def _hash_or_none(path: Path) -> str | None:
    """The file's SHA-256, or None when it cannot be read (its worker will say why)."""
    try:
        return file_sha256(path)
    except OSError:
        return None


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
