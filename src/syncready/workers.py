"""Worker threads for work in code that releases the GIL (numba kernels, numpy, soxr, libsndfile).

Two pools serve the whole process:

- :func:`per_channel` runs *leaf* computations (one channel of a filter, a resampler, a
  peak scan). Its jobs never wait on a pool themselves, so it cannot deadlock.
- :func:`each` runs independent *tasks* (one version of a song, one file to write) that may
  use :func:`per_channel` inside. They have a pool of their own, so a task waiting on its
  channels never holds a thread the channels need. A task must not call :func:`each` itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")
_POOL: ThreadPoolExecutor | None = None
_TASKS: ThreadPoolExecutor | None = None


def _threads() -> int:
    return os.cpu_count() or 1


def per_channel(run: Callable[[int], T], channels: int) -> list[T]:
    """``[run(0), ..., run(channels - 1)]``, in parallel threads when there are several."""
    global _POOL
    if channels == 1:
        return [run(0)]
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="syncready")
    return list(_POOL.map(run, range(channels)))


def each(run: Callable[[U], T], items: Iterable[U]) -> list[T]:
    """``[run(item) for item in items]``, the items in parallel threads when there are several.

    Every task has finished when this returns or raises (so none is still writing when the
    caller cleans up after a failure); the first failure in item order is raised.
    """
    global _TASKS
    items = list(items)
    if len(items) <= 1 or _threads() == 1:
        return [run(item) for item in items]
    if _TASKS is None:
        _TASKS = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="syncready-task")
    futures = [_TASKS.submit(run, item) for item in items]
    wait(futures)
    return [f.result() for f in futures]
