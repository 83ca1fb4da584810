"""``syncready create --regenerate LABEL --from DIR`` and ``--variations N``.

Regenerate: the brief and the material seeds are read back from ``DIR/plan.json``; the label's
seed alone is replaced (by a draw from its old seed and the number of times it was regenerated),
so the plan, every other section's notes and the ending stay exactly as they were, and every
section with that label (a chorus and its repeats) gets new material. The new bed goes to a new
folder; ``DIR`` is an input and is never written.

Variations: ``N`` takes of one brief, seeds ``seed, seed + 1, ...``, in ``DIR/take-1`` ...
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import BadInputError, UsageError
from ..outputs import same_file
from .brief import Brief
from .compose import Bed, compose

MAX_VARIATIONS = 16


def read_plan(folder: str | Path) -> tuple[Brief, dict[str, int], list[str]]:
    """The brief, material seeds and regeneration history in the ``plan.json`` of a bed folder.

    Raises
    ------
    BadInputError
        No ``plan.json``, or one that syncready create did not write (unreadable, not JSON,
        fields missing or of the wrong type).
    UsageError
        Its brief is no longer valid (e.g. a mood since removed).
    """
    path = Path(folder) / "plan.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seeds = {str(k): int(v) for k, v in data["plan"]["material_seeds"].items()}
        history = [str(label) for label in data.get("regenerated", [])]
        brief = Brief.from_dict(data["brief"])
    except FileNotFoundError:
        raise BadInputError(f"{folder}: no plan.json; --from takes a folder made by syncready create") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadInputError(f"{path}: not a plan written by syncready create ({type(exc).__name__}: {exc})") from None
    return brief, seeds, history


def regenerate(source: str | Path, label: str, out_dir: str | Path, *, overwrite: bool = False,
               progress: Callable[[str], None] | None = None) -> Bed:
    """Make a copy of the bed in ``source`` with the sections labelled ``label`` re-generated."""
    if Path(out_dir).exists() and same_file(source, out_dir):
        raise UsageError(f"{out_dir}: is the --from folder; write the regenerated bed to a new folder")
    brief, seeds, history = read_plan(source)
    if label not in seeds:
        raise UsageError(f"{source} has no {label!r} section; it has {', '.join(sorted(seeds))}")
    seeds[label] = int(np.random.default_rng([seeds[label], history.count(label) + 1]).integers(2**31))
    return compose(brief, out_dir, overwrite=overwrite, material_seeds=seeds, regenerated=history + [label],
                   progress=progress)


def variations(brief: Brief, count: int, out_dir: str | Path, *, overwrite: bool = False,
               progress: Callable[[str], None] | None = None) -> list[Bed]:
    """``count`` takes of ``brief`` (seeds ``seed .. seed + count - 1``) in ``out_dir/take-K``."""
    if not 1 <= count <= MAX_VARIATIONS:
        raise UsageError(f"--variations {count}: ask for 1 to {MAX_VARIATIONS} takes")
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise UsageError(f"{out_dir}: already exists; use --force to replace it")
    return [compose(dataclasses.replace(brief, seed=brief.seed + k, title=f"{brief.title} take {k + 1}"),
                    out_dir / f"take-{k + 1}", overwrite=overwrite, progress=progress) for k in range(count)]
