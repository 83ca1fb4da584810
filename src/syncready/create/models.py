"""The shipped composition models: n-gram counts of chord degrees, melody degrees and bar rhythms.

Conventions
-----------
- Tokens are scale degrees 1-7 of the key (``"^"`` pads the start of a sequence, ``"$"`` ends
  it); a chord degree is the root of a diatonic triad (in minor, degree 5 is the major
  dominant); rhythms are one bar's onsets on the eighth-note grid (``"x..x"``).
- Sampling backs off from the longest context seen in training to shorter ones (a context with
  fewer than :data:`MIN_CONTEXT_COUNT` observations is skipped) and always uses the caller's
  seeded :class:`numpy.random.Generator`: the same seed gives the same music.
- ``temperature`` flattens (> 1) or sharpens (< 1) the counts; ``bias`` multiplies the weight of
  chosen tokens (e.g. chord tones on a strong beat) before normalising.

The models are written by :mod:`syncready.create.train`; their provenance is in each file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..errors import UsageError

MODELS = Path(__file__).parent / "models"
MIN_CONTEXT_COUNT = 3
END = "$"


class NGram:
    """An n-gram model over string tokens, from ``{"n": {"context": {"token": count}}}``."""

    def __init__(self, tables: dict[str, dict[str, dict[str, int]]]):
        self.tables = {int(n): t for n, t in tables.items()}
        self.order = max(self.tables)

    def distribution(self, history: Sequence[str]) -> dict[str, float]:
        """Counts of the next token after ``history`` (padded with "^"), backing off."""
        padded = ["^"] * (self.order - 1) + [str(h) for h in history]
        for n in range(self.order, 0, -1):
            context = " ".join(padded[len(padded) - n + 1:]) if n > 1 else ""
            counts = self.tables.get(n, {}).get(context)
            if counts and sum(counts.values()) >= MIN_CONTEXT_COUNT:
                return dict(counts)
        return dict(self.tables[1][""])

    def sample(self, rng: np.random.Generator, history: Sequence[str], *, temperature: float = 1.0,
               allow: Callable[[str], bool] | None = None, bias: Callable[[str], float] | None = None) -> str:
        """Draw the next token; ``allow`` filters tokens (falling back to all when none pass)."""
        counts = self.distribution(history)
        tokens = [t for t in counts if allow is None or allow(t)] or list(counts)
        weights = np.array([counts.get(t, 0.0) ** (1.0 / temperature) * (bias(t) if bias else 1.0) for t in tokens])
        if weights.sum() <= 0:
            weights = np.ones(len(tokens))
        return tokens[int(rng.choice(len(tokens), p=weights / weights.sum()))]


@functools.cache
def _load(name: str) -> dict:
    path = MODELS / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: the {name} model is missing or damaged ({exc}); "
                         "rebuild it with `python -m syncready.create.train`") from None


def chords(mode: str) -> NGram:
    """Chord-degree model of ``mode`` (trained on Bach chorales)."""
    return NGram(_load("chords")[mode])


def melody(mode: str) -> NGram:
    """Melody-degree model of ``mode`` (trained on folk tunes)."""
    return NGram(_load("melody")[mode])


def rhythms(meter: int) -> dict[str, int]:
    """One-bar onset patterns of ``meter`` beats -> count (eighth-note grid)."""
    table = _load("melody")["rhythms"].get(str(meter))
    if not table:
        raise UsageError(f"the melody model has no rhythms in {meter}/4")
    return table


def provenance() -> dict[str, dict]:
    """Model name -> its provenance (source, licence, pieces, corpus paths)."""
    return {name: _load(name)["provenance"] for name in ("chords", "melody")}
