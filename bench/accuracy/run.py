"""Accuracy benchmark: baselines and syncready's musical analysis scored on the ground-truth corpus.

Renders the corpus (corpus.py) into the cache folder when it is missing or was made with other
settings or another generator, then runs on every track:

- librosa's beat tracker (``librosa.beat.beat_track``: tempo and beats, no downbeats);
- a chroma key baseline: mean ``librosa.feature.chroma_cqt`` correlated with the 24 rotations
  of the Krumhansl-Kessler key profiles (the Krumhansl-Schmuckler algorithm);
- syncready's whole musical analysis (``analysis.analyze_audio``: tempo, meter, beats,
  downbeats, key, sections, ending);

and prints one table of score.py's metrics (mean over the tracks scored, their number in
brackets) with issue 3's goals in the last column; "-" marks a metric the column does not
estimate. Per-track scores go to ``scores.json`` in the corpus folder.

Run: .venv/bin/python bench/accuracy/run.py [--corpus DIR] [--count N] [--seed S] [--pieces M]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).parent))
import corpus  # noqa: E402
import score  # noqa: E402

ANALYSIS_RATE = 22050
# Krumhansl-Kessler probe-tone profiles, tonic first.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def ensure_corpus(folder: Path, count: int, seed: int, pieces: int) -> list[str]:
    """Track names of the corpus in ``folder``, rendering it first unless it is up to date."""
    manifest_path = folder / "corpus.json"
    wanted = dict(count=count, seed=seed, pieces=pieces, generator=corpus.generator_version())
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if ({k: manifest.get(k) for k in wanted} == wanted
                and all((folder / f"{name}.wav").is_file() for name in manifest["tracks"])):
            return manifest["tracks"]
    print(f"rendering the corpus into {folder} ...", file=sys.stderr)
    return corpus.build(folder, count, seed, pieces)


def librosa_beats(samples: np.ndarray, sample_rate: int) -> dict:
    """Tempo and beats from ``librosa.beat.beat_track`` on the mono mix."""
    import librosa

    y = librosa.resample(samples.mean(axis=0), orig_sr=sample_rate, target_sr=ANALYSIS_RATE)
    tempo, beats = librosa.beat.beat_track(y=y, sr=ANALYSIS_RATE, units="time")
    return dict(tempo_bpm=float(np.atleast_1d(tempo)[0]), beats=[float(b) for b in beats])


def chroma_key(samples: np.ndarray, sample_rate: int) -> dict:
    """Key from the mean CQT chroma correlated with the rotated Krumhansl-Kessler profiles."""
    import librosa

    y = librosa.resample(samples.mean(axis=0), orig_sr=sample_rate, target_sr=ANALYSIS_RATE)
    chroma = librosa.feature.chroma_cqt(y=y, sr=ANALYSIS_RATE).mean(axis=1)
    candidates = [(np.corrcoef(chroma, np.roll(profile, tonic))[0, 1], corpus.key_name(tonic, mode))
                  for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE))
                  for tonic in range(12)]
    return dict(key=max(candidates)[1])


def syncready_analysis() -> callable:
    """An estimator running syncready's whole analysis (``analysis.analyze_audio``) on a track.

    A track on which the analysis raises answers None for every field (scored as misses).
    """
    from syncready.analysis import analyze_audio
    from syncready.audio import Audio
    from syncready.jsonable import to_jsonable

    fields = ("tempo_bpm", "meter", "beats", "downbeats", "key", "sections", "ending")

    def estimate(samples: np.ndarray, sample_rate: int) -> dict:
        try:
            music = to_jsonable(analyze_audio(Audio(samples, sample_rate)).music)
        except Exception as error:  # noqa: BLE001 - a benchmark reports, it does not stop
            print(f"syncready analysis failed: {type(error).__name__}: {error}", file=sys.stderr)
            return dict.fromkeys(fields)
        out = {name: music[name] for name in fields}
        out["ending"] = out["ending"] if out["ending"]["type"] else None
        return out
    return estimate


def table(columns: dict[str, dict], seconds: dict[str, float]) -> str:
    """Metric rows, one column per estimator's aggregate, issue 3's goals last."""
    names = list(columns)
    width = max(len(row) for row, _ in score.METRICS.values())
    lines = [f"{'metric':<{width}}  " + "  ".join(f"{n:>18}" for n in names) + f"  {'goal':>7}"]
    for metric, (row, goal) in score.METRICS.items():
        cells = []
        for name in names:
            mean, n = columns[name][metric]
            cells.append(f"{'-' if math.isnan(mean) else f'{mean:.3f} ({n})':>18}")
        goal_cell = "" if goal is None else f">= {goal:.2f}"
        lines.append(f"{row:<{width}}  " + "  ".join(cells) + f"  {goal_cell:>7}")
    lines.append(f"{'seconds per track':<{width}}  "
                 + "  ".join(f"{seconds[n]:>18.2f}" for n in names))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=corpus.DEFAULT_OUT,
                        help="corpus cache folder")
    parser.add_argument("--count", type=int, default=40, help="arranged songs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pieces", type=int, default=8, help="music21 chorales")
    args = parser.parse_args()
    names = ensure_corpus(args.corpus, args.count, args.seed, args.pieces)

    estimators = {"librosa beat_track": librosa_beats, "chroma K-S key": chroma_key}
    estimators["syncready"] = syncready_analysis()
    scores = {name: [] for name in estimators}
    seconds = dict.fromkeys(estimators, 0.0)
    warnings.filterwarnings("ignore", message="(Estimated|Reference) beats are empty")
    for number, track in enumerate(names, 1):
        print(f"[{number}/{len(names)}] {track}", file=sys.stderr)
        truth = json.loads((args.corpus / f"{track}.json").read_text())
        audio, sample_rate = soundfile.read(args.corpus / f"{track}.wav", dtype="float32")
        samples = np.ascontiguousarray(audio.T)
        for name, estimator in estimators.items():
            start = time.perf_counter()
            estimate = estimator(samples, sample_rate)
            seconds[name] += (time.perf_counter() - start) / len(names)
            scores[name].append(dict(score.evaluate(estimate, truth), track=track))
    (args.corpus / "scores.json").write_text(json.dumps(scores, indent=1) + "\n")
    n_songs = sum(name.startswith("song-") for name in names)
    print(f"{len(names)} tracks ({n_songs} arranged songs, {len(names) - n_songs} music21 "
          "chorales); mean (tracks scored) per metric")
    print(table({name: score.aggregate(s) for name, s in scores.items()}, seconds))


if __name__ == "__main__":
    main()
