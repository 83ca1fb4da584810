"""Stem-set benchmark: does `stems fix` make a damaged stem export null against its mix?

Ground truth: rendered multitracks (bench_separation.multitrack: each MIDI instrument of an
accuracy-corpus song rendered on its own, grouped into vocals/drums/bass/other; the mix is
their exact sum). Each set is written the way generators and DAWs get it wrong: the vocal stem
12.5 ms late, the bass mono, the other stem half a second long (trailing silence), the drums
at 48 kHz against a 44.1 kHz mix. For each song the table gives the offsets `stems check` finds (truth: vocals +12.5 ms,
others 0), the null residual as delivered, and the residual of `stems fix` output (at the
delivery rate, 48 kHz 24-bit) without and with the residual stem; the issue asks < -60 dB.

Run: .venv/bin/python bench/bench_stems.py [--songs N] [--seconds S]   (needs `make corpus-deps`)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import bench_separation  # noqa: E402
import corpus  # noqa: E402  (bench_separation put bench/accuracy on the path)

from syncready.audio import Audio, save  # noqa: E402
from syncready.checks.profile import load as load_profile  # noqa: E402
from syncready.stems.check import check_set  # noqa: E402
from syncready.stems.fix import fix_set  # noqa: E402
from syncready.stems.stemset import load_set, stem_files  # noqa: E402

RATE = corpus.SAMPLE_RATE
LATE_S = 0.0125


def damaged_export(folder: Path, mix: np.ndarray, stems: dict[str, np.ndarray]) -> None:
    """Write the mix and its stems with the faults listed in the module notes."""
    save(Audio(mix, RATE), folder / "mix.wav")
    late = round(LATE_S * RATE)
    for role, x in stems.items():
        x = x.astype(np.float32)
        rate = RATE
        if role == "vocals":
            x = np.concatenate([np.zeros((x.shape[0], late), np.float32), x], axis=1)  # starts late, runs long
        elif role == "bass":
            x = x.mean(axis=0, keepdims=True)  # a mono export (the corpus pans bass to the centre)
        elif role == "other":
            x = np.concatenate([x, np.zeros((x.shape[0], RATE // 2), np.float32)], axis=1)  # half a second long
        elif role == "drums":
            from syncready.audio import resample

            x, rate = resample(Audio(x, RATE), 48000).samples, 48000
        save(Audio(x, rate), folder / "stems" / f"{role}.wav")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--songs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=45.0)
    args = parser.parse_args()
    soundfont = corpus.soundfont_path()
    if soundfont is None:
        sys.exit("no General MIDI soundfont: run `make corpus-deps` or set $SYNCREADY_SOUNDFONT")
    profile = load_profile("sync-library")
    print(f"{'song':8}{'vocals ms':>10}{'others ms':>11}{'as delivered':>14}{'fixed':>9}{'+residual':>11}{'fix s':>8}")
    for index in range(args.songs):
        mix, stems, _ = bench_separation.multitrack(index, args.seconds, soundfont)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            damaged_export(folder, mix, stems)
            found = load_set(folder / "mix.wav", stem_files(folder / "stems", folder / "mix.wav"))
            checked = check_set(found, profile)
            offsets = {s.role: s.offset_ms for s in checked.stems}
            others = max(abs(v) for r, v in offsets.items() if r != "vocals")
            start = time.perf_counter()
            plain = fix_set(found, folder / "fixed", profile)
            seconds = time.perf_counter() - start
            full = fix_set(found, folder / "fixed-residual", profile, residual=True)
        print(f"song-{index:03d}{offsets['vocals']:>10.2f}{others:>11.2f}{checked.null.raw_db:>12.1f} dB"
              f"{plain.null_after_db:>6.1f} dB{full.null_after_db:>8.1f} dB{seconds:>8.2f}")


if __name__ == "__main__":
    main()
