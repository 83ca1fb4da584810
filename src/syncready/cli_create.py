"""``syncready create`` and ``syncready ideas``: composition (issue 9). Their commands are registered here.

Exit codes: 0 the bed was made and passes ``check`` with the sync-library profile (warnings
allowed), 1 it was made but its check fails (or the master could not be made; nothing kept),
2 an impossible brief, bad arguments or no soundfont (the message says what to do instead).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli import EXIT_FAIL, EXIT_OK, _guarded, app, err, refuse
from .cli_produce import ForceOpt, JsonOpt, _report

KeyOpt = Annotated[Optional[str], typer.Option("--key", help="Key, e.g. \"D major\", \"F# minor\" (a tonic alone takes the mood's mode; default: from the seed).")]
MoodOpt = Annotated[str, typer.Option("--mood", help="Mood: uplifting, happy, calm, romantic, sad, tense, dark, epic.")]
GenreOpt = Annotated[str, typer.Option("--genre", help="Genre: pop, rock, electronic, cinematic, folk, corporate, hiphop.")]
BpmOpt = Annotated[Optional[float], typer.Option("--bpm", help="Tempo, 50-200 BPM (default: the mood's, within the genre's range).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of every random choice: the same brief and seed make the same bed.")]


def _bed_doc(bed) -> dict:
    return {"folder": bed.folder, "brief": bed.brief.to_dict(), "verdict": bed.verdict,
            "sections": [{"label": s.label, "start_s": s.start_s, "end_s": s.end_s, "bars": s.bars} for s in bed.plan.sections],
            "final_hit_s": bed.plan.final_hit_s, "confirmation": bed.confirmation,
            "integrated_lufs": bed.master.integrated_lufs, "true_peak_dbtp": bed.master.true_peak_dbtp,
            "seconds": round(bed.seconds, 2), "files": bed.files}


def _bed_lines(bed) -> list[str]:
    c = bed.confirmation
    form = " ".join(f"{s.label}({s.bars})" for s in bed.plan.sections)
    return [f"wrote {bed.folder}: {bed.brief.length_s:g} s, {bed.plan.bpm:.2f} BPM, {bed.brief.key}, {form}, "
            f"final hit at {bed.plan.final_hit_s:.2f} s ringing out; check {bed.verdict}",
            f"  analysis: tempo {c['tempo']['measured_bpm']} ({'ok' if c['tempo']['ok'] else 'off'}), "
            f"key {c['key']['measured']} ({'ok' if c['key']['ok'] else 'off'}), "
            f"boundaries F {c['sections']['f_measure']:.2f} within {c['sections']['window_s']:g} s, "
            f"ending {c['ending']['measured']}; {bed.seconds:.1f} s"]


DEFAULT_MOOD, DEFAULT_GENRE = "uplifting", "pop"


def _generated_lines(g) -> list[str]:
    steps = ", ".join(s["step"] for s in g.steps) or "nothing to fix"
    return [f"wrote {g.folder}: {g.length_s:g} s from {g.model} (seed {g.seed}), fixed ({steps}); check {g.verdict}"]


def _generated_doc(g) -> dict:
    return {"folder": g.folder, "model": g.model, "prompt": g.prompt, "length_s": g.length_s, "seed": g.seed,
            "verdict": g.verdict, "steps": g.steps, "seconds": round(g.seconds, 2), "files": g.files}


def _refuse_with_model(given: dict[str, object]) -> None:
    """--model generates from --prompt alone: the brief's options have no meaning there."""
    clash = [name for name, value in given.items() if value is not None]
    if clash:
        refuse(f"--model generates from --prompt; {', '.join(clash)} "
               f"belong{'s' if len(clash) == 1 else ''} to a composed bed (leave out --model for that)")


