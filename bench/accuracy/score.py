"""Accuracy of a musical analysis against the corpus ground truth, in the shape of mir_eval.

Conventions
-----------
A track is scored from an estimate dict and a truth dict (the order of every function here:
estimate first) with the ground-truth keys of ``corpus.py``: ``tempo_bpm``, ``meter``, ``beats``
and ``downbeats`` (seconds), ``key`` (mir_eval key string, e.g. "Eb major"), ``sections``
([{``start``, ``end``, ``label``, ``group``}], seconds) and ``ending`` ({``type``, ...}).

- A truth field that is None (music21 pieces have no sections or ending) is not scored: NaN.
- A field missing from the estimate (a baseline that does not estimate downbeats) is not scored:
  NaN. A field present but None (the analysis declined to answer) scores 0.
- Beats and downbeats in the first 5 s are ignored in both (``mir_eval.beat.trim_beats``, as in
  MIREX and ``mir_eval.beat.evaluate``).
- The song's own start and end are not section boundaries (``mir_eval.segment.detection`` with
  ``trim=True``); estimated sections need not cover the song.
- Frame metrics sample the truth's span [0, end of the last section) every 0.1 s; a frame no
  estimated section covers counts as wrong.

Metrics
-------
- ``tempo_0.5%``, ``tempo_4%``: 1 when ``|estimate - truth| <= 0.5%`` (4%) of the true tempo;
  no octave allowance. The mean over tracks is the fraction of tracks within.
- ``meter``: 1 when the beats per bar match.
- ``beat_f``: ``mir_eval.beat.f_measure`` (+-70 ms window).
- ``downbeat_f``: the same function on downbeats.
- ``key``: MIREX weighted key score ``mir_eval.key.weighted_score`` (1 same key, 0.5 a fifth
  away, 0.3 relative, 0.2 parallel, else 0).
- ``boundary_f_0.5s``, ``boundary_f_3s``: boundary hit-rate F-measure,
  ``mir_eval.segment.detection`` with a 0.5 s or 3 s window.
- ``label_accuracy``: fraction of frames whose estimated ``label`` (intro, verse, chorus, bridge,
  instrumental, outro) equals the true one; the vocabulary is shared, so no mapping.
- ``group_accuracy``: fraction of frames whose ``group`` matches after the best one-to-one
  mapping of estimated to true group letters (Hungarian assignment on frame overlap), i.e. how
  well repeated material is found whatever its letters.
- ``ending``: 1 when the ending type (ring_out, fade, abrupt) matches.
"""

from __future__ import annotations

import math
from functools import partial

import mir_eval
import numpy as np
from scipy.optimize import linear_sum_assignment

ENDING_TYPES = ("ring_out", "fade", "abrupt")
FRAME_S = 0.1
MIN_BEAT_TIME_S = 5.0
# Metric -> (table row, goal from issue 3 or None where the figure is for information).
METRICS = {
    "tempo_0.5%": ("tempo within 0.5%", 0.95),
    "tempo_4%": ("tempo within 4%", None),
    "meter": ("meter", None),
    "beat_f": ("beat F-measure", 0.98),
    "downbeat_f": ("downbeat F-measure", 0.90),
    "key": ("MIREX weighted key score", 0.90),
    "boundary_f_3s": ("boundary hit-rate F @ 3 s", 0.80),
    "boundary_f_0.5s": ("boundary hit-rate F @ 0.5 s", 0.60),
    "label_accuracy": ("frame label accuracy", 0.70),
    "group_accuracy": ("frame group accuracy (mapped)", None),
    "ending": ("ending type accuracy", 0.90),
}


def validate(estimate: dict, truth: dict) -> None:
    """Raise ValueError naming the side and field of any malformed value in either dict."""
    for side, data in (("estimate", estimate), ("truth", truth)):
        def fail(field: str, problem: str) -> None:
            raise ValueError(f"{side} {field}: {problem} (got {data[field]!r:.80})")

        if data.get("tempo_bpm") is not None and not (
                isinstance(data["tempo_bpm"], (int, float)) and math.isfinite(data["tempo_bpm"])
                and data["tempo_bpm"] > 0):
            fail("tempo_bpm", "must be a positive finite number of beats per minute")
        meter = data.get("meter")
        if meter is not None and not (isinstance(meter, int) and meter > 0):
            fail("meter", "must be a positive whole number of beats per bar")
        for field in ("beats", "downbeats"):
            if data.get(field) is not None:
                times = np.asarray(data[field], dtype=float)
                if times.ndim != 1 or not np.all(np.isfinite(times)) or np.any(times < 0):
                    fail(field, "must be a list of finite, non-negative times in seconds")
                if np.any(np.diff(times) <= 0):
                    fail(field, "times must be strictly increasing")
        if data.get("key") is not None:
            try:
                mir_eval.key.validate_key(data["key"])
            except (ValueError, AttributeError, KeyError) as error:
                fail("key", f"not a mir_eval key string such as 'Eb major' ({error})")
        if data.get("sections") is not None:
            sections = data["sections"]
            if not all(isinstance(s, dict) and {"start", "end", "label", "group"} <= s.keys()
                       for s in sections):
                fail("sections", "must be a list of {start, end, label, group}")
            try:
                mir_eval.util.validate_intervals(_intervals(sections).reshape(-1, 2))
            except ValueError as error:
                fail("sections", str(error))
        ending = data.get("ending")
        if ending is not None and (not isinstance(ending, dict)
                                   or ending.get("type") not in ENDING_TYPES):
            fail("ending", f"must be a dict whose type is one of {', '.join(ENDING_TYPES)}")


