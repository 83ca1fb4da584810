"""Musical checks: intentional start and ending, editable sections, loops, steady tempo,
level consistency between sections and room for dialogue."""

from __future__ import annotations

from ..analysis import Analysis
from .finding import Finding
from .profile import Profile


def tempo(a: Analysis, p: Profile) -> list[Finding]:
    """A steady pulse is what bar-exact edits and loops stand on."""
    m = a.music
    if m.tempo_bpm is None:
        return [Finding("music.tempo", "warn", "no steady pulse found: edits and loops cannot be placed on the bar", None, "a steady tempo")]
    if not m.tempo_stable:
        return [Finding("music.tempo", "warn", f"the tempo drifts (about {m.tempo_bpm:.1f} BPM): edits on the bar need a steady grid", round(m.tempo_bpm, 2), "a steady tempo")]
    return [Finding("music.tempo", "pass", f"steady {m.tempo_bpm:.2f} BPM in {m.meter or '?'}/4", round(m.tempo_bpm, 3), "a steady tempo")]


def start(a: Analysis, p: Profile) -> list[Finding]:
    """The music should begin on or near a downbeat, not noodle before the first section."""
    m, limit = a.music, p.music.lead_in_max_beats
    if m.intro.first_downbeat_s is None or m.intro.first_sound_s is None or m.tempo_bpm is None:
        return []
    lead = max(0.0, m.intro.first_downbeat_s - m.intro.first_sound_s)
    beats = lead * m.tempo_bpm / 60
    expected = f"<= {limit:g} beats before the first downbeat"
    if beats <= limit:
        return [Finding("music.start", "pass", f"the music starts {beats:.1f} beats before the first downbeat", round(beats, 2), expected)]
    return [Finding("music.start", "warn", f"{lead:.1f} s ({beats:.0f} beats) of lead-in before the first downbeat", round(beats, 2), expected,
                    round(m.intro.first_sound_s, 3), round(m.intro.first_downbeat_s, 3), fix="syncready trim IN -o OUT.wav --downbeat")]


def ending(a: Analysis, p: Profile) -> list[Finding]:
    """A deliberate ending: ring-out passes; abrupt and fade take the profile's severities."""
    e = a.music.ending
    if e.type is None:
        return []
    where = (e.start, a.source.duration_s) if e.start is not None else (None, None)
    if e.type == "ring_out":
        return [Finding("music.ending", "pass", "the ending rings out naturally", e.type, "ring_out", *where)]
    if e.type == "abrupt":
        return [Finding("music.ending", p.music.abrupt_ending, f"abrupt ending: the music stops at level at {e.start:.2f} s", e.type, "ring_out", *where, fix="syncready end IN -o OUT.wav")]
    return [Finding("music.ending", p.music.fade_ending, f"the track fades out from {e.start:.1f} s: editors prefer a real ending", e.type, "ring_out", *where, fix="syncready end IN -o OUT.wav --mode ringout")]


def sections(a: Analysis, p: Profile) -> list[Finding]:
    """Usable for editing: a section boundary at least every ``section_max_s`` seconds."""
    secs, limit = a.music.sections, p.music.section_max_s
    if not secs:
        return [Finding("music.sections", "warn", "no sections found (no bar grid)", None, f"a boundary every <= {limit:g} s")]
    longest = max(secs, key=lambda s: s.end - s.start)
    span = longest.end - longest.start
    form = " ".join(f"{s.group}:{s.label}" for s in secs)
    expected = f"a boundary every <= {limit:g} s"
    if span <= limit:
        return [Finding("music.sections", "pass", f"{len(secs)} sections ({form})", len(secs), expected)]
    return [Finding("music.sections", "warn", f"{span:.0f} s without a clear section boundary ({form})", round(span, 1), expected, longest.start, longest.end)]


def loop(a: Analysis, p: Profile) -> list[Finding]:
    """A seamless loop of the profile's length must exist."""
    bars, limit = p.music.loop_bars, p.music.loop_min_score
    candidates = [lp for lp in a.music.loops if lp.bars == bars]
    expected = f"a {bars}-bar loop scoring >= {limit:g}"
    if not candidates:
        return [Finding("music.loop", "warn", f"no {bars}-bar passage to loop", None, expected)]
    best = max(candidates, key=lambda lp: lp.score)
    if best.score >= limit:
        return [Finding("music.loop", "pass", f"{bars}-bar loop at {best.start:.1f}-{best.end:.1f} s (score {best.score:.2f})", best.score, expected, best.start, best.end)]
    return [Finding("music.loop", "warn", f"no seamless {bars}-bar loop (best scores {best.score:.2f} at {best.start:.1f} s)", best.score, expected, best.start, best.end)]


def level_consistency(a: Analysis, p: Profile) -> list[Finding]:
    """Repeats of the same material (same group) should sit at the same level."""
    m, limit = a.music, p.music.group_level_spread_max_db
    bar_starts = m.downbeats
    if not m.sections or not m.energy:
        return []
    levels: dict[str, list[tuple[float, float]]] = {}
    for s in m.sections:
        bars = [e for t, e in zip(bar_starts, m.energy) if s.start <= t < s.end]
        if bars:
            levels.setdefault(s.group, []).append((sum(bars) / len(bars), s.start))
    spreads = {g: max(v)[0] - min(v)[0] for g, v in levels.items() if len(v) > 1}
    expected = f"repeats within {limit:g} dB"
    if not spreads:
        return [Finding("music.level_consistency", "info", "no repeated sections to compare", None, expected)]
    group = max(spreads, key=spreads.get)
    spread = spreads[group]
    if spread <= limit:
        return [Finding("music.level_consistency", "pass", f"repeated sections agree within {spread:.1f} dB", round(spread, 2), expected)]
    return [Finding("music.level_consistency", "warn", f"the repeats of section {group} differ by {spread:.1f} dB", round(spread, 2), expected, fix="ride the level of that section in the mix")]


def dialogue(a: Analysis, p: Profile) -> list[Finding]:
    """How much of each section's energy sits in the 300 Hz - 3.4 kHz speech band."""
    bands, limit = a.music.speech_band, p.music.speech_share_max
    if not bands:
        return []
    busiest = max(bands, key=lambda b: b.share)
    detail = ", ".join(f"{b.start:.0f}-{b.end:.0f} s {100 * b.share:.0f}%" for b in bands)
    expected = f"speech-band share <= {100 * limit:.0f}%"
    if busiest.share <= limit:
        return [Finding("music.dialogue", "pass", f"leaves room for dialogue (speech band: {detail})", busiest.share, expected)]
    return [Finding("music.dialogue", "warn", f"busy in the speech band at {busiest.start:.0f}-{busiest.end:.0f} s ({100 * busiest.share:.0f}%): will fight voice-over", busiest.share, expected,
                    busiest.start, busiest.end, fix="make an underscore version (syncready versions) or carve 1-4 kHz")]


CHECKS = [tempo, start, ending, sections, loop, level_consistency, dialogue]
