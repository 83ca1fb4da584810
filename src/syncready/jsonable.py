"""Plain-data round trips between dataclasses and JSON.

Conventions: non-finite floats (NaN, +-inf) become ``None`` so every document is strict
JSON; nested dataclasses, lists and ``X | None`` fields are rebuilt from their type hints.
Numpy scalars and arrays are turned into Python numbers and lists.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any

import numpy as np


def to_jsonable(obj: Any) -> Any:
    """Return ``obj`` as JSON-ready data (dicts, lists, str, int, float, bool, None)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    return obj


def from_jsonable(cls: Any, data: Any) -> Any:
    """Rebuild an instance of type ``cls`` (a dataclass or a typing form) from ``data``."""
    if data is None:
        return None
    origin = typing.get_origin(cls)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(cls) if a is not type(None)]
        return from_jsonable(inner[0], data) if len(inner) == 1 else data
    if origin in (list, tuple):
        args = typing.get_args(cls)
        item = args[0] if args else Any
        values = [from_jsonable(item, v) for v in data]
        return values if origin is list else tuple(values)
    if origin is dict:
        _, value_type = typing.get_args(cls) or (str, Any)
        return {k: from_jsonable(value_type, v) for k, v in data.items()}
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        kwargs = {
            f.name: from_jsonable(hints[f.name], data[f.name])
            for f in dataclasses.fields(cls)
            if f.init and f.name in data
        }
        return cls(**kwargs)
    return data
