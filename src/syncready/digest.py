"""Content hashes: the SHA-256 that keys caches, manifests, evidence and batch results."""

from __future__ import annotations

import hashlib
import os


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (``OSError`` passes through)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
