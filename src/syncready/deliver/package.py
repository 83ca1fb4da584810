"""``syncready package``: one raw song to a verified, library-ready delivery folder.

The stages, in order (each is the library call of its own command; nothing is re-implemented):

1. **fix** (:func:`syncready.produce.fix.fix`: end -> trim -> master, checked before and
   after) makes the *Main* master.
2. **versions** (:mod:`.versions`): with a stems folder, every version the stem set allows
   (:func:`syncready.stems.versions.mix_versions`, one shared gain structure) and one folder of
   stems per version; without stems and only when asked (``split_instrumental``), one
   instrumental separated from the mix by the dsp backend, labelled "(DSP)" and
   ``"method": "dsp-separation"``. Without either, no instrumental is guessed.
3. **cut-downs** :60 :30 :15 :06, those shorter than the master
   (:func:`syncready.produce.cutdown.cutdowns`).
4. **loops** of 4, 8 and 16 bars, those that fit (:func:`syncready.produce.loop.make_loop`).
5. **sting** (:func:`syncready.produce.sting.make_sting`).
6. **tag** every delivered audio file but the stems from the rights record, and **sign** it
   when a certificate and key are given (:mod:`syncready.rights.tags`, :mod:`.credentials`).
7. **exports** of the rights record into ``Paperwork/`` (:data:`PAPERWORK`).
8. **report**: the fix page (:func:`syncready.deliver.report.render_fix`, before/after).
9. **manifest.json** (:mod:`.manifest`).

Without a rights record, or with one that fails validation (unreadable, malformed, or with
an error-level issue), the audio is still built: the paperwork is listed under ``missing`` in
the manifest with the reason. A stage that cannot make one asset to its contract (a loop
longer than the song...) skips it with a note; a failing fix stops the package.

Atomicity: everything is built in a temporary folder beside ``out_dir`` and renamed to it at
the end, so a crash leaves no half-written delivery (intermediate files go to a scratch folder
beside it too: on the same filesystem, made files are moved into the delivery, never copied
across devices); a failed write (a full disk) removes both and raises a one-line
:class:`UsageError`; an existing ``out_dir`` is replaced only
with ``overwrite`` (the old one is removed after the new one is in place). Analyses are cached
by content hash, so a re-run on the same input reuses them and writes the same files.
Stage times are in seconds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import audio
from ..checks.profile import Profile
from ..digest import file_sha256
from ..errors import BadInputError, ContractError, SyncreadyError, UsageError
from ..outputs import replace_dir, temp_dir_beside
from ..produce.cutdown import cutdowns
from ..produce.fix import FixResult, fix
from ..produce.loop import make_loop
from ..produce.sting import make_sting
from . import manifest, versions
from .naming import Naming, safe_name
from .report import render_fix

CUTDOWNS_S = (60.0, 30.0, 15.0, 6.0)
LOOP_BARS = (4, 8, 16)
PAPERWORK = {  # export kind -> file suffix
    "ingestion-tsv": "Ingestion.tsv",
    "cue-sheet-csv": "Cue Sheet.csv",
    "split-sheet-csv": "Split Sheet.csv",
    "split-sheet-html": "Split Sheet.html",
    "disclosure-json": "AI Disclosure.json",
    "lyric-sheet-txt": "Lyrics.txt",
}
SKIPPABLE = (UsageError, BadInputError, ContractError)


@dataclass
class PackageResult:
    """What :func:`package` made: the folder, its manifest, stage times (s), notes."""

    path: str
    manifest: dict
    fix: FixResult
    stages: dict[str, float] = field(default_factory=dict)
    zip_path: str | None = None


@dataclass
class _Build:
    """The delivery under construction: its temp root, how files are named, the manifest
    entries so far, notes and stage times."""

    root: Path
    profile: Profile
    naming: Naming
    title: str
    bpm: float | None = None
    files: list[dict] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # relative path -> asset key (main, cut30...)
    notes: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)

    def add(self, path: Path, kind: str, version: str | None, checks: list[str] = (), key: str | None = None,
            *, measured: dict | None = None, sha256: str | None = None, **fields) -> None:
        """Enter ``path`` in the manifest (``measured``, ``sha256``: see :func:`.manifest.entry`;
        ``fields`` join the entry)."""
        item = manifest.entry(self.root, path, kind, version, self.profile, list(checks), measured=measured,
                              sha256=sha256) | fields
        self.files.append(item)
        if key is not None:
            self.keys[item["path"]] = key

    def place(self, made: str | Path, key: str, kind: str, checks: list[str] = ("contract",), *,
              measured: dict | None = None, sha256: str | None = None, **fields) -> Path:
        """Move the made file ``made`` into the delivery under its name for asset ``key``."""
        target = self.root / f"{self.naming.stem(self.title, key, self.bpm)}{Path(made).suffix}"
        os.replace(made, target)
        self.add(target, kind, self.naming.version(key), checks, key, measured=measured, sha256=sha256, **fields)
        return target

    @contextlib.contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        yield
        self.stages[name] = round(self.stages.get(name, 0.0) + time.perf_counter() - start, 3)


def package(source: str | Path, out_dir: str | Path, profile: Profile, *, stems: str | Path | None = None,
            rights: str | Path | None = None, naming: Naming = Naming(), cert: str | Path | None = None,
            key: str | Path | None = None, zip_file: bool = False, overwrite: bool = False,
            split_instrumental: bool = False) -> PackageResult:
    """Build the delivery of ``source`` in ``out_dir`` (see the module notes).

    Raises
    ------
    BadInputError
        ``source`` is not readable audio (or is silent).
    UsageError
        ``out_dir`` exists (without ``overwrite``), cannot be written (also part-way: a full
        disk; nothing is kept), or holds the input; a bad stems folder or naming;
        ``split_instrumental`` with ``stems``.
    ContractError
        The master could not be made to its contract; nothing is written.
    """
    source, out_dir = Path(source), Path(out_dir)
    stems = None if stems is None else Path(stems)
    if stems is not None and split_instrumental:
        raise UsageError("--split-instrumental is for a song without stems; the stems already make the instrumental")
    audio.probe(source)
    if out_dir.exists() and not overwrite:
        raise UsageError(f"{out_dir}: already exists; use --force to replace it")
    if out_dir.exists() and source.resolve().is_relative_to(out_dir.resolve()):
        raise UsageError(f"{out_dir}: holds the input; refusing to replace it")
    record, paperwork_problem = _record(rights)
    title = record.work.title if record else source.stem
    build = _Build(temp_dir_beside(out_dir, "the delivery"), profile, naming, title)
    try:
        with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}-scratch-", dir=build.root.parent) as scratch:
            fixed = _audio(build, source, Path(scratch), stems, split_instrumental)
        tagged = _tag(build, record, cert, key, fixed.after.analysis)
        missing = _paperwork(build, record, paperwork_problem, naming, title, fixed.after.analysis)
        with build.stage("report"):
            report = build.root / f"{safe_name(title)} Report.html"
            report.write_text(render_fix(fixed.before, fixed.after, fixed.steps, profile), encoding="utf-8")
            build.add(report, "report", None)
        with build.stage("manifest"):
            doc = manifest.document(source, profile, build.files, missing, build.notes + tagged)
            manifest.write(build.root, doc)
        zip_path = _zip(build.root, out_dir) if zip_file else None
        replace_dir(build.root, out_dir)
    except BaseException as exc:
        shutil.rmtree(build.root, ignore_errors=True)
        if (failed := _write_failure(exc)) is not None:
            raise UsageError(f"{out_dir}: cannot write the delivery ({failed}); nothing was kept") from None
        raise
    return PackageResult(str(out_dir), doc, fixed, build.stages, zip_path)


def _write_failure(exc: BaseException) -> str | None:
    """Why writing failed, when ``exc`` is a failed write (a full disk, a file-size limit:
    raw, or as the UsageError of :func:`syncready.audio.save`); None for anything else."""
    import soundfile

    cause = exc.__cause__ if isinstance(exc, UsageError) else exc
    if isinstance(cause, OSError) and cause.errno is not None:
        return (cause.strerror or os.strerror(cause.errno)).lower()
    if isinstance(cause, soundfile.SoundFileError):  # libsndfile's write failed (it gives no errno)
        return str(cause).strip(" .").lower() or "the audio writer failed"
    return None


def _record(rights: str | Path | None):
    """The rights record, or None and why the paperwork cannot be made."""
    from ..rights import record as records

    if rights is None:
        return None, "no rights record was given (--rights)"
    try:
        record = records.load(rights)
    except SyncreadyError as exc:
        return None, f"the rights record failed validation: {exc}"
    errors = [f"{i.field}: {i.message}" for i in records.issues(record, record._base) if i.severity == "error"]
    if errors:
        return None, f"the rights record failed validation: {'; '.join(errors)}"
    return record, None


def _audio(build: _Build, source: Path, scratch: Path, stems: Path | None, split_instrumental: bool) -> FixResult:
    """Fix, versions and stems, cut-downs, loops, sting: the audio of the delivery."""
    profile = build.profile
    with build.stage("fix"):
        fixed = fix(source, profile, scratch)
    analysis = fixed.after.analysis
    build.bpm = analysis.music.tempo_bpm if analysis.music else None
    passed = [f"check:{f.check}" for f in fixed.after.report.findings if f.severity == "pass"]
    master = build.place(fixed.output, "main", "master", ["contract", *passed])
    fixed.after.report.file = master.name
    if stems is not None:
        with build.stage("versions"):
            versions.from_stems(build, source, stems, scratch / "versions")
    elif split_instrumental:
        with build.stage("versions"):
            versions.dsp_instrumental(build, source, scratch / "versions")
    with build.stage("cutdowns"):
        targets = [t for t in CUTDOWNS_S if t < analysis.source.duration_s]
        try:  # all in one pass (one read of the master) ...
            cuts = cutdowns(master, targets, scratch / "cuts", analysis=analysis) if targets else []
        except SKIPPABLE as exc:  # ... or one by one, when a length cannot be made (too close to the song's)
            if _write_failure(exc) is not None:
                raise
            shutil.rmtree(scratch / "cuts", ignore_errors=True)
            cuts = []
            for target in targets:
                _skippable(build, f"{target:g} s cut-down", lambda: cuts.extend(
                    cutdowns(master, [target], scratch / "cuts", analysis=analysis)), scratch)
        for cut in cuts:
            build.place(cut.path, f"cut{cut.target_s:g}", "cutdown")
    with build.stage("loops"):
        for bars in LOOP_BARS:
            _skippable(build, f"{bars}-bar loop", lambda: build.place(
                make_loop(master, bars, scratch / f"loop{bars}.wav", analysis=analysis).path, f"loop{bars}", "loop"), scratch)
    with build.stage("sting"):
        _skippable(build, "sting", lambda: build.place(make_sting(master, scratch / "sting.wav", analysis=analysis).path,
                                                         "sting", "sting"), scratch)
    return fixed


def _skippable(build: _Build, what: str, action, scratch: Path) -> None:
    """Run ``action``; an asset that cannot be made is noted (without scratch paths), not fatal.
    A failed write (a full disk) is fatal: the delivery could not be written."""
    try:
        action()
    except SKIPPABLE as exc:
        if _write_failure(exc) is not None:
            raise
        message = str(exc)
        for folder in (scratch, build.root):
            message = message.replace(f"{folder}{os.sep}", "")
        build.notes.append(f"no {what}: {message}")


def _tag(build: _Build, record, cert, key, analysis) -> list[str]:
    """Tag (and sign) the delivered audio from the rights record; notes of what was done."""
    if record is None:
        return ["audio not tagged: no valid rights record"]
    from ..rights import credentials
    from ..rights.tags import fields_from_record, tag

    with build.stage("tag"):
        for item in build.files:
            version = build.keys.get(item["path"])
            if item["kind"] in manifest.AUDIO_KINDS and item["kind"] != "stem":
                path = build.root / item["path"]
                tag(path, fields_from_record(record, version=version, analysis=analysis))
                if cert is not None and key is not None:
                    credentials.sign(path, cert, key, record, version=version)
                item["sha256"] = file_sha256(path)
    return ["audio tagged" + (" and signed" if cert is not None and key is not None else "")]


def _paperwork(build: _Build, record, problem: str | None, naming: Naming, title: str, analysis) -> list[dict]:
    """Write the exports of the rights record; the documents that could not be made."""
    if record is None:
        return [{"document": kind, "reason": problem} for kind in PAPERWORK]
    from ..rights import exports

    missing = []
    folder = build.root / "Paperwork"
    folder.mkdir()
    versions = [exports.Version(f["version"], Path(f["path"]).name, f["duration_s"], None)
                for f in build.files if f["kind"] in ("master", "version")]
    options = {"ingestion-tsv": {"versions": versions, "analysis": analysis},
               "cue-sheet-csv": {"analysis": analysis}}
    with build.stage("exports"):
        for kind, suffix in PAPERWORK.items():
            if kind.startswith("lyric") and not (record.work.lyrics and (record.work.lyrics.text or record.work.lyrics.path)):
                missing.append({"document": kind, "reason": "the rights record has no lyrics"})
                continue
            path = folder / f"{safe_name(title)} {suffix}"
            try:
                exports.write(kind, record, path, **options.get(kind, {}))
            except SyncreadyError as exc:
                missing.append({"document": kind, "reason": str(exc)})
                continue
            build.add(path, "sheet", None)
    return missing


def _zip(root: Path, out_dir: Path) -> str:
    """Zip the built delivery to ``<out_dir>.zip`` (atomically, beside ``out_dir``)."""
    import zipfile

    from ..outputs import atomic_path

    target = out_dir.with_name(out_dir.name + ".zip")
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            archive.write(path, (Path(out_dir.name) / path.relative_to(root)).as_posix())
    return str(target)
