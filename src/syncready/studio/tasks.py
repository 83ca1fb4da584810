"""The background work of the studio, run in worker processes: every job is a library call.

Kinds (``params`` in brackets):

- ``check``: :func:`syncready.qc.check_file` against the track's profile; writes ``check.json``
  (the ``syncready check --json`` document, its ``file`` the display name) and ``view.json``
  (waveform envelope, short-term loudness, beats, sections, target band), then adds the
  track to the catalog (:func:`syncready.catalog.store.add`).
- ``fix`` [step: all, end, trim, master]: :func:`syncready.produce.fix.fix` for ``all``, else the
  one step's own function, on the original; the output is checked again.
- ``edits``: cut-downs (:data:`~syncready.deliver.package.CUTDOWNS_S` shorter than the song),
  loops (:data:`~syncready.deliver.package.LOOP_BARS`) and a sting, from the best fixed output
  (``fixed``, else ``master``, else the original).
- ``package``: :func:`syncready.deliver.package.package` with the saved rights record, zipped.
  Progress is the share of the expected delivery files already in its build folder.
- ``catalog``: refresh the track in the catalog (after the rights record changed).

Each output's integrated loudness (LUFS, BS.1770) is stored for level-matched playback.
A job's outcome goes to the ``jobs`` table: ``done`` with a JSON ``result``, or ``failed``
with a one-line ``error`` (a :class:`~syncready.errors.SyncreadyError` message as is).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
import traceback
from pathlib import Path

from ..errors import SyncreadyError
from ..jsonable import to_jsonable
from ..outputs import write_text
from .db import connect
from .storage import DELIVERY_DIR, RIGHTS_FILE

FIX_STEPS = ("all", "end", "trim", "master")
FIX_HINT = re.compile(r"^syncready (end|trim|master)\b")
MAX_CURVE_POINTS = 1200
PAPERWORK_FILES = 6


WORKER_NICENESS = 10  # workers yield the CPU to the web server: pages stay fast while a package runs


def warm() -> None:
    """Worker initialiser: lower the worker's priority (:data:`WORKER_NICENESS`), import the
    audio stack and compile its kernels once, so the first job does not pay for it."""
    import numpy as np

    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()

    from ..analysis import analyze_audio
    from ..audio import Audio
    from ..deliver import package  # noqa: F401
    from ..produce import cutdown, ending, loop, master, sting, trim  # noqa: F401

    rng = np.random.default_rng(0)
    analyze_audio(Audio((0.1 * rng.standard_normal((2, 48000 * 4))).astype(np.float32), 48000))


def _exit_with_parent(parent: int) -> None:
    """End this worker when the server that started it is gone (killed without a clean stop):
    its unfinished job is marked interrupted by the next server."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def ready() -> bool:
    """A no-op task: submitting it makes the pool start (and warm) a worker."""
    return True


def fix_step(hint: str | None) -> str | None:
    """The studio fix step a finding's ``fix`` hint names (end, trim, master), or None."""
    match = FIX_HINT.match(hint or "")
    return match.group(1) if match else None


