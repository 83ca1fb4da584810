"""Atomic, input-safe writing of output files.

Every output is written to a temporary file in the destination folder and renamed over
the destination at the end, so a crash never leaves a half-written file. A destination
that is one of the inputs is refused: syncready never writes over the user's material.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import UsageError


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when both paths name the same file (resolved paths, or the same inode)."""
    a, b = Path(a), Path(b)
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def guard(path: str | Path, protect: Iterable[str | Path] = (), *, overwrite: bool = True) -> Path:
    """Check that ``path`` may be written: not an input, not an existing file unless allowed.

    Raises
    ------
    UsageError
        The path is one of ``protect``, or exists and ``overwrite`` is False.
    """
    path = Path(path)
    for item in protect:
        if same_file(path, item):
            raise UsageError(f"{path}: is an input file; refusing to overwrite it")
    if path.exists() and not overwrite:
        raise UsageError(f"{path}: already exists; refusing to overwrite it")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder")
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path, protect: Iterable[str | Path] = (), *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` when the block succeeds."""
    path = guard(path, protect, overwrite=overwrite)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{folder}: cannot create folder ({exc.strerror})") from None
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_text(path: str | Path, text: str, protect: Iterable[str | Path] = ()) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path, protect) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def temp_dir_beside(out_dir: Path, what: str) -> Path:
    """A new empty folder beside ``out_dir`` (same filesystem, so :func:`replace_dir` is a
    rename) to build ``what`` in; :class:`UsageError` when the parent cannot be written."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-"))
    except OSError as exc:
        raise UsageError(f"{out_dir}: cannot write {what} there ({exc.strerror})") from None


def replace_dir(built: Path, out_dir: Path) -> None:
    """Move the folder ``built`` to ``out_dir``; an old ``out_dir`` is removed after the swap."""
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-old-"))
        os.replace(out_dir, old / out_dir.name)
    os.replace(built, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
