"""Quality bar of ``syncready create`` (issue 9) on seeded briefs across moods, genres, tempi, lengths.

For each brief (``brief(i, seed)``: mood, genre and key in turn, tempo drawn in the genre's
range, length drawn from :data:`LENGTHS`) the bed is composed into a temporary folder and
scored:

- exact length: ``mix.wav`` has ``round(length * 48000)`` frames (+-10 ms allowed, the file is
  exact) and the analysis hears a ring-out ending;
- check: ``syncready check --profile sync-library`` does not fail (warnings allowed);
- tempo within 0.5 %, key equal, section boundaries: every planned boundary has a measured one
  within 3 s (recall 1 at mir_eval's 3 s window; the mean F-measure is printed too);
- stems null: ``syncready.stems.stemset.null_test`` of the stem WAVs against ``mix.wav`` below
  -60 dB;
- time: seconds per bed, and the mean for the 60 s beds;
- diversity: distinct chord 3-grams (over every label's chord loop) and distinct 4-chord loops
  among all the loops made.

Run: .venv/bin/python bench/bench_create.py [--count 50] [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from syncready import audio
from syncready.create import styles
from syncready.create.brief import make_brief
from syncready.create.compose import compose
from syncready.stems.stemset import null_test

LENGTHS = (15.0, 30.0, 45.0, 60.0, 60.0, 90.0, 120.0)
KEYS = ("C", "G", "D", "A", "E", "B", "F#", "Db", "Ab", "Eb", "Bb", "F")
NULL_MAX_DB = -60.0


def brief(index: int, seed: int):
    """Seeded brief ``index``: every mood, genre and key in turn, tempo and length drawn."""
    moods, genres = sorted(styles.moods()), sorted(styles.genres())
    rng = np.random.default_rng([seed, index])
    mood, genre = moods[index % len(moods)], genres[index % len(genres)]
    low, high = styles.genres()[genre]["bpm"]
    mode = styles.moods()[mood]["mode"] if rng.random() < 0.7 else ("minor" if styles.moods()[mood]["mode"] == "major" else "major")
    return make_brief(mood=mood, genre=genre, bpm=round(float(rng.uniform(low, high)), 1),
                      key=f"{KEYS[index % len(KEYS)]} {mode}", length_s=float(rng.choice(LENGTHS)), seed=seed * 1000 + index)


def score(bed, folder: Path) -> dict:
    """The figures of one bed (see the module docstring)."""
    mix = audio.load(folder / "mix.wav")
    stems = [audio.load(p).samples for p in sorted((folder / "stems").glob("*.wav"))]
    c = bed.confirmation
    plan = json.loads((folder / "plan.json").read_text())
    return {
        "brief": bed.brief.to_dict(), "seconds": round(bed.seconds, 2),
        "frames": mix.frames, "exact_length": mix.frames == round(bed.brief.length_s * mix.sample_rate),
        "ring_out": c["ending"]["ok"], "check": bed.verdict, "tempo": c["tempo"]["ok"], "key": c["key"]["ok"],
        "measured_key": c["key"]["measured"], "measured_bpm": c["tempo"]["measured_bpm"],
        "boundaries": c["sections"]["recall"] == 1.0, "boundary_f": c["sections"]["f_measure"],
        "null_db": null_test(stems, [0] * len(stems), mix).raw_db,
        "loops": list(plan["chord_loops"].values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="keep the beds and scores.json here")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-create-"))
    rows = []
    for index in range(args.count):
        b = brief(index, args.seed)
        folder = root / f"bed-{index:03d}"
        bed = compose(b, folder, overwrite=True)
        rows.append(score(bed, folder))
        r = rows[-1]
        print(f"{index:3d} {b.mood:9} {b.genre:10} {b.bpm:6.1f} {b.key:9} {b.length_s:5.0f} s: {r['check']:4} "
              f"tempo {r['measured_bpm']} key {r['measured_key']} F {r['boundary_f']:.2f} "
              f"null {r['null_db']:.0f} dB ring {r['ring_out']} {r['seconds']:.1f} s", file=sys.stderr, flush=True)
    (root / "scores.json").write_text(json.dumps(rows, indent=1))

    def rate(key) -> str:
        return f"{100 * np.mean([bool(r[key]) for r in rows]):.0f} %"

    loops = [tuple(loop) for r in rows for loop in r["loops"]]
    trigrams = {tuple(loop[i:i + 3]) for loop in loops for i in range(len(loop) - 2)}
    sixty = [r["seconds"] for r in rows if r["brief"]["length_s"] == 60.0]
    table = [
        ("briefs", str(len(rows)), ""),
        ("exact length (frames == round(length * rate))", rate("exact_length"), "100 %"),
        ("ring-out ending heard", rate("ring_out"), "100 %"),
        ("check --profile sync-library passes", f"{100 * np.mean([r['check'] != 'fail' for r in rows]):.0f} %", "100 %"),
        ("tempo within 0.5 %", rate("tempo"), ">= 95 %"),
        ("key", rate("key"), ">= 95 %"),
        ("every boundary found within 3 s", rate("boundaries"), ">= 95 %"),
        ("boundary F-measure at 3 s (mean)", f"{np.mean([r['boundary_f'] for r in rows]):.2f}", ""),
        ("stems null < -60 dB", f"{100 * np.mean([r['null_db'] < NULL_MAX_DB for r in rows]):.0f} % "
                                f"(worst {max(r['null_db'] for r in rows):.0f} dB)", "100 %"),
        ("generation of a 60 s bed (mean)", f"{np.mean(sixty):.1f} s ({len(sixty)} beds)" if sixty else "-", "< 10 s"),
        ("distinct chord 3-grams / loops", f"{len(trigrams)} 3-grams; {len(set(loops))} of {len(loops)} loops distinct", ""),
    ]
    width = max(len(t[0]) for t in table)
    print(f"{'metric'.ljust(width)}  {'result':32}  goal")
    for name, value, goal in table:
        print(f"{name.ljust(width)}  {value:32}  {goal}")
    print(f"beds and scores.json in {root}")


if __name__ == "__main__":
    main()
