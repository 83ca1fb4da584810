"""Time syncready's mastering (``produce.master.master``) and show what it did.

Run: ``python bench/bench_master.py``. Three 3-minute stereo 44.1 kHz 24-bit WAVs are
synthesised here and mastered in this process, each timed best of 3 after a warm-up run
(numba's compiled kernels loaded, file cache warm):

1. ``song``: bench/signals.py's song (peaks at -0.3 dBFS, true peak above 0 dBTP) to
   sync-library (48 kHz 24-bit, -14 LUFS +- 2, -1 dBTP). Goal: under 2 s.
2. ``hot``: the same song driven 6 dB into a hard clipper, a brick-walled, already-limited
   loud master, to sync-library.
3. ``dynamic``: sparse drum hits over a quiet pad (a very dynamic source) to a -9 LUFS
   profile (``loud9``: sync-library with ``integrated_lufs = -9``): the refusal
   (``TargetUnreachable``), timed the same way. The song is also mastered to ``loud12``
   (-12 LUFS), where the limiter works hard but within its limits, and to ``loud9``.

Every written master is read back and its true peak measured at 8x and 32x, independently of
the result ``master()`` reports.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from syncready.analysis.truepeak import true_peak
from syncready.audio import load
from syncready.checks import profile as profiles
from syncready.produce.master import TargetUnreachable, master

sys.path.insert(0, os.path.dirname(__file__))
from signals import song  # noqa: E402

FS = 44100
SECONDS = 180
RUNS = 3


def _dynamic(seconds: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Drum hits every second (some accented) over a pad 30 dB down: crest factor ~25 dB."""
    n = seconds * fs
    t = np.arange(n) / fs
    pad = 0.02 * np.sin(2 * np.pi * 220 * t) * (1 + 0.3 * np.sin(2 * np.pi * 0.1 * t))
    out = np.tile(pad, (2, 1))
    hit_t = np.arange(int(0.3 * fs)) / fs
    for k, start in enumerate(range(0, n - hit_t.size, fs)):
        hit = rng.standard_normal(hit_t.size) * 0.3 + np.sin(2 * np.pi * 70 * hit_t)
        out[:, start : start + hit_t.size] += (0.9 if k % 4 == 0 else 0.5) * hit * np.exp(-hit_t / 0.05)
    return out * 0.95 / np.abs(out).max()


def _best(fn) -> tuple[float, object]:
    fn()  # warm-up
    times, out = [], None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def _tp(path: Path, up: int) -> float:
    a = load(path)
    return 20 * np.log10(true_peak(a.samples, a.sample_rate, up))


def main() -> None:
    rng = np.random.default_rng(20240501)
    base = song(SECONDS, FS, rng)
    sources = {
        "song": base,
        "hot": np.clip(base * 10 ** (6 / 20), -0.98, 0.98),
        "dynamic": _dynamic(SECONDS, FS, rng),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for lufs in (12, 9):
            (Path(tmp) / f"loud{lufs}.toml").write_text(
                f'extends = "sync-library"\n[loudness]\nintegrated_lufs = -{lufs}.0\n')
        loud12, loud9 = str(Path(tmp) / "loud12.toml"), str(Path(tmp) / "loud9.toml")
        plan = [("song", "sync-library"), ("song", loud12), ("song", loud9), ("hot", "sync-library"),
                ("dynamic", loud9)]
        print(f"{SECONDS} s stereo {FS} Hz 24-bit WAV in; best of {RUNS} after a warm-up; cores: {os.cpu_count()}\n")
        header = (f"{'source':9}{'profile':14}{'time s':>8}{'in LUFS':>9}{'in dBTP':>9}{'gain dB':>9}{'GR max':>8}"
                  f"{'>1dB s':>8}{'iter':>6}{'out LUFS':>10}{'TP 8x':>8}{'TP 32x':>8}{'SP dBFS':>9}{'LRA':>6}")
        print(header)
        print("-" * len(header))
        refusals = []
        for name, profile_name in plan:
            src = Path(tmp) / f"{name}.wav"
            sf.write(src, sources[name].T, FS, subtype="PCM_24")
            profile = profiles.load(profile_name)
            out = Path(tmp) / f"{name}-{profile.name}.wav"

            def run():
                try:
                    return master(src, profile, out, overwrite=True)
                except TargetUnreachable as exc:
                    return exc

            seconds, result = _best(run)
            label = profile.name
            if isinstance(result, TargetUnreachable):
                print(f"{name:9}{label:14}{seconds:8.2f}  refused: TargetUnreachable (nothing written: "
                      f"{not out.exists()})")
                refusals.append(str(result))
                continue
            r = result
            print(f"{name:9}{label:14}{seconds:8.2f}{r.input_integrated_lufs:9.2f}{r.input_true_peak_dbtp:9.2f}"
                  f"{r.gain_db:+9.2f}{r.gain_reduction_max_db:8.2f}{r.gain_reduction_above_1db_s:8.2f}"
                  f"{r.iterations:6d}{r.integrated_lufs:10.2f}{_tp(out, 8):8.2f}{_tp(out, 32):8.2f}"
                  f"{r.sample_peak_dbfs:9.2f}{r.lra_lu:6.1f}")
        for message in refusals:
            print(f"\nrefusal message: {message.replace(tmp, '<tmp>')}")


if __name__ == "__main__":
    main()
