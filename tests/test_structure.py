"""Sections, groups, labels and loops on bar features with a known form."""

from __future__ import annotations

import numpy as np

from syncready.analysis import structure as S

FORM = "AABBCBB"  # intro-ish A A, chorus B, bridge C: 4 bars per letter


def form_features(form: str = FORM, bars_per: int = 4, seed: int = 0):
    """Bar features where each letter has its own chord (chroma) and instrument (timbre)."""
    rng = np.random.default_rng(seed)
    letters = sorted(set(form))
    chroma, timbre = {}, {}
    for k, letter in enumerate(letters):
        chroma[letter] = np.zeros(12)
        chroma[letter][[(5 * k) % 12, (5 * k + 4) % 12, (5 * k + 7) % 12]] = 1.0
        timbre[letter] = np.eye(8)[k % 8] * 3
    harmony = np.array([chroma[c] + 0.05 * rng.random(12) for c in form for _ in range(bars_per)])
    tim = np.array([timbre[c] + 0.1 * rng.standard_normal(8) for c in form for _ in range(bars_per)])
    return S._standardise(harmony), S._standardise(tim)


def test_boundaries_found_where_the_material_changes():
    harmony, timbre = form_features("ABACA")
    sim = S.self_similarity(harmony, timbre)
    assert S.boundaries(S.novelty(sim)) == [0, 4, 8, 12, 16, 20]


def test_groups_mark_repeats_and_labels_follow_the_form():
    harmony, timbre = form_features("ABCBDBE")
    sim = S.self_similarity(harmony, timbre)
    spans = [(4 * i, 4 * i + 4) for i in range(7)]
    groups = S.group_sections(sim, spans)
    assert groups == list("ABCBDBE")
    energy = [-20, -12, -14, -10, -13, -10, -18]
    assert S.label_sections(groups, energy) == ["intro", "chorus", "verse", "chorus", "bridge", "chorus", "outro"]


def test_chorus_is_the_loudest_repeated_group_and_other_repeats_are_verses():
    labels = S.label_sections(list("ABCBCBD"), [-20, -14, -10, -14, -10, -14, -20])
    assert labels == ["intro", "verse", "chorus", "verse", "chorus", "verse", "outro"]


def test_loops_prefer_seamless_steady_passages():
    harmony, timbre = form_features("AAAABCDE", bars_per=4)
    sim = S.self_similarity(harmony, timbre)
    energy = np.zeros(len(sim))
    energy[16:] = np.linspace(-20, 0, len(sim) - 16)
    times = np.arange(len(sim) + 1) * 2.0
    best8 = max((loop for loop in S.loops(sim, energy, times) if loop.bars == 8), key=lambda loop: loop.score)
    assert best8.start < 16 * 2.0 and best8.end <= 16 * 2.0 + 1e-9
    assert 0 < best8.score <= 1


def test_too_few_downbeats_give_no_sections():
    frames = np.arange(100) * 0.05
    out = S.analyze_structure(frames, np.ones((12, 100)), np.ones((24, 100)), np.ones(100), [1.0], 5.0)
    assert out.sections == [] and out.loops == []
