"""Train the composition models from public-domain scores in music21's corpus.

Run ``python -m syncready.create.train [--chorales N] [--folk FILE ...]``; it writes
``create/models/chords.json`` and ``create/models/melody.json`` (a few tens of kB: n-gram counts,
not scores) with their provenance. A few minutes on one core.

Data and licence
----------------
- Harmony: J. S. Bach's four-part chorales (``bach/bwv*``; Bach died in 1750, the compositions
  are public domain). Each chorale in one key signature and in 3/4 or 4/4 whose final bass note
  is the tonic of the signature's major key or its relative minor gives the key; the
  chordified score is read on every half-bar (4/4) or bar (3/4), the chord root becomes a
  scale degree 1-7 (chromatic roots are left out; in minor the raised 7th counts as degree 7),
  repeated degrees are merged and the sequence is counted as 1-, 2- and 3-grams.
- Melody: Irish and Scottish tunes from two printed collections, both long out of copyright:
  *O'Neill's Music of Ireland* (1903; ``oneills1850/*``, ABC transcriptions by Norbert Paap)
  and James Aird's *Selection of Scotch, English, Irish and Foreign Airs* (1778-1782;
  ``airdsAirs/*``). Same key rule; each note becomes a scale degree (1-7) counted as n-grams,
  and each 4/4 or 3/4 bar's onset pattern on the eighth-note grid is counted as a rhythm.
  The Essen Folksong Collection is *not* used: its encodings are licensed to music21 for
  non-commercial use only, and beds are made for commercial sync.
- The encodings ship in music21's wheel under its corpus terms (music21 is BSD; see
  ``music21/corpus/license.txt``). The models keep only counts derived from them, listed with
  every piece's corpus path in ``provenance``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

MODELS = Path(__file__).parent / "models"
MAJOR_DEGREES = {0: 1, 2: 2, 4: 3, 5: 4, 7: 5, 9: 6, 11: 7}
MINOR_DEGREES = {0: 1, 2: 2, 3: 3, 5: 4, 7: 5, 8: 6, 10: 7, 11: 7}
FOLK_FILES = ("oneills1850/0001-0050", "oneills1850/0051-0100", "oneills1850/0101-0200",
              "oneills1850/0201-0300", "airdsAirs/book1", "airdsAirs/book2", "airdsAirs/book3")
ORDER = 3


def score_key(score) -> tuple[int, str] | None:
    """(tonic pitch class, mode) from the one key signature and the final lowest note, or None."""
    signatures = {ks.sharps for ks in score.recurse().getElementsByClass("KeySignature")}
    notes = list(score.flatten().notes)
    if len(signatures) != 1 or not notes:
        return None
    major_pc = signatures.pop() * 7 % 12
    last_offset = max(n.offset for n in notes)
    final = min((p for n in notes if n.offset == last_offset for p in n.pitches), key=lambda p: p.midi)
    if final.pitchClass == major_pc:
        return major_pc, "major"
    if final.pitchClass == (major_pc + 9) % 12:
        return final.pitchClass, "minor"
    return None


def score_meter(score) -> int | None:
    """Beats per bar when the whole score is in 3/4 or 4/4, else None."""
    meters = {ts.ratioString for ts in score.recurse().getElementsByClass("TimeSignature")}
    return {"3/4": 3, "4/4": 4}.get(meters.pop()) if len(meters) == 1 else None


def degree(pitch_class: int, tonic: int, mode: str) -> int | None:
    """Scale degree 1-7 of a pitch class in the key, None when chromatic."""
    return (MAJOR_DEGREES if mode == "major" else MINOR_DEGREES).get((pitch_class - tonic) % 12)


def count_ngrams(sequences: list[list[int]], order: int = ORDER) -> dict[str, dict[str, dict[str, int]]]:
    """n-gram counts for n = 1..order: {"n": {"context": {"token": count}}}, contexts are the
    previous tokens joined by spaces, "^" marks the start and "$" the end of a sequence."""
    tables = {str(n): defaultdict(Counter) for n in range(1, order + 1)}
    for seq in sequences:
        tokens = ["^"] * (order - 1) + [str(t) for t in seq] + ["$"]
        for i in range(order - 1, len(tokens)):
            for n in range(1, order + 1):
                context = " ".join(tokens[i - n + 1: i])
                tables[str(n)][context][tokens[i]] += 1
    return {n: {c: dict(sorted(t.items())) for c, t in sorted(table.items())} for n, table in tables.items()}


def chord_sequence(score, tonic: int, mode: str, meter: int) -> list[int]:
    """Scale degrees of the chord roots on every half-bar (4/4) or bar (3/4), repeats merged."""
    chords = score.chordify().flatten().getElementsByClass("Chord")
    step = 2.0 if meter == 4 else 3.0
    out: list[int] = []
    for chord in chords:
        offset = float(chord.offset)
        if abs(offset / step - round(offset / step)) > 1e-6 or len(chord.pitches) < 3:
            continue
        d = degree(chord.root().pitchClass, tonic, mode)
        if d is not None and (not out or out[-1] != d):
            out.append(d)
    return out


def train_chords(limit: int | None) -> dict:
    """The chord model from the Bach chorales (see the module docstring)."""
    from music21 import corpus

    paths = sorted(str(p) for p in corpus.getComposer("bach") if Path(p).name.startswith("bwv"))[:limit]
    sequences, used = {"major": [], "minor": []}, []
    for path in paths:
        score = corpus.parse(path)
        key, meter = score_key(score), score_meter(score)
        if key is None or meter is None:
            continue
        seq = chord_sequence(score, key[0], key[1], meter)
        if len(seq) >= 4:
            sequences[key[1]].append(seq)
            used.append(_corpus_name(path))
    return {mode: count_ngrams(seqs) for mode, seqs in sequences.items()} | {
        "provenance": _provenance("J. S. Bach, four-part chorales (music21 corpus: bach/)", used,
                                  "public domain (composer died 1750)")}


def bar_rhythm(bar, meter: int) -> str | None:
    """The onset pattern of one bar on the eighth-note grid ("x" onset, "." none), or None."""
    slots = ["."] * (2 * meter)
    for note in bar.notesAndRests:
        position = float(note.offset) * 2
        if note.isRest:
            continue
        if abs(position - round(position)) > 1e-6:
            return None
        if 0 <= round(position) < len(slots):
            slots[round(position)] = "x"
    return "".join(slots) if "x" in slots else None


def train_melody(files: tuple[str, ...]) -> dict:
    """The melody model from the folk-tune collections (see the module docstring)."""
    from music21 import corpus

    sequences, rhythms, used = {"major": [], "minor": []}, {"3": Counter(), "4": Counter()}, []
    for name in files:
        opus = corpus.parse(name)
        for number, song in enumerate(getattr(opus, "scores", [opus])):
            key, meter = score_key(song), score_meter(song)
            if key is None or not song.parts:
                continue
            part = song.parts[0]
            seq = [degree(n.pitch.pitchClass, *key) for n in part.flatten().notes if n.isNote]
            if len(seq) < 8 or None in seq:
                continue
            sequences[key[1]].append(seq)
            for bar in part.getElementsByClass("Measure"):
                if meter is not None and float(bar.duration.quarterLength) == meter:
                    pattern = bar_rhythm(bar, meter)
                    if pattern:
                        rhythms[str(meter)][pattern] += 1
            used.append(f"{name}#{number + 1}")
    return {mode: count_ngrams(seqs) for mode, seqs in sequences.items()} | {
        "rhythms": {m: dict(c.most_common(40)) for m, c in rhythms.items()},
        "provenance": _provenance("O'Neill's Music of Ireland (1903) and Aird's Airs (1778-1782) (music21 corpus: "
                                  "oneills1850/, airdsAirs/)", used, "public domain (published 1778-1903)")}


def _corpus_name(path: str) -> str:
    parts = Path(path).parts
    return "/".join(parts[parts.index("corpus") + 1:]) if "corpus" in parts else Path(path).name


def _provenance(source: str, pieces: list[str], licence: str) -> dict:
    import music21

    return {"source": source, "licence": licence, "music21_version": music21.__version__,
            "encodings": "music21 corpus (see music21/corpus/license.txt)",
            "trained": dt.date.today().isoformat(), "pieces": len(pieces), "paths": pieces}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chorales", type=int, default=None, help="use the first N chorales (default all)")
    parser.add_argument("--folk", nargs="*", default=list(FOLK_FILES), help="music21 corpus files of folk songs")
    parser.add_argument("--out", type=Path, default=MODELS)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, model in (("chords", train_chords(args.chorales)), ("melody", train_melody(tuple(args.folk)))):
        path = args.out / f"{name}.json"
        path.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True) + "\n")
        print(f"wrote {path}: {model['provenance']['pieces']} pieces", file=sys.stderr)


if __name__ == "__main__":
    main()