def tempo_within(estimate_bpm: float | None, truth_bpm: float, tolerance: float) -> float:
    """1.0 when ``estimate_bpm`` is within ``tolerance`` (a fraction) of ``truth_bpm``, else 0.0."""
    return float(estimate_bpm is not None
                 and abs(estimate_bpm - truth_bpm) <= tolerance * truth_bpm)


def beat_f_measure(estimate_s: list[float] | None, truth_s: list[float]) -> float:
    """``mir_eval.beat.f_measure`` of beat (or downbeat) times, both trimmed to >= 5 s."""
    def trimmed(times_s):
        return mir_eval.beat.trim_beats(np.asarray(times_s or [], dtype=float), MIN_BEAT_TIME_S)
    return float(mir_eval.beat.f_measure(trimmed(truth_s), trimmed(estimate_s)))


def key_score(estimate_key: str | None, truth_key: str) -> float:
    """MIREX weighted key score (``mir_eval.key.weighted_score``); 0 for no key."""
    if estimate_key is None:
        return 0.0
    return float(mir_eval.key.weighted_score(truth_key, estimate_key))


def boundary_f_measure(estimate_sections: list[dict] | None, truth_sections: list[dict],
                       window_s: float) -> float:
    """Hit-rate F-measure of section boundaries within ``window_s``, song start and end excluded."""
    if not estimate_sections:
        return 0.0
    return float(mir_eval.segment.detection(
        _intervals(truth_sections), _intervals(estimate_sections), window=window_s, trim=True)[2])


def label_accuracy(estimate_sections: list[dict] | None, truth_sections: list[dict]) -> float:
    """Fraction of 0.1 s frames whose estimated section label equals the true label."""
    truth = _frame_values(truth_sections, truth_sections, "label")
    return float(np.mean(_frame_values(estimate_sections, truth_sections, "label") == truth))


def group_accuracy(estimate_sections: list[dict] | None, truth_sections: list[dict]) -> float:
    """Fraction of 0.1 s frames whose group matches after the best one-to-one group mapping."""
    truth = _frame_values(truth_sections, truth_sections, "group")
    estimate = _frame_values(estimate_sections, truth_sections, "group")
    true_groups, truth_index = np.unique(truth, return_inverse=True)
    covered = estimate != ""
    estimated_groups, estimate_index = np.unique(estimate[covered], return_inverse=True)
    overlap = np.zeros((len(estimated_groups), len(true_groups)))
    np.add.at(overlap, (estimate_index, truth_index[covered]), 1)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    return float(overlap[rows, cols].sum() / len(truth))


def ending_accuracy(estimate_ending: dict | None, truth_ending: dict) -> float:
    """1.0 when the estimated ending type matches the true one, else 0.0."""
    return float(estimate_ending is not None and estimate_ending["type"] == truth_ending["type"])


def evaluate(estimate: dict, truth: dict) -> dict[str, float]:
    """Every metric of ``METRICS`` for one track (NaN where either side has nothing to score).

    Raises ValueError (from ``validate``) on malformed input.
    """
    validate(estimate, truth)
    return {metric: scorer(estimate[field], truth[field])
            if field in estimate and truth.get(field) is not None else math.nan
            for metric, (field, scorer) in _SCORERS.items()}


def aggregate(scores: list[dict[str, float]]) -> dict[str, tuple[float, int]]:
    """Mean of each metric over the tracks that score it, and how many tracks that is."""
    out = {}
    for metric in METRICS:
        values = [s[metric] for s in scores if not math.isnan(s[metric])]
        out[metric] = (float(np.mean(values)) if values else math.nan, len(values))
    return out


def _intervals(sections: list[dict]) -> np.ndarray:
    """(n, 2) array of section start and end times in seconds."""
    return np.array([[s["start"], s["end"]] for s in sections], dtype=float)


def _frame_values(sections: list[dict] | None, truth_sections: list[dict],
                  field: str) -> np.ndarray:
    """``field`` of the section covering each 0.1 s frame of the truth's span ("" if none)."""
    times_s = np.arange(FRAME_S / 2, truth_sections[-1]["end"], FRAME_S)
    values = np.full(len(times_s), "", dtype=object)
    for section in sections or []:
        values[(times_s >= section["start"]) & (times_s < section["end"])] = str(section[field])
    return values


# Metric -> (field, scorer of the estimate's and the truth's value of that field).
_SCORERS = {
    "tempo_0.5%": ("tempo_bpm", partial(tempo_within, tolerance=0.005)),
    "tempo_4%": ("tempo_bpm", partial(tempo_within, tolerance=0.04)),
    "meter": ("meter", lambda estimate, truth: float(estimate == truth)),
    "beat_f": ("beats", beat_f_measure),
    "downbeat_f": ("downbeats", beat_f_measure),
    "key": ("key", key_score),
    "boundary_f_3s": ("sections", partial(boundary_f_measure, window_s=3.0)),
    "boundary_f_0.5s": ("sections", partial(boundary_f_measure, window_s=0.5)),
    "label_accuracy": ("sections", label_accuracy),
    "group_accuracy": ("sections", group_accuracy),
    "ending": ("ending", ending_accuracy),
}
