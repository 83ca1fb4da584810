"""Separation benchmark: SDR of the dsp backend on rendered multitracks, null residual, speed.

Ground truth: the first ``--songs`` arranged songs of the accuracy corpus (bench/accuracy/corpus.py,
seed 0), cut to ``--seconds``. Each MIDI instrument is rendered on its own through the same
TinySoundFont path as the corpus; since that renderer peak-normalises, the parts' gains are
recovered by least squares against the rendered full mix (the synth is linear: the fit's residual
is printed), and the benchmark's mix is the exact sum of the scaled parts. Parts are grouped into
the four roles: drums, bass, ``vocals`` = the lead melody instrument (the corpus has no voice: a
lead instrument stands in for it), ``other`` = chords and the final ring-out chord.

Scores, per role, averaged over the songs (dB):
- SDR = 10 log10(|s|^2 / |s - s_hat|^2) over both channels (the plain "signal to distortion
  ratio" of SiSEC 2018's successors, no allowed filtering);
- the "leave the mix untouched" baseline: every estimate is the mix;
- the same two with mir_eval's BSS Eval SDR (``bss_eval_sources``, channel means of the first
  ``BSS_SECONDS``; it allows a 512-tap distortion filter, so it reads higher than the plain SDR);
- the dsp backend's null residual (mix minus the sum of its float32 stems, in memory).

Speed: wall time per minute of audio of the dsp backend (in process, on these songs) and of the
demucs backend running HTDemucs with its constructor's defaults (48 channels, depth 4, 5
cross-domain transformer layers, nfft 4096: the architecture of the pretrained ``htdemucs``, up
to settings not checked here) and random weights, saved as a checkpoint and run through
syncready's own loading and apply code: the time is that of trained weights, which cannot be
downloaded here. Demucs is skipped when it is not installed.

Run: .venv/bin/python bench/bench_separation.py [--songs N] [--seconds S]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent / "accuracy"))
import corpus  # noqa: E402

from syncready.audio import Audio  # noqa: E402
from syncready.stems.separate import ROLES, separate  # noqa: E402
from syncready.stems.stemset import residual_db  # noqa: E402

PART_ROLES = {"melody": "vocals", "drums": "drums", "bass": "bass", "chords": "other", "ring": "other"}
DEMUCS_SECONDS = 20.0  # of the first song, for the demucs timing
BSS_SECONDS = 15.0  # of each song, for mir_eval's BSS Eval (slow)


def multitrack(index: int, seconds: float, soundfont: Path) -> tuple[np.ndarray, dict[str, np.ndarray], float]:
    """Song ``index`` (seed 0) cut to ``seconds``: its mix, its role stems and the gain fit's residual (dB)."""
    midi, truth = corpus.song(index, 0)
    duration = min(truth["duration_s"], seconds)
    ending = truth["ending"]
    cut_s = ending["start"] if ending["type"] == "abrupt" and ending["start"] < duration else None
    full = corpus.render(midi, duration, soundfont, cut_s)
    parts = []
    for instrument in midi.instruments:
        alone = copy.copy(midi)
        alone.instruments = [instrument]
        parts.append(corpus.render(alone, duration, soundfont, cut_s))
    basis = np.stack([p.ravel() for p in parts], axis=1).astype(np.float64)
    gains, *_ = np.linalg.lstsq(basis, full.ravel().astype(np.float64), rcond=None)
    fit_db = residual_db(full - (basis @ gains).reshape(full.shape), full)
    stems = {role: np.zeros_like(full, dtype=np.float64) for role in ROLES}
    for instrument, part, gain in zip(midi.instruments, parts, gains):
        stems[PART_ROLES[instrument.name]] += gain * part
    mix = sum(stems.values())
    return mix.astype(np.float32), stems, fit_db


def bss_sdr(truth: dict[str, np.ndarray], estimates: dict[str, np.ndarray]) -> np.ndarray:
    """mir_eval's BSS Eval SDR per role (``ROLES`` order) on the channel means of the first
    ``BSS_SECONDS`` (its 512-tap distortion filter is allowed, unlike :func:`sdr`)."""
    import warnings

    import mir_eval

    n = round(BSS_SECONDS * corpus.SAMPLE_RATE)
    ref = np.stack([truth[r][:, :n].mean(axis=0) for r in ROLES])
    est = np.stack([estimates[r][:, :n].mean(axis=0) for r in ROLES])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        values, *_ = mir_eval.separation.bss_eval_sources(ref, est, compute_permutation=False)
    return values


def sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """10 log10(|reference|^2 / |reference - estimate|^2), dB."""
    error = np.sum((reference - estimate) ** 2)
    return float(10 * np.log10(np.sum(reference**2) / max(error, 1e-20)))


def demucs_seconds_per_minute(mix: np.ndarray) -> str:
    """Time per minute of audio of the demucs backend with a random default HTDemucs, or why not."""
    try:
        import torch
        from demucs.htdemucs import HTDemucs
    except ImportError:
        return "not installed (pip install -e '.[demucs]')"
    excerpt = Audio(mix[:, : round(DEMUCS_SECONDS * corpus.SAMPLE_RATE)], corpus.SAMPLE_RATE)
    model = HTDemucs(sources=["drums", "bass", "other", "vocals"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "htdemucs-random.th"
        torch.save({"klass": HTDemucs, "args": (), "kwargs": {"sources": model.sources},
                    "state": model.state_dict()}, path)
        separate(excerpt, "demucs", path)  # warm-up
        start = time.perf_counter()
        separate(excerpt, "demucs", path)
        elapsed = time.perf_counter() - start
    device = "CUDA" if torch.cuda.is_available() else f"CPU, {torch.get_num_threads()} threads"
    return f"{elapsed / excerpt.duration_s * 60:.1f} s ({device}, {DEMUCS_SECONDS:.0f} s excerpt)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--songs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=45.0)
    args = parser.parse_args()
    soundfont = corpus.soundfont_path()
    if soundfont is None:
        sys.exit(f"no soundfont: run `make corpus-deps` or set $SYNCREADY_SOUNDFONT ({corpus.DEFAULT_SOUNDFONT})")

    baseline = {role: [] for role in ROLES}
    dsp = {role: [] for role in ROLES}
    residuals, fits, dsp_time, minutes = [], [], 0.0, 0.0
    bss_baseline, bss_dsp = [], []
    first_mix = None
    for index in range(args.songs):
        mix, truth, fit_db = multitrack(index, args.seconds, soundfont)
        first_mix = mix if first_mix is None else first_mix
        fits.append(fit_db)
        start = time.perf_counter()
        estimates = separate(Audio(mix, corpus.SAMPLE_RATE), "dsp")
        dsp_time += time.perf_counter() - start
        minutes += mix.shape[1] / corpus.SAMPLE_RATE / 60
        residuals.append(residual_db(mix - sum(estimates.values()), mix))
        for role in ROLES:
            baseline[role].append(sdr(truth[role], mix))
            dsp[role].append(sdr(truth[role], estimates[role]))
        bss_baseline.append(bss_sdr(truth, {role: mix for role in ROLES}))
        bss_dsp.append(bss_sdr(truth, estimates))

    print(f"{args.songs} rendered songs of the accuracy corpus (seed 0), first {args.seconds:.0f} s, "
          f"44.1 kHz stereo; 'vocals' is the lead melody instrument")
    print(f"  part gains fitted to the rendered mix: worst residual {max(fits):.1f} dB")
    print()
    print(f"  {'stem':<8}{'mix as estimate':>17}{'dsp':>8}{'gain':>8}   SDR dB, mean (min..max) over songs"
          f"   | mir_eval BSS Eval SDR (mono, first {BSS_SECONDS:.0f} s): mix, dsp, gain")
    bb, bd = np.mean(bss_baseline, axis=0), np.mean(bss_dsp, axis=0)
    for k, role in enumerate(ROLES):
        b, d = np.array(baseline[role]), np.array(dsp[role])
        print(f"  {role:<8}{b.mean():>17.1f}{d.mean():>8.1f}{(d - b).mean():>+8.1f}   "
              f"dsp {d.min():.1f}..{d.max():.1f}{'':<14}| {bb[k]:6.1f} {bd[k]:6.1f} {bd[k] - bb[k]:+6.1f}")
    print()
    print(f"  dsp null residual (mix - sum of stems, float32): worst {max(residuals):.1f} dB re the mix")
    print(f"  time per minute of audio: dsp {dsp_time / minutes:.1f} s; "
          f"demucs (default HTDemucs, random weights) {demucs_seconds_per_minute(first_mix)}")


if __name__ == "__main__":
    main()