@app.command()
def create(
    mood: Annotated[Optional[str], typer.Option("--mood", help="Mood: uplifting (default), happy, calm, romantic, sad, tense, dark, epic.")] = None,
    genre: Annotated[Optional[str], typer.Option("--genre", help="Genre: pop (default), rock, electronic, cinematic, folk, corporate, hiphop.")] = None,
    bpm: BpmOpt = None,
    key: KeyOpt = None,
    length: Annotated[float, typer.Option("--length", help="Exact length of the bed, seconds (8-600); with --model, the seconds generated (4-600) before fix ends them.")] = 60.0,
    sections: Annotated[Optional[str], typer.Option("--sections", help="Section labels in order, e.g. intro,verse,build,chorus,outro (default: a form for the length).")] = None,
    instruments: Annotated[Optional[str], typer.Option("--instruments", help="Instruments, one per part, e.g. piano,strings,bass,flute,drums (default: the genre's band).")] = None,
    seed: SeedOpt = 0,
    title: Annotated[Optional[str], typer.Option("--title", help="Title (names the rights record).")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder for the bed (default: syncready-bed, or FROM-LABEL with --regenerate).")] = None,
    regenerate: Annotated[Optional[str], typer.Option("--regenerate", help="Re-generate the sections with this label of the bed in --from, keeping the rest.", metavar="LABEL")] = None,
    source: Annotated[Optional[Path], typer.Option("--from", help="A bed folder made by syncready create (with --regenerate).", metavar="DIR")] = None,
    variations: Annotated[Optional[int], typer.Option("--variations", help="Make N takes of the brief (seeds SEED..SEED+N-1) in OUTPUT/take-1...", metavar="N")] = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Generate with the MusicGen model in this local folder instead (needs syncready[musicgen]; nothing is downloaded).", metavar="DIR")] = None,
    prompt: Annotated[Optional[str], typer.Option("--prompt", help="What the MusicGen model should make (with --model).")] = None,
    json_out: JsonOpt = None,
    force: ForceOpt = False,
) -> None:
    """Compose a sync-ready instrumental bed from a brief: exact length, sections, a real ending,
    stems that null, mastered to sync-library, checked, analysed and documented. With --model
    and --prompt: generate with a local MusicGen model, then fix, check and document the audio."""
    from .create import regenerate as regen
    from .create.brief import make_brief
    from .create.compose import compose

    def say(step: str) -> None:
        err.print(f"[dim]{step}...[/]", highlight=False)

    if (model is None) != (prompt is None):
        refuse("--model DIR and --prompt TEXT go together")
    if model is not None:
        from .create.musicgen import generate

        _refuse_with_model({"--mood": mood, "--genre": genre, "--bpm": bpm, "--key": key, "--sections": sections,
                            "--instruments": instruments, "--regenerate": regenerate, "--from": source,
                            "--variations": variations})
        made = _guarded(lambda: generate(model, prompt, length, output or Path("syncready-generated"), seed=seed,
                                         title=title, overwrite=force, progress=say))
        _report(None, json_out, _generated_lines(made), [], _generated_doc(made))
        raise typer.Exit(EXIT_FAIL if made.verdict == "fail" else EXIT_OK)

    if (regenerate is None) != (source is None):
        refuse("--regenerate LABEL and --from DIR go together")
    if regenerate is not None and variations is not None:
        refuse("--variations makes takes of a new brief; it does not go with --regenerate")
    if regenerate is not None:
        out = output or source.with_name(f"{source.name}-{regenerate}")
        beds = [_guarded(lambda: regen.regenerate(source, regenerate, out, overwrite=force, progress=say))]
    else:
        brief = _guarded(lambda: make_brief(mood=DEFAULT_MOOD if mood is None else mood, genre=DEFAULT_GENRE if genre is None else genre, bpm=bpm, key=key, length_s=length, sections=sections,
                                            instruments=instruments, seed=seed, title=title))
        out = output or Path("syncready-bed")
        if variations is not None:
            beds = _guarded(lambda: regen.variations(brief, variations, out, overwrite=force, progress=say))
        else:
            beds = [_guarded(lambda: compose(brief, out, overwrite=force, progress=say))]
    lines = [line for bed in beds for line in _bed_lines(bed)]
    docs = [_bed_doc(bed) for bed in beds]
    _report(None, json_out, lines, [], docs[0] if len(docs) == 1 else docs)
    raise typer.Exit(EXIT_FAIL if any(bed.verdict == "fail" for bed in beds) else EXIT_OK)


@app.command()
def ideas(
    kind: Annotated[str, typer.Argument(help="The part: chords, melody, drums or bass.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="MIDI file to write (.mid).", show_default=False)],
    key: KeyOpt = None,
    bars: Annotated[int, typer.Option("--bars", help="Bars of music (1-64).")] = 8,
    mood: MoodOpt = "uplifting",
    genre: GenreOpt = "pop",
    bpm: BpmOpt = None,
    seed: SeedOpt = 0,
    force: ForceOpt = False,
) -> None:
    """A quick MIDI idea (chords, melody, drums or bass) from the same models as create, for your DAW."""
    from .create.ideas import write_idea

    path = _guarded(lambda: write_idea(kind, output, key=key, bars=bars, mood=mood, genre=genre, bpm=bpm, seed=seed,
                                       overwrite=force))
    err.print(f"wrote {path}: {bars} bars of {kind}", highlight=False)
