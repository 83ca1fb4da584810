"""Benchmark: ``syncready package`` of a 3-minute, 120 BPM track with four stems.

The stems are synthetic parts (drums, a walking bass, a vibrato voice, chords; as in
tests/test_stems.py) and the mix is their sum. Prints the wall time (goal: under 20 s), the CPU
time of the process (all threads) and the load average (other work on the machine slows the wall
time, not the CPU time), and the time of each stage, seconds. The analysis cache is the user's
(``$SYNCREADY_CACHE``): the first run on a machine analyses the song, later ones reuse it; set
``SYNCREADY_CACHE`` to an empty folder to time a cold run.
Run: ``.venv/bin/python bench/bench_package.py``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from syncready.checks import profile as profiles
from syncready.deliver.package import package

SR, SECONDS = 48000, 180


def parts(seed: int = 0) -> dict[str, np.ndarray]:
    """Four stereo parts (channels, frames) of a 120 BPM song, full scale +-1."""
    rng = np.random.default_rng(seed)
    n = SR * SECONDS
    t = np.arange(n) / SR
    drums = np.clip(rng.standard_normal((2, n)), -3, 3) * np.exp(-(t % 0.5) / 0.04) * 0.1
    f_bass = np.repeat(55.0 * 2 ** (rng.integers(0, 12, size=SECONDS * 2) / 12), SR // 2)[:n]
    bass = np.tile(0.25 * np.sin(2 * np.pi * np.cumsum(f_bass) / SR), (2, 1))
    f = np.repeat(330 * 2 ** (rng.integers(0, 8, size=SECONDS) / 12), SR)[:n] * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
    voice = 0.12 * np.sin(2 * np.pi * np.cumsum(f) / SR) * (t % 3 < 2.4)
    chords = np.tile(0.05 * sum(np.sin(2 * np.pi * fr * t) for fr in (261.6, 329.6, 392.0)), (2, 1))
    return {"drums": drums, "bass": bass, "lead vocal": np.stack([voice, voice * 0.9]), "keys": chords}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        p = parts()
        sf.write(folder / "song.wav", sum(p.values()).T, SR, subtype="PCM_24")
        (folder / "stems").mkdir()
        for name, x in p.items():
            sf.write(folder / "stems" / f"{name}.wav", x.T, SR, subtype="PCM_24")
        load_before = os.getloadavg()[0]
        start, cpu = time.perf_counter(), time.process_time()
        result = package(folder / "song.wav", folder / "delivery", profiles.load("sync-library"), stems=folder / "stems")
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"package of a {SECONDS} s track with {len(p)} stems: {total:.1f} s (goal < 20 s), "
          f"{len(result.manifest['files'])} files; CPU {cpu:.1f} s on {os.cpu_count()} cores; "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    for stage, seconds in result.stages.items():
        print(f"  {stage:9} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
