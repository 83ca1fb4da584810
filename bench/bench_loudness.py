"""Time syncready's loudness meter against pyebur128 (libebur128) on 3 minutes of music.

Run: ``python bench/bench_loudness.py``. The signal is synthesised here (drums, bass,
decaying chords, sections at different levels, peaks near 0 dBFS), written to a temporary
24-bit WAV and read back as float32. Both meters compute integrated loudness, loudness
range, the momentary and short-term series every 100 ms, true peak and sample peak; each
is timed best of 3 in this process on the same data, after a warm-up run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyebur128 as eb
import soundfile as sf

from syncready.analysis.loudness import measure

sys.path.insert(0, os.path.dirname(__file__))
from signals import song  # noqa: E402

FS = 44100
SECONDS = 180
RUNS = 3


def _ours(x: np.ndarray) -> dict:
    r = measure(x, FS)
    return {"I": r.integrated_lufs, "LRA": r.lra_lu, "TP": r.true_peak_dbtp, "SP": r.sample_peak_dbfs,
            "M": r.momentary_lufs, "S": r.short_term_lufs}


def _ebur128(interleaved: np.ndarray, frames: int) -> dict:
    modes = eb.MeasurementMode
    mode = modes.MODE_I | modes.MODE_LRA | modes.MODE_M | modes.MODE_S | modes.MODE_TRUE_PEAK | modes.MODE_SAMPLE_PEAK
    st = eb.R128State(2, FS, mode)
    step = FS // 10
    m, s = [], []
    for i in range(0, frames - step + 1, step):
        st.add_frames(interleaved[2 * i : 2 * (i + step)], step)
        m.append(eb.get_loudness_momentary(st))
        s.append(eb.get_loudness_shortterm(st))
    st.add_frames(interleaved[2 * (frames - frames % step) :], frames % step)
    return {"I": eb.get_loudness_global(st), "LRA": eb.get_loudness_range(st),
            "TP": 20 * np.log10(max(eb.get_true_peak(st, c) for c in range(2))),
            "SP": 20 * np.log10(max(eb.get_sample_peak(st, c) for c in range(2))), "M": m, "S": s}


def _ideal_peak_db(x: np.ndarray, up: int = 8, core: int = 61440, margin: int = 2048, support: int = 4096) -> float:
    """Referee independent of both meters' filters: the peak of the ideal (sinc) band-limited
    reconstruction. Candidates are the maxima of blockwise FFT interpolation (``up`` x); the
    top ones are refined by direct sinc sums over +-``support`` samples on a 1/256-sample grid."""
    x = np.concatenate([np.zeros(margin), x.astype(np.float64), np.zeros(core + margin)])
    size = core + 2 * margin
    candidates: list[tuple[float, float]] = []
    for start in range(0, x.size - size + 1, core):
        dense = np.fft.irfft(np.fft.rfft(x[start : start + size]), size * up) * up
        dense = np.abs(dense[margin * up : (margin + core) * up])
        k = int(np.argmax(dense))
        candidates.append((dense[k], start + margin + k / up))  # position in x
    best = 0.0
    for _, pos in sorted(candidates, reverse=True)[:12]:
        n = np.arange(max(0, int(pos) - support), min(x.size, int(pos) + support))
        t = pos + np.linspace(-1.0 / up, 1.0 / up, 65)
        best = max(best, float(np.abs(np.sinc(t[:, None] - n[None, :]) @ x[n]).max()))
    return 20 * np.log10(best)


def _compile_seconds() -> tuple[float, float]:
    """Numba JIT compile time (fresh process, empty cache) and first-call time with the cache."""
    code = ("import time, numpy as np; from syncready.analysis.loudness import measure; t = time.perf_counter(); "
            "measure(np.random.default_rng(0).standard_normal((2, 44100), np.float32) * 0.1, 44100); "
            "print(time.perf_counter() - t)")
    out = []
    with tempfile.TemporaryDirectory() as cache:
        for _ in range(2):  # first run compiles into the empty cache, the second loads it
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            out.append(float(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                            capture_output=True, text=True).stdout))
    return out[0], out[1]


def _best(fn, *args) -> tuple[float, dict]:
    times, out = [], None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    rng = np.random.default_rng(20240501)
    t0 = time.perf_counter()
    music = song(SECONDS, FS, rng)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.wav")
        sf.write(path, music.T, FS, subtype="PCM_24")
        data, fs = sf.read(path, dtype="float32")
    assert fs == FS
    planar = np.ascontiguousarray(data.T)
    interleaved = np.ascontiguousarray(data).reshape(-1)
    print(f"signal: {SECONDS} s stereo {FS} Hz PCM_24 -> float32, made in {time.perf_counter() - t0:.1f} s; "
          f"crest factor {20 * np.log10(np.abs(data).max() / np.sqrt(np.mean(data**2))):.1f} dB")

    compile_s, cached_s = _compile_seconds()
    print(f"ours: numba JIT compile {compile_s:.2f} s (first call, empty cache); "
          f"first call with the on-disk cache {cached_s:.2f} s; neither is in the timings below")
    _ours(planar[:, : FS * 4])
    ours_t, ours = _best(_ours, planar)
    ref_t, ref = _best(_ebur128, interleaved, data.shape[0])

    print(f"\ntime, best of {RUNS}: ours {ours_t:.3f} s   pyebur128 {ref_t:.3f} s   ratio {ours_t / ref_t:.3f} "
          f"(goal <= 0.5)   cores: {os.cpu_count()}")
    print(f"\n{'':14}{'ours':>10}{'pyebur128':>12}{'diff':>9}")
    for key, unit in (("I", "LUFS"), ("LRA", "LU"), ("TP", "dBTP"), ("SP", "dBFS")):
        print(f"{key + ' (' + unit + ')':14}{ours[key]:10.3f}{ref[key]:12.3f}{ours[key] - ref[key]:+9.3f}")
    ideal = max(_ideal_peak_db(data[:, c]) for c in range(2))
    print(f"TP referee: ideal sinc reconstruction at the peaks {ideal:.3f} dBTP "
          f"(ours {ours['TP'] - ideal:+.3f} dB, pyebur128 {ref['TP'] - ideal:+.3f} dB)")
    for key, first, name in (("M", 3, "momentary"), ("S", 29, "short-term")):
        a = np.array(ours[key][first:], float)
        b = np.array(ref[key][first : first + a.size], float)
        ok = np.isfinite(a) & np.isfinite(b)
        print(f"{name:11} series: {a.size} values, max {np.nanmax(a):.3f} vs {b[ok].max():.3f} LUFS, "
              f"largest |diff| {np.abs(a[ok] - b[ok]).max():.4f} LU")


if __name__ == "__main__":
    main()