class Job:
    """One job as its worker sees it: the row, the track's folder, progress reporting."""

    def __init__(self, data_dir: str, job_id: int, db_url: str | None):
        self.conn = connect(data_dir)
        self.id, self.db_url = job_id, db_url
        row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        self.kind, self.params = row["kind"], json.loads(row["params"])
        self.track = dict(self.conn.execute("SELECT * FROM tracks WHERE id = ?", (row["track"],)).fetchone())
        self.folder = Path(data_dir) / "tracks" / self.track["id"]
        self.original = self.folder / self.track["file"]

    def progress(self, fraction: float, message: str, state: str = "running") -> None:
        self.conn.execute("UPDATE jobs SET state = ?, progress = ?, message = ?, updated = ? WHERE id = ?",
                          (state, round(fraction, 3), message, time.time(), self.id))

    def finish(self, state: str, message: str, result: dict | None = None, error: str | None = None) -> None:
        self.conn.execute("UPDATE jobs SET state = ?, progress = CASE WHEN ? = 'done' THEN 1.0 ELSE progress END, message = ?,"
                          " result = ?, error = ?, updated = ? WHERE id = ?",
                          (state, state, message, json.dumps(result) if result is not None else None, error, time.time(), self.id))

    def profile(self):
        from ..checks import profile as profiles

        return profiles.load(self.track["profile"])

    def record_output(self, name: str, kind: str, label: str, path: Path, *, lufs: float | None, duration_s: float | None,
                      verdict: str | None = None) -> dict:
        row = (self.track["id"], name, kind, label, path.relative_to(self.folder).as_posix(), duration_s,
               None if lufs is None else round(lufs, 2), verdict, time.time())
        self.conn.execute("INSERT OR REPLACE INTO outputs (track, name, kind, label, file, duration_s, integrated_lufs, verdict, created)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        return {"name": name, "label": label, "integrated_lufs": row[6], "duration_s": duration_s, "verdict": verdict}


def run(data_dir: str, job_id: int, db_url: str | None) -> str:
    """Run job ``job_id`` to its end; returns its final state (also written to the table)."""
    job = Job(data_dir, job_id, db_url)
    job.progress(0.02, "started")
    try:
        message, result = KINDS[job.kind](job)
    except SyncreadyError as exc:
        job.finish("failed", "failed", error=_without(str(exc), job.folder))
        return "failed"
    except Exception as exc:  # a bug: keep the server alive, say what broke
        traceback.print_exc()
        job.finish("failed", "failed", error=f"internal error: {type(exc).__name__}: {exc}")
        return "failed"
    job.finish("done", message, result)
    return "done"


def _without(message: str, folder: Path) -> str:
    """A message without the server's folders in it."""
    return message.replace(f"{folder}{os.sep}", "").replace(str(folder), "")


# ---------------------------------------------------------------------- check
def _check(job: Job) -> tuple[str, dict]:
    from ..qc import check_file, document

    prof = job.profile()
    job.progress(0.1, "analysing")
    result = check_file(job.original, prof)
    result.report.file = job.track["name"]
    doc = document(result)
    write_text(job.folder / "view.json", json.dumps(view_document(result, prof)))
    write_text(job.folder / "check.json", json.dumps(doc))
    job.progress(0.8, "findings ready; adding to the catalog")
    catalog_id = _add_to_catalog(job)
    return f"{doc['verdict']}: {_counts(doc)}", {"verdict": doc["verdict"], "counts": doc["counts"], "catalog_id": catalog_id}


def _counts(doc: dict) -> str:
    return ", ".join(f"{n} {s}" for s, n in doc["counts"].items() if n) or "no findings"


def view_document(result, prof) -> dict:
    """What the track page draws: envelope (linear peak per column), short-term loudness
    (LUFS, ``None`` below the gate, every ``hop_s`` seconds), beats, downbeats, sections, the
    ending and the profile's integrated target band (LUFS)."""
    a = result.analysis
    loud, music = a.loudness, a.music
    step = max(1, len(loud.short_term_lufs) // MAX_CURVE_POINTS)
    target = prof.loudness.integrated_lufs
    return to_jsonable({
        "duration_s": a.source.duration_s,
        "envelope": [round(v, 4) for v in a.levels.envelope],
        "short_term_lufs": [None if v is None else round(v, 2) for v in loud.short_term_lufs[::step]],
        "hop_s": loud.hop_s * step,
        "integrated_lufs": loud.integrated_lufs,
        "target": None if target is None else {"lufs": target, "tolerance_lu": prof.loudness.integrated_tolerance_lu},
        "tempo_bpm": music.tempo_bpm, "meter": music.meter, "key": music.key,
        "beats": [round(b, 3) for b in music.beats], "downbeats": [round(b, 3) for b in music.downbeats],
        "sections": [{"start": s.start, "end": s.end, "label": s.label, "group": s.group} for s in music.sections],
        "ending": {"type": music.ending.type, "start": music.ending.start},
    })


def _add_to_catalog(job: Job) -> int | None:
    """Add (or refresh) the original in the catalog, titled by the rights record or the upload name."""
    from ..catalog import store
    from ..catalog.db import open_catalog

    with open_catalog(job.db_url)() as session:
        tracks = store.add(session, job.original, notes=f"studio upload {job.track['name']}")
        for t in tracks:
            if not (job.folder / RIGHTS_FILE).is_file():
                t.title = Path(job.track["name"]).stem
        session.commit()
        return tracks[0].id if tracks else None


def _catalog(job: Job) -> tuple[str, dict]:
    job.progress(0.2, "updating the catalog")
    return "catalog updated", {"catalog_id": _add_to_catalog(job)}


# ---------------------------------------------------------------------- fix
FIX_LABELS = {"all": "Fixed (end, trim, master)", "end": "Ending repaired", "trim": "Topped and tailed", "master": "Mastered"}


def _fix(job: Job) -> tuple[str, dict]:
    from ..produce.ending import end
    from ..produce.fix import fix
    from ..produce.master import master
    from ..produce.trim import trim
    from ..qc import check_file, document

    step = job.params.get("step", "all")
    prof = job.profile()
    name = "fixed" if step == "all" else step
    out = job.folder / "outputs" / f"{name}.wav"
    job.progress(0.1, f"running {step}")
    with tempfile.TemporaryDirectory(prefix="syncready-studio-") as scratch:
        target = Path(scratch) / f"{name}.wav"
        if step == "all":
            r = fix(job.original, prof, scratch)
            os.replace(r.output, target)
            notes = [f"{s['step']}: {s.get('note', '')}" for s in r.steps]
            notes += [f"not fixed here: {f.check}: {f.message}" for f in r.not_fixed]
        elif step == "end":
            notes = [end(job.original, target).note]
        elif step == "trim":
            notes = [trim(job.original, target, prof).note]
        else:
            r = master(job.original, prof, target)
            notes = [f"{r.reason}; gain {r.gain_db:+.2f} dB"]
        job.progress(0.8, "checking the result")
        after = check_file(target, prof)
        os.replace(target, out)
    after.report.file = f"{name}.wav"
    doc = document(after)
    made = job.record_output(name, "fix", FIX_LABELS[step], out, lufs=doc["loudness"]["integrated_lufs"],
                             duration_s=doc["format"]["duration_s"], verdict=doc["verdict"])
    return f"{FIX_LABELS[step]}: now {doc['verdict']}", {"output": made, "notes": notes, "after": doc}


# ---------------------------------------------------------------------- edits
def _source_for_edits(job: Job) -> Path:
    for name in ("fixed", "master"):
        path = job.folder / "outputs" / f"{name}.wav"
        if path.is_file():
            return path
    return job.original


def _loudness(path: Path) -> tuple[float | None, float]:
    """Integrated loudness (LUFS) and duration (s) of a written file."""
    from .. import audio
    from ..analysis.loudness import measure

    sound = audio.load(path)
    return measure(sound.samples, sound.sample_rate).integrated_lufs, sound.duration_s


def _edits(job: Job) -> tuple[str, dict]:
    from ..analysis import analyze
    from ..deliver.package import CUTDOWNS_S, LOOP_BARS, SKIPPABLE
    from ..produce.cutdown import cutdowns
    from ..produce.loop import make_loop
    from ..produce.sting import make_sting

    source = _source_for_edits(job)
    analysis = analyze(source)
    made, notes = [], [f"made from {'the original' if source == job.original else source.stem + '.wav'}"]
    outputs = job.folder / "outputs"

    def keep(path: str, name: str, kind: str, label: str) -> None:
        target = outputs / f"{name}.wav"
        os.replace(path, target)
        lufs, duration = _loudness(target)
        made.append(job.record_output(name, kind, label, target, lufs=lufs, duration_s=round(duration, 3)))

    with tempfile.TemporaryDirectory(prefix="syncready-studio-") as scratch:
        targets = [t for t in CUTDOWNS_S if t < analysis.source.duration_s]
        job.progress(0.1, f"cut-downs {', '.join(f':{t:02.0f}' for t in targets) or '(the song is too short)'}")
        for cut in cutdowns(source, targets, Path(scratch) / "cuts", analysis=analysis) if targets else []:
            keep(cut.path, f"cut{cut.target_s:g}", "cutdown", f":{cut.target_s:02.0f} cut-down")
        for k, bars in enumerate(LOOP_BARS):
            job.progress(0.5 + 0.1 * k, f"{bars}-bar loop")
            try:
                keep(make_loop(source, bars, Path(scratch) / f"loop{bars}.wav", analysis=analysis).path,
                     f"loop{bars}", "loop", f"{bars}-bar loop")
            except SKIPPABLE as exc:
                notes.append(f"no {bars}-bar loop: {_without(str(exc), Path(scratch))}")
        job.progress(0.85, "sting")
        try:
            keep(make_sting(source, Path(scratch) / "sting.wav", analysis=analysis).path, "sting", "sting", "Sting")
        except SKIPPABLE as exc:
            notes.append(f"no sting: {_without(str(exc), Path(scratch))}")
    return f"{len(made)} edits rendered", {"outputs": made, "notes": notes}


# ---------------------------------------------------------------------- package
def _package(job: Job) -> tuple[str, dict]:
    from ..deliver.naming import safe_name
    from ..deliver.package import CUTDOWNS_S, LOOP_BARS, PAPERWORK, package

    rights = job.folder / RIGHTS_FILE
    out = job.folder / DELIVERY_DIR
    duration = json.loads((job.folder / "view.json").read_text())["duration_s"] if (job.folder / "view.json").is_file() else None
    expected = 3 + len(LOOP_BARS) + len(PAPERWORK) + sum(duration is None or t < duration for t in CUTDOWNS_S)
    with tempfile.TemporaryDirectory(prefix="syncready-studio-") as scratch:
        source = Path(scratch) / f"{safe_name(Path(job.track['name']).stem)}{job.original.suffix}"
        _link(job.original, source)
        stop = threading.Event()
        watcher = threading.Thread(target=_watch_build, args=(job, out, expected, stop), daemon=True)
        watcher.start()
        try:
            r = package(source, out, job.profile(), rights=rights if rights.is_file() else None, zip_file=True, overwrite=True)
        finally:
            stop.set()
            watcher.join()
    doc = r.manifest
    return (f"delivery built: {len(doc['files'])} files", {
        "zip": "delivery.zip", "files": len(doc["files"]), "missing": doc["missing"], "notes": doc["notes"],
        "stages": r.stages, "manifest": doc})


def _link(original: Path, target: Path) -> None:
    try:
        os.link(original, target)
    except OSError:
        import shutil

        shutil.copyfile(original, target)


def _watch_build(job: Job, out: Path, expected: int, stop: threading.Event) -> None:
    """Report package progress: the delivery files already in its build folder (``.delivery-*``)
    over the number expected; the fix stage (nothing in the folder yet) shows as 'mastering'."""
    while not stop.wait(0.3):
        count = sum(1 for build in out.parent.glob(f".{out.name}-*") for p in build.rglob("*") if p.is_file())
        if count == 0:
            job.progress(0.05, "fixing the master (end, trim, master)")
        else:
            job.progress(min(0.95, 0.3 + 0.65 * count / expected), f"{count} of about {expected} files written")


KINDS = {"check": _check, "fix": _fix, "edits": _edits, "package": _package, "catalog": _catalog}
