"""Worker threads for per-channel work in code that releases the GIL (numba kernels, soxr).

One pool serves the whole process. Jobs given to it must not wait on the pool themselves
(they are leaf computations), so it cannot deadlock.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
_POOL: ThreadPoolExecutor | None = None


def per_channel(run: Callable[[int], T], channels: int) -> list[T]:
    """``[run(0), ..., run(channels - 1)]``, in parallel threads when there are several."""
    global _POOL
    if channels == 1:
        return [run(0)]
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="syncready")
    return list(_POOL.map(run, range(channels)))
