"""The arrangement rules that make section changes audible where the plan puts them: the build
drives over a dominant pedal without cymbals, its roll stays inside its last two beats, a verse
ends on a predominant, slow sections do not fill into the next. No soundfont needed."""

from __future__ import annotations

import pytest

from syncready.create.arrange import SLOW_BPM, material, section_parts
from syncready.create.brief import make_brief
from syncready.create.drums import METAL, NOTES, ROLL_BEATS
from syncready.create.harmony import ENDS, triad
from syncready.create.plan import make_plan

FORM = "intro,verse,build,chorus,outro"
CYMBALS = {NOTES[name] for name in METAL}


def bed(genre: str = "pop", bpm: float = 120, seed: int = 3, key: str = "D major"):
    brief = make_brief(mood="uplifting", genre=genre, bpm=bpm, key=key, length_s=60, sections=FORM, seed=seed)
    return brief, make_plan(brief)


def index_of(plan, label: str) -> int:
    return next(i for i, s in enumerate(plan.sections) if s.label == label)


@pytest.mark.parametrize("genre", ["pop", "rock", "electronic", "corporate", "hiphop"])
def test_build_drives_without_cymbals_and_rolls_only_at_its_end(genre):
    brief, plan = bed(genre, bpm=120)
    i = index_of(plan, "build")
    section = plan.sections[i]
    hits = section_parts(brief, plan, i)["drums"]
    beats = section.bars * plan.meter
    assert not [h for h in hits if h[2] in CYMBALS]
    kicks = {s for s, _, note, _ in hits if note == NOTES["kick"]}
    assert set(range(beats - ROLL_BEATS)) <= kicks  # a kick on every beat up to the roll
    roll = [s for s, _, note, _ in hits if note == NOTES["snare"] and s >= beats - ROLL_BEATS]
    assert len(roll) >= 4 and max(s for s, *_ in hits) < beats  # a roll, and nothing straddles the chorus downbeat
    chorus = section_parts(brief, plan, i + 1)["drums"]
    assert any(note in CYMBALS and s == 0 for s, _, note, _ in chorus)  # the chorus opens on cymbals


@pytest.mark.parametrize("seed", range(4))
def test_build_bass_holds_the_dominant_and_the_verse_ends_on_a_predominant(seed):
    brief, plan = bed(seed=seed)
    i = index_of(plan, "build")
    dominant = triad(5, brief.tonic_pc, brief.mode)[0]
    assert {p % 12 for _, _, p, _ in section_parts(brief, plan, i)["bass"]} == {dominant}
    verse = material(brief, plan, "verse")[1]
    assert str(verse[-1]) in ENDS["verse"] and verse[-1] != 5


def test_slow_sections_land_on_the_downbeat_without_a_fill():
    def bars(bpm):  # the verse (groove) goes into the louder build: its first and last bar of drums
        brief, plan = bed(bpm=bpm)
        i = index_of(plan, "verse")
        meter, last = plan.meter, plan.sections[i].bars - 1
        hits = section_parts(brief, plan, i)["drums"]
        return ([(s, n) for s, _, n, _ in hits if s < meter],
                [(s - last * meter, n) for s, _, n, _ in hits if s >= last * meter])

    first, last = bars(SLOW_BPM + 8)
    assert (3.5, NOTES["snare"]) in last and last != first  # a fill into the build
    first, last = bars(SLOW_BPM - 30)
    assert last == first  # the slow verse's last bar is its groove; the change is the build's downbeat
