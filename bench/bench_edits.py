"""Speed and contract measurements of the edit commands: cut-downs, loop, sting.

On a 3-minute stereo 44.1 kHz 24-bit WAV (bench/signals.py) whose analysis is already cached,
prints the in-process time (best of 3 after a warm-up) of
1. the four cut-downs 60/30/15/6 s together (goal < 1.5 s),
2. an 8-bar loop (goal < 0.5 s),
3. a 5-s sting,
and a table of what each output measured when it was re-read: length, end level (last 50 ms
re the edit's RMS), gap from the final downbeat to the end, and the largest splice click
(:func:`syncready.produce.cutdown.splice_click_db`, and the step excess over the source that
the contract checks).

Run: .venv/bin/python bench/bench_edits.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from signals import write_song  # noqa: E402

TARGETS = [60.0, 30.0, 15.0, 6.0]


def best_of(runs: int, work) -> tuple[float, object]:
    """Best wall time (s) of ``runs`` calls of ``work`` after one warm-up, and the last result."""
    result = work()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SYNCREADY_CACHE"] = str(Path(tmp) / "cache")
        from syncready.analysis import analyze
        from syncready.produce.cutdown import cutdowns
        from syncready.produce.loop import make_loop
        from syncready.produce.sting import make_sting

        track = write_song(Path(tmp) / "song-3min.wav", 180)
        analyze(track)  # cached from here on
        out = Path(tmp) / "edits"
        cut_s, cuts = best_of(3, lambda: cutdowns(track, TARGETS, out, overwrite=True))
        loop_s, loop = best_of(3, lambda: make_loop(track, 8, out / "loop8.wav", overwrite=True))
        sting_s, sting = best_of(3, lambda: make_sting(track, out / "sting5.wav", overwrite=True))

        print("3-min stereo 44.1 kHz 24-bit WAV, analysis cached, in process, best of 3")
        print(f"  cut-downs 60/30/15/6 s together : {cut_s:5.2f} s  (goal < 1.5)")
        print(f"  8-bar loop                      : {loop_s:5.2f} s  (goal < 0.5)")
        print(f"  5-s sting                       : {sting_s:5.2f} s")
        print()
        header = f"  {'output':<21}{'method':<15}{'length s':>10}{'error ms':>9}{'end dB':>8}{'last db s':>10}"
        print(header + f"{'splices':>8}{'click dB':>9}{'excess dB':>10}")
        rows = [(Path(c.path).name, c.method, c.target_s, c.measured, len(c.splices)) for c in cuts]
        rows.append((Path(sting.path).name, "bars (sting)", 5.0, sting.measured, len(sting.splices)))
        for name, method, target, m, count in rows:
            click = max(m.splice_click_db, default=float("nan"))
            excess = max(m.click_excess_db, default=float("nan"))
            print(f"  {name:<21}{method:<15}{m.duration_s:>10.3f}{(m.duration_s - target) * 1000:>9.1f}"
                  f"{m.end_level_db:>8.1f}{m.last_downbeat_gap_s:>10.3f}{count:>8}{click:>9.1f}{excess:>10.1f}")
        print()
        print(f"  {Path(loop.path).name}: {loop.bars} bars from {loop.start_s:.3f} s, {loop.duration_s:.4f} s "
              f"(8 bars at the analysed tempo: {8 * 4 * 60 / analyze(track).music.tempo_bpm:.4f} s), "
              f"seam click {loop.seam_click_db:.1f} dB, seam level step {loop.seam_level_step_db:+.1f} dB")
        for cut in cuts:
            print(f"  {Path(cut.path).name}: {'; '.join(cut.notes)}")


if __name__ == "__main__":
    main()
