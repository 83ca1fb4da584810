"""Finding duplicate candidates without comparing every pair: the fingerprint word index
(:func:`fingerprint.candidates`) and the tempo ranking of takes (``store._take_pairs``),
each held against comparing every pair."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from syncready.catalog import fingerprint, store


def _bench():
    spec = importlib.util.spec_from_file_location("bench_dupes", Path(__file__).parents[1] / "bench" / "bench_dupes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def prints():
    """60 unrelated fingerprints of 150-400 frames, 12 copies of some of them, a run of
    silence-like words shared by many, and two empty slots."""
    damaged = _bench().damaged  # a re-encode's damage: errors in bursts, shifted, trimmed
    rng = np.random.default_rng(3)
    words = [rng.integers(0, 2**32, rng.integers(150, 400), dtype=np.uint64).astype(np.uint32) for _ in range(60)]
    for k in range(12):
        words.append(damaged(words[k * 4], rng, shift=int(rng.integers(0, 150)), keep=float(rng.uniform(0.6, 1.0))))
    silence = np.full(40, 0xFFFF0000, np.uint32)
    words = [np.r_[silence, w] if k % 2 else w for k, w in enumerate(words)]  # the same 40 words in half of them
    out = [("syncready", w.astype("<u4").tobytes()) for w in words]
    return out + [None, None]


def test_candidates_hold_every_pair_a_full_comparison_finds(prints):
    found = fingerprint.candidates(prints)
    full = {(i, j) for i, j in itertools.combinations(range(len(prints)), 2)
            if prints[i] and prints[j] and fingerprint.similarity("syncready", prints[i][1], prints[j][1]) >= 0.65}
    assert len(full) >= 12  # the planted copies (a shared silence alone is not enough)
    assert full <= found
    assert len(found - full) <= 3  # and few others to compare


def test_candidates_keep_kinds_apart_and_need_two():
    words = np.arange(100, dtype="<u4").tobytes()
    assert fingerprint.candidates([("syncready", words), ("chromaprint", words)]) == set()
    assert fingerprint.candidates([("chromaprint", words), None, ("chromaprint", words)]) == {(0, 2)}
    assert fingerprint.candidates([]) == set()


def _takes_compared_pairwise(rows) -> set[tuple[int, int]]:
    """The take test on every pair (the definition ``_take_pairs`` must match)."""
    out = set()
    for (i, x), (j, y) in itertools.combinations(enumerate(rows), 2):
        if not (x.sound and y.sound and x.tempo_bpm and y.tempo_bpm and x.duration_s and y.duration_s):
            continue
        faster, slower = max(x.tempo_bpm, y.tempo_bpm), min(x.tempo_bpm, y.tempo_bpm)
        tempo = any(faster <= slower * octave * (1 + store.TAKE_TEMPO_TOLERANCE) and slower * octave <= faster * (1 + store.TAKE_TEMPO_TOLERANCE)
                    for octave in (1.0, 2.0))
        length = min(x.duration_s, y.duration_s) >= store.TAKE_DURATION_RATIO * max(x.duration_s, y.duration_s)
        if tempo and length and fingerprint.envelope_distance(x.sound, y.sound) <= store.TAKE_SOUND_DISTANCE:
            out.add((i, j))
    return out


def test_take_pairs_match_the_pairwise_test():
    rng = np.random.default_rng(5)
    sounds = [rng.normal(0, 1, 24) for _ in range(6)]  # six "prompts"
    rows = []
    for k in range(300):
        tempo = float(rng.choice([61.0, 90.0, 121.5, 89.0]) * rng.choice([1.0, 2.0]) * rng.uniform(0.98, 1.02))
        sound = (sounds[k % 6] + rng.normal(0, 0.25, 24)).astype("<f4").tobytes()
        rows.append(SimpleNamespace(tempo_bpm=tempo if k % 17 else None, duration_s=float(rng.uniform(50, 200)),
                                    sound=sound if k % 23 else None))
    pairwise = _takes_compared_pairwise(rows)
    assert len(pairwise) > 100  # tempi across the octave's wrap (61 and 121.5 BPM) included
    assert store._take_pairs(rows) == pairwise
