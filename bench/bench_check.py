"""Whole-process speed and memory of `syncready check --no-cache`.

Prints:
1. the wall time of `syncready check --no-cache` on a 3-minute stereo 44.1 kHz WAV against a
   Python process that only loads the same file and meters it with pyebur128 (I, LRA, M, S,
   true peak, sample peak), best of 3 each, and their ratio (goal: <= 2.5);
2. the in-process time of `analysis.analyze(..., use_cache=False)` on the same file, warm
   (goal: < 2 s), the whole `syncready analyze --no-cache` process, and its cold start with an
   empty numba cache (compilation included);
3. the peak resident memory of `syncready check --no-cache` on a 60-minute stereo 48 kHz
   24-bit WAV (goal: < 1.5 GB).

Run: .venv/bin/python bench/bench_check.py [--skip-memory]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parent))
from signals import song, write_song  # noqa: E402

REFERENCE = """
import sys, numpy as np, soundfile as sf, pyebur128 as pe
x, sr = sf.read(sys.argv[1], dtype="float32")
mode = (pe.MeasurementMode.MODE_I | pe.MeasurementMode.MODE_LRA | pe.MeasurementMode.MODE_M
        | pe.MeasurementMode.MODE_S | pe.MeasurementMode.MODE_TRUE_PEAK | pe.MeasurementMode.MODE_SAMPLE_PEAK)
st = pe.R128State(x.shape[1], sr, mode)
hop = sr // 10
for i in range(0, len(x), hop):
    seg = np.ascontiguousarray(x[i:i + hop]).ravel()
    st.add_frames(seg, len(seg) // x.shape[1])
    pe.get_loudness_momentary(st); pe.get_loudness_shortterm(st)
print(pe.get_loudness_global(st), pe.get_loudness_range(st),
      [pe.get_true_peak(st, c) for c in range(x.shape[1])], [pe.get_sample_peak(st, c) for c in range(x.shape[1])])
"""


WARM = """
import sys, time
from syncready.analysis import analyze
analyze(sys.argv[1], use_cache=False)
best = min((lambda t: (analyze(sys.argv[1], use_cache=False), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(3))
print(best)
"""


def run(cmd: list[str], env: dict) -> tuple[float, int, str]:
    """Wall time (s), peak RSS (bytes) and stdout of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss * 1024, out


def main() -> None:
    skip_memory = "--skip-memory" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, SYNCREADY_CACHE=str(Path(tmp) / "cache"))
        track = write_song(Path(tmp) / "song-3min.wav", 180)
        check = [sys.executable, "-m", "syncready", "check", str(track), "--no-cache", "--json", "-"]
        reference = [sys.executable, "-c", REFERENCE, str(track)]
        run(check, env)  # warm the numba cache and the page cache
        ours = min(run(check, env)[0] for _ in range(3))
        ref = min(run(reference, env)[0] for _ in range(3))
        print("3-min stereo 44.1 kHz 24-bit WAV, whole process, best of 3")
        print(f"  syncready check --no-cache : {ours:6.2f} s")
        print(f"  load + pyebur128 meter     : {ref:6.2f} s")
        print(f"  ratio                      : {ours / ref:6.2f}  (goal <= 2.5)")
        warm = subprocess.run([sys.executable, "-c", WARM, str(track)], env=env, capture_output=True, text=True, check=True).stdout
        print(f"  analyze() in process, warm : {float(warm):6.2f} s  (goal < 2)")
        analyze = [sys.executable, "-m", "syncready", "analyze", str(track), "--no-cache", "--json", "-"]
        print(f"  syncready analyze process  : {min(run(analyze, env)[0] for _ in range(3)):6.2f} s")
        cold_env = dict(env, NUMBA_CACHE_DIR=str(Path(tmp) / "numba-empty"))
        print(f"  same, cold numba cache     : {run(analyze, cold_env)[0]:6.2f} s")
        if skip_memory:
            return
        long = Path(tmp) / "song-60min.wav"
        x48 = song(180, 48000, np.random.default_rng(1)).T
        with sf.SoundFile(long, "w", 48000, 2, subtype="PCM_24") as f:
            for _ in range(20):
                f.write(x48)
        seconds, rss, _ = run([sys.executable, "-m", "syncready", "check", str(long), "--no-cache", "--json", "-"], env)
        print("60-min stereo 48 kHz 24-bit WAV")
        print(f"  syncready check --no-cache : {seconds:6.1f} s, peak memory {rss / 2**30:.2f} GiB  (goal < 1.5 GB)")


if __name__ == "__main__":
    main()
