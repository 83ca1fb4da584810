"""Batch throughput: `syncready batch --do check` on distinct 3-minute tracks, in tracks per hour.

Run: ``python bench/bench_batch.py [--tracks N]``. The tracks are synthesised here (bench/signals.py
with a different seed each, 44.1 kHz 24-bit stereo WAV, 3 minutes), the analysis cache points at
an empty temporary folder (every track is analysed for real), and the batch runs with 1 and with
2 worker processes. The rate includes starting the workers (spawn) and hashing every file; the
issue's goal is >= 3,000 three-minute tracks per hour per core pair.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from signals import write_song  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "tracks"
        folder.mkdir()
        for k in range(args.tracks):
            write_song(folder / f"track{k:03d}.wav", 180, seed=1000 + k)
        from syncready.batch import run

        print(f"{args.tracks} distinct 3-min 44.1 kHz stereo tracks, check against sync-library, cores: {os.cpu_count()}")
        for jobs in (1, 2):
            os.environ["SYNCREADY_CACHE"] = str(Path(tmp) / f"cache-{jobs}")  # inherited by the workers
            r = run(folder, Path(tmp) / f"results-{jobs}", jobs=jobs, catalog=False)
            print(f"  jobs={jobs}: {r.seconds:6.1f} s, {r.rate_per_hour:7.0f} tracks/hour "
                  f"({r.seconds / args.tracks:.2f} s per track), failed {len(r.failed)}")


if __name__ == "__main__":
    main()
