"""Batch throughput: `syncready batch --do check` on distinct 3-minute tracks, in tracks per hour.

Run: ``python bench/bench_batch.py [--tracks N] [--no-ray]``. The tracks are synthesised here
(bench/signals.py with a different seed each, 44.1 kHz 24-bit stereo WAV, 3 minutes), every
run gets an empty analysis cache (every track is analysed for real), and the batch runs with
the process engine at 1 and 2 worker processes, then with the Ray engine on a local instance
of 2 CPUs. The process rates include starting the workers (spawn); the issue's goal is
>= 3,000 three-minute tracks per hour per core pair.

Ray's overhead is given in two parts: starting the local instance (once per batch, timed
alone; the Ray batch then runs on it), and per track: the steady time per track of Ray minus
that of the process engine at 2 jobs. The steady time per track is the time from the first
finished track to the last over the tracks finished in it, so it leaves out the start of the
workers (spawned processes importing syncready; Ray workers importing it on their first task),
which is "first" (seconds to the first finished track) instead.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from signals import write_song  # noqa: E402

CORES = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=12)
    parser.add_argument("--no-ray", action="store_true", help="Only the process engine.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "tracks"
        folder.mkdir()
        for k in range(args.tracks):
            write_song(folder / f"track{k:03d}.wav", 180, seed=1000 + k)
        from syncready.batch import run

        def batch(label: str, **options) -> float:
            """Run one batch, print its figures; its steady seconds per track."""
            os.environ["SYNCREADY_CACHE"] = str(Path(tmp) / f"cache-{label}")  # passed to every worker
            finished = []
            start = time.perf_counter()
            r = run(folder, Path(tmp) / f"results-{label}", catalog=False,
                    progress=lambda *_: finished.append(time.perf_counter()), **options)
            steady = (finished[-1] - finished[0]) / max(len(finished) - 1, 1)
            print(f"  {label:<16} {r.seconds:6.1f} s, {r.rate_per_hour:7.0f} tracks/hour "
                  f"({r.seconds / args.tracks:.2f} s per track; first {finished[0] - start:.1f} s, steady {steady:.2f} s per track), "
                  f"failed {len(r.failed)}")
            return steady

        print(f"{args.tracks} distinct 3-min 44.1 kHz stereo tracks, check against sync-library, cores: {os.cpu_count()}")
        batch("process jobs=1", jobs=1)
        process = batch(f"process jobs={CORES}", jobs=CORES)
        if args.no_ray:
            return
        try:
            import ray
        except ImportError:
            print("  ray: not installed (pip install 'syncready[ray]'), skipped")
            return
        start = time.perf_counter()
        ray.init(num_cpus=CORES, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        start_s = time.perf_counter() - start
        try:
            on_ray = batch(f"ray cpus={CORES}", engine="ray", jobs=CORES)
        finally:
            ray.shutdown()
        per_track = on_ray - process
        print(f"  ray overhead: start-up of the local instance {start_s:.1f} s (once per batch, not in the ray line); "
              f"steady per track {per_track:+.2f} s vs the process engine ({100 * per_track / process:+.0f} %)")


if __name__ == "__main__":
    main()
