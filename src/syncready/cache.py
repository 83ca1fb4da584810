"""On-disk cache of analysis results, keyed by content hash.

The folder is ``$SYNCREADY_CACHE`` when set, otherwise the user cache folder
(``platformdirs.user_cache_dir("syncready")``). Entries are JSON files written atomically;
an unreadable or stale entry is ignored and recomputed, never an error.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .jsonable import from_jsonable, to_jsonable


def cache_dir() -> Path:
    """The cache folder (not created until something is stored)."""
    env = os.environ.get("SYNCREADY_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("syncready"))


def load(key: str, cls: type) -> Any | None:
    """The cached ``cls`` instance stored under ``key``, or None."""
    path = cache_dir() / f"{key}.json"
    try:
        return from_jsonable(cls, json.loads(path.read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def store(key: str, obj: Any) -> None:
    """Store ``obj`` under ``key``; a cache that cannot be written is silently skipped."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(to_jsonable(obj), fh)
        os.replace(tmp, folder / f"{key}.json")
    except OSError:
        pass
