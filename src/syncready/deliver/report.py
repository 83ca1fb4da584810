"""Self-contained HTML reports (no network): pictures are inline SVG drawn with matplotlib.

:func:`render_check` draws the ``syncready check`` report of one file (and
:func:`render_fix` the ``syncready fix`` report: the steps, then that report before and after): the waveform with
the places findings point at, the beat/section timeline, short-term loudness over time with the profile's target
band, the average spectrum with the detected cutoff, and the findings table. Every piece of
text from the file or the user is HTML-escaped.
"""

from __future__ import annotations

import html
import io

import numpy as np

from ..checks.profile import Profile
from ..qc import CheckResult, document

MAX_POINTS = 2000
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
h1{font-size:1.4em} table{border-collapse:collapse;width:100%;font-size:.9em}
td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
.fail{color:#b00020;font-weight:bold}.warn{color:#a66b00}.info{color:#06708a}.pass{color:#2e7d32}
.verdict{font-size:1.2em;padding:.2em .6em;border-radius:4px;background:#f3f3f3}
figure{margin:1em 0} svg{max-width:100%;height:auto}
"""


def _figure(width: float = 10, height: float = 2.6):
    """A one-plot figure with fixed margins (in inches, so every height has room for the title,
    the axis labels and the ticks): measuring the text for a tight layout costs more than
    drawing the figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.subplots_adjust(left=0.75 / width, right=1 - 0.15 / width, bottom=0.55 / height, top=1 - 0.35 / height)
    return fig, fig.add_subplot(1, 1, 1)


def _svg(fig) -> str:
    """The figure as inline SVG, the same bytes for the same picture (fixed id salt, no date)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "syncready"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _thin(values: list, hop_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Times and values of a series, thinned to at most MAX_POINTS (None -> NaN)."""
    data = np.array([np.nan if v is None else v for v in values], dtype=float)
    times = (np.arange(len(data)) + 1) * hop_s
    step = max(1, len(data) // MAX_POINTS)
    return times[::step], data[::step]


def waveform_svg(result: CheckResult) -> str:
    """Peak envelope of the waveform, problem places shaded red."""
    levels, duration = result.analysis.levels, result.analysis.source.duration_s
    fig, ax = _figure()
    peak = np.array(levels.envelope)
    x = np.linspace(0, duration, len(peak))
    ax.fill_between(x, -peak, peak, color="#3b6ea8", linewidth=0)
    for f in result.report.findings:
        if f.severity in ("fail", "warn") and f.start_s is not None and f.end_s is not None:
            ax.axvspan(f.start_s, max(f.end_s, f.start_s + duration / 500), color="#b00020", alpha=0.25)
    ax.set(xlim=(0, duration), ylim=(-1.05, 1.05), xlabel="time (s)", ylabel="amplitude", title="Waveform")
    return _svg(fig)


def timeline_svg(result: CheckResult) -> str:
    """Sections (coloured by group, labelled), downbeats and the ending over time."""
    music, duration = result.analysis.music, result.analysis.source.duration_s
    fig, ax = _figure(height=1.8)
    colours = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"]
    for sec in music.sections:
        colour = colours[(ord(sec.group[0]) - ord("A")) % len(colours)]
        ax.axvspan(sec.start, sec.end, ymin=0.35, ymax=1.0, color=colour, alpha=0.55)
        ax.text((sec.start + sec.end) / 2, 0.7, f"{sec.group} {sec.label}", ha="center", va="center", fontsize=8)
    ax.vlines(music.downbeats, 0.0, 0.3, color="#222", linewidth=0.8)
    ax.vlines([b for b in music.beats if b not in set(music.downbeats)], 0.0, 0.15, color="#888", linewidth=0.5)
    if music.ending.start is not None:
        ax.axvline(music.ending.start, color="#b00020", linestyle="--", linewidth=1)
        ax.text(music.ending.start, 0.2, f" {music.ending.type}", color="#b00020", fontsize=8, va="center")
    tempo = "no steady tempo" if music.tempo_bpm is None else f"{music.tempo_bpm:.2f} BPM, {music.meter or '?'} beats/bar"
    ax.set(xlim=(0, duration), ylim=(0, 1), yticks=[], xlabel="time (s)", title=f"Timeline: {tempo}, key {music.key or '-'}")
    return _svg(fig)


def loudness_svg(result: CheckResult, profile: Profile) -> str:
    """Short-term and momentary loudness over time, with the profile's integrated target band."""
    loud = result.analysis.loudness
    fig, ax = _figure()
    t, m = _thin(loud.momentary_lufs, loud.hop_s)
    ax.plot(t, m, color="#9bb7d4", linewidth=0.6, label="momentary")
    t, s = _thin(loud.short_term_lufs, loud.hop_s)
    ax.plot(t, s, color="#1f4e79", linewidth=1.2, label="short-term")
    target = profile.loudness.integrated_lufs
    if target is not None:
        tol = profile.loudness.integrated_tolerance_lu
        ax.axhspan(target - tol, target + tol, color="#2e7d32", alpha=0.2, label=f"target {target:g} +- {tol:g} LUFS")
    if loud.integrated_lufs is not None:
        ax.axhline(loud.integrated_lufs, color="#b00020", linestyle="--", linewidth=1, label=f"integrated {loud.integrated_lufs:.1f} LUFS")
    finite = np.concatenate([m[np.isfinite(m)], s[np.isfinite(s)]])
    top = max(0.0, float(finite.max()) + 2) if len(finite) else 0.0
    ax.set(ylim=(max(-60.0, (float(finite.min()) - 3) if len(finite) else -60.0), top), xlabel="time (s)", ylabel="LUFS", title="Loudness")
    ax.legend(loc="lower right", fontsize=8)
    return _svg(fig)


def spectrum_svg(result: CheckResult) -> str:
    """Long-term average spectrum on a log frequency axis, with the cutoff marked."""
    spec = result.analysis.spectrum
    fig, ax = _figure()
    if spec.freqs_hz:
        ax.semilogx(spec.freqs_hz, spec.level_db, color="#1f4e79")
        ax.set_xlim(20, spec.nyquist_hz)
    if spec.cutoff_hz is not None:
        ax.axvline(spec.cutoff_hz, color="#b00020", linestyle="--", label=f"cutoff {spec.cutoff_hz / 1000:.1f} kHz")
        ax.legend(loc="lower left", fontsize=8)
    ax.set(xlabel="frequency (Hz)", ylabel="dB", title="Average spectrum")
    return _svg(fig)


def render_check(result: CheckResult, profile: Profile) -> str:
    """The whole HTML page for one checked file."""
    file = html.escape(result.report.file)
    return _page(f"syncready check: {file}", f"<h1>{file}</h1>\n{check_section(result, profile)}")


def render_fix(before: CheckResult, after: CheckResult | None, steps: list[dict], profile: Profile) -> str:
    """The ``syncready fix`` page: the steps taken, then the check report before and after."""
    esc = html.escape
    rows = "\n".join(
        f"<tr><td>{esc(s['step'])}</td><td>{esc(s['note'])}</td></tr>" for s in steps
    ) or "<tr><td colspan='2'>nothing to fix</td></tr>"
    after_html = check_section(after, profile) if after else "<p>no output was made</p>"
    body = f"""<h1>syncready fix: {esc(before.report.file)}</h1>
<table><tr><th>step</th><th>what it did</th></tr>
{rows}
</table>
<h2>Before</h2>
{check_section(before, profile)}
<h2>After: {esc(after.report.file) if after else ''}</h2>
{after_html}"""
    return _page(f"syncready fix: {esc(before.report.file)}", body)


def _page(title: str, body: str) -> str:
    """A self-contained HTML page around ``body`` (``title`` already escaped)."""
    from .. import __version__

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{STYLE}</style></head><body>
{body}
<p><small>syncready {html.escape(__version__)}</small></p>
</body></html>
"""


def check_section(result: CheckResult, profile: Profile) -> str:
    """Verdict, facts, pictures and findings table of one checked file (an HTML fragment)."""
    doc = document(result)
    esc = html.escape
    rows = "\n".join(
        "<tr><td>{}</td><td class='{}'>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            esc(f["check"]), esc(f["severity"]), esc(f["severity"]), esc("" if f["measured"] is None else str(f["measured"])),
            esc(f["expected"] or ""), esc(_where(f)), esc(f["message"]), esc(f["fix"] or ""),
        )
        for f in doc["findings"]
    )
    fmt, loud = doc["format"], doc["loudness"]
    facts = (
        f"{fmt['container']} {fmt['codec']}, {fmt['sample_rate']} Hz, {fmt['bit_depth'] or '-'} bit, "
        f"{fmt['channels']} ch, {fmt['duration_s']:.2f} s{' (lossy)' if fmt['lossy'] else ''}"
    )
    numbers = ", ".join(f"{k} {'-' if v is None else f'{v:.1f}'}" for k, v in loud.items())
    return f"""<p><span class="verdict {esc(doc['verdict'])}">{esc(doc['verdict'].upper())}</span> against profile <b>{esc(doc['profile'])}</b>
({esc(profile.description)})</p>
<p>{esc(facts)}<br>{esc(numbers)}<br><small>sha256 {esc(fmt['sha256'])}</small></p>
<figure>{waveform_svg(result)}</figure>
<figure>{timeline_svg(result)}</figure>
<figure>{loudness_svg(result, profile)}</figure>
<figure>{spectrum_svg(result)}</figure>
<h3>Findings</h3>
<table><tr><th>check</th><th>verdict</th><th>measured</th><th>expected</th><th>where</th><th>message</th><th>fix</th></tr>
{rows}
</table>"""


def _where(f: dict) -> str:
    if f["start_s"] is None:
        return ""
    end = f["end_s"]
    return f"{f['start_s']:.2f} s" + ("" if end is None else f" - {end:.2f} s")
