"""Advice on rights records: classification, release paths, dated plan facts, rules files and
the copyright-registration draft. Records are built in code; evidence files in tmp_path."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from importlib import resources

import pytest
from conftest import sine, write_wav

from syncready.errors import UsageError
from syncready.jsonable import to_jsonable
from syncready.rights import rules as rules_mod
from syncready.rights.advice import advise, classify
from syncready.rights.record import Record

TODAY = dt.date(2026, 11, 21)
MUSICAL = ("lyrics", "melody", "harmony", "arrangement", "lead_vocal", "backing_vocals", "instruments")
IPI = ["00000000199", "12345678993", "98765432174", "55555555533"]


def contributions(**origins) -> list[dict]:
    return [{"element": e, "origin": o} for e, o in origins.items()]


def all_ai(plan: str, **extra) -> Record:
    data = {"work": {"title": "Neon Rain"},
            "generation": {"service": "Suno", "model": "v4.5", "plan": plan, "date": dt.date(2026, 9, 1)},
            "contributions": contributions(lyrics="ai", melody="ai", harmony="ai", arrangement="ai",
                                           lead_vocal="ai", instruments="ai")}
    return Record.model_validate({**data, **extra})


def evidence(folder, name: str, text: str) -> dict:
    (folder / name).write_text(text, encoding="utf-8")
    return {"path": name, "sha256": hashlib.sha256(text.encode()).hexdigest(), "date": dt.date(2026, 8, 20)}


def hybrid(folder, writer_shares=(50, 50)) -> Record:
    """Human lyrics and vocal, a reworked melody, AI harmony and instruments; full splits."""
    write_wav(folder / "neon-rain.wav", sine(440, 1.0, 44100), 44100)
    writers = [{"name": name, "role": role, "ipi": ipi, "pro": "PRS", "share": share}
               for name, role, ipi, share in zip(("Ada Writer", "Bo Maker"), ("lyricist", "composer"), IPI, writer_shares)]
    human = [
        {"element": "lyrics", "origin": "human", "who": "Ada Writer", "description": "wrote every verse and the chorus",
         "evidence": [evidence(folder, "lyrics-draft.txt", "verse one\nchorus\n")]},
        {"element": "melody", "origin": "ai_then_human_modified", "who": "Bo Maker",
         "description": "rewrote the chorus melody", "evidence": [evidence(folder, "melody.mid.txt", "C D E")]},
        {"element": "arrangement", "origin": "human_with_ai_assist", "who": "Bo Maker",
         "description": "chose and ordered the generated sections", "evidence": [evidence(folder, "session.txt", "daw")]},
        {"element": "lead_vocal", "origin": "human", "who": "Ada Writer",
         "evidence": [evidence(folder, "vocal-take.txt", "take 3")]},
    ]
    return Record.model_validate({
        "work": {"title": "Neon Rain", "writers": writers, "lyrics": {"text": "verse one\nchorus", "origin": "human"},
                 "publishers": [{"name": "Ada Music", "ipi": IPI[2], "pro": "PRS", "share": 100}]},
        "master": {"owners": [{"name": "Ada Writer", "share": 100}], "isrc": {"main": "GB-XYZ-26-00001"}},
        "generation": {"service": "Suno", "model": "v4.5", "plan": "pro", "date": dt.date(2026, 9, 1),
                       "terms_version": "2026-07", "terms_evidence": evidence(folder, "terms.txt", "Suno terms")},
        "contributions": human + contributions(harmony="ai", instruments="ai"),
        "audio": {"path": "neon-rain.wav"},
    })


def test_free_plan_ai_track_is_demo_only():
    advice = advise(all_ai("Free"), stems_present=True, today=TODAY)
    assert advice.classification.label == "ai_generated"
    assert advice.ready_for == ["demo"]
    assert advice.terms.status == "known" and advice.terms.commercial_use is False
    for path in ("content", "streaming", "sync"):
        assert any("Free plan's terms exclude commercial use" in r for r in advice.paths[path].reasons)
    assert advice.rules_version == "2026-11" and advice.rules_effective == "2026-11-01"
    assert "not legal advice" in advice.disclaimer.lower()


def test_pro_plan_ai_track_with_disclosure_is_ready_for_content_and_streaming_not_sync():
    record = all_ai("Pro", master={"isrc": {"main": "GBXYZ2600001"}})
    advice = advise(record, stems_present=False, today=TODAY)
    assert advice.ready_for == ["demo", "content", "streaming"]
    sync = advice.paths["sync"]
    assert not sync.ready
    assert any(r.startswith("no human authorship") for r in sync.reasons)
    assert "no stems" in sync.reasons
    assert any("no writers" in r for r in sync.reasons)
    assert advice.registration.author_created == ""
    assert "AI-generated lyrics, melody, harmony, arrangement, lead vocal and instruments (Suno v4.5)" \
        == advice.registration.material_excluded


def test_hybrid_track_with_evidence_splits_and_stems_is_sync_ready(tmp_path):
    advice = advise(hybrid(tmp_path), base=tmp_path, stems_present=True, today=TODAY)
    assert advice.classification.label == "hybrid"
    assert advice.ready_for == ["demo", "content", "streaming", "sync"], advice.paths["sync"].reasons
    assert advice.paths["sync"].todo == ["register the work with your PRO and record its ISWC (work.iswc)"]
    reg = advice.registration
    assert reg.author_created.startswith("lyrics (wrote every verse and the chorus); "
                                         "human modification of AI-generated melody (rewrote the chorus melody)")
    assert "selection and arrangement of AI-generated material (chose and ordered the generated sections)" in reg.author_created
    assert "AI-generated harmony and instruments (Suno v4.5)" in reg.material_excluded
    assert "first versions of the melody" in reg.material_excluded
    assert "Prompts alone are not authorship" in reg.note


def test_human_track_needs_no_generator_terms_but_evidence_for_sync():
    record = Record.model_validate({"work": {"title": "Song"}, "contributions": contributions(
        lyrics="human", melody="human", harmony="human", instruments="human", mix="human")})
    advice = advise(record, stems_present=True, duration_s=120.0, today=TODAY)
    assert advice.classification.label == "human"
    assert advice.terms.status == "not_applicable"
    assert advice.ready_for == ["demo", "content", "streaming"]
    assert "no evidence for the human-made lyrics" in advice.paths["sync"].reasons
    assert advice.registration.material_excluded == "none"
    assert advice.registration.author_created == "lyrics; melody; harmony; instruments; mix"
    assert "No AI material" in advice.registration.note


def test_writer_split_of_90_percent_blocks_sync_and_names_it(tmp_path):
    advice = advise(hybrid(tmp_path, writer_shares=(50, 40)), base=tmp_path, stems_present=True, today=TODAY)
    assert advice.ready_for == ["demo", "content", "streaming"]
    assert advice.paths["sync"].reasons == ["writer split sums to 90%, not 100%"]


def test_changed_or_missing_evidence_and_unknown_stems_block_sync(tmp_path):
    record = hybrid(tmp_path)
    (tmp_path / "lyrics-draft.txt").write_text("edited later", encoding="utf-8")
    (tmp_path / "session.txt").unlink()
    reasons = advise(record, base=tmp_path, today=TODAY).paths["sync"].reasons
    assert any(r.startswith("evidence for the lyrics:") and "changed" in r for r in reasons)
    assert any(r.startswith("evidence for the arrangement:") and "not there" in r for r in reasons)
    assert "stems not checked" in reasons


def test_writers_without_ipi_or_pro_are_named(tmp_path):
    record = hybrid(tmp_path)
    record.work.writers[1].pro = None
    sync = advise(record, base=tmp_path, stems_present=True, today=TODAY).paths["sync"]
    assert sync.reasons == ["writers or publishers without IPI/PRO: Bo Maker"]


@pytest.mark.parametrize(("generation", "status", "words"), [
    ({"service": "Suno", "date": dt.date(2026, 9, 1)}, "no_plan", "no plan is recorded for Suno"),
    ({"service": "Suno", "plan": "Pro"}, "no_generation_date", "no generation date"),
    ({"service": "Muzak AI", "plan": "Gold", "date": dt.date(2026, 9, 1)}, "unknown_terms",
     "the terms of Muzak AI Gold on 2026-09-01 are unknown"),
])
def test_unknown_terms_mean_demo_only(generation, status, words):
    record = all_ai("Pro", generation=generation)
    advice = advise(record, stems_present=True, today=TODAY)
    assert advice.terms.status == status
    assert advice.ready_for == ["demo"]
    assert any(words in r for r in advice.paths["content"].reasons)


def test_ai_without_generator_or_disclosure():
    no_generator = Record.model_validate({"work": {"title": "X"}, "contributions": contributions(melody="ai")})
    advice = advise(no_generator, today=TODAY)
    assert advice.ready_for == ["demo"] and advice.terms.status == "no_generator"
    nothing = Record.model_validate({"work": {"title": "X"}})
    advice = advise(nothing, today=TODAY)
    assert advice.classification.label == "unknown" and advice.ready_for == ["demo"]
    assert any("no AI disclosure recorded" in r for r in advice.paths["content"].reasons)


@pytest.mark.parametrize(("origins", "label"), [
    ({"lyrics": "human", "melody": "human_with_ai_assist", "harmony": "human", "mix": "ai"}, "ai_assisted"),
    ({"lyrics": "human", "melody": "ai_then_human_modified", "harmony": "ai_then_human_modified"}, "hybrid"),
    ({"lyrics": "human", "instruments": "ai"}, "hybrid"),
    ({"melody": "ai", "instruments": "ai", "mix": "human"}, "ai_generated"),
    ({"mix": "ai"}, "unknown"),
])
def test_classification_rule(origins, label):
    record = Record.model_validate({"work": {"title": "X"}, "contributions": contributions(**origins)})
    assert classify(record, MUSICAL).label == label


def test_generator_without_contributions_is_assumed_ai_generated_and_human_with_generator_is_assisted():
    bare = all_ai("Pro", contributions=[])
    assert classify(bare, MUSICAL).label == "ai_generated"
    assert advise(bare, today=TODAY).registration.material_excluded == \
        "all material, as generated by Suno v4.5 (no element is recorded)"
    assert classify(all_ai("Pro", contributions=contributions(lyrics="human")), MUSICAL).label == "ai_assisted"


def test_element_origins_prefers_the_most_ai_involved_and_falls_back_to_work_lyrics():
    record = Record.model_validate({"work": {"title": "X", "lyrics": {"text": "la", "origin": "ai"}},
                                    "contributions": [{"element": "melody", "origin": "ai"},
                                                      {"element": "melody", "origin": "human"}]})
    assert record.origins() == {"lyrics": "ai", "melody": "ai"}


def shipped_rules_text() -> str:
    return (resources.files("syncready.rights.rules") / "2026-11.toml").read_text(encoding="utf-8")


def test_generation_date_picks_the_plan_facts_in_force(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(shipped_rules_text() + """
[[terms]]
service = "Acme Tunes"
plans = ["starter"]
until = 2026-03-01
commercial_use = true
output_owner = "user"
note = "before the change"

[[terms]]
service = "Acme Tunes"
plans = ["Starter"]
from = 2026-03-01
commercial_use = false
output_owner = "service"
note = "after the change"
""", encoding="utf-8")
    before = all_ai("STARTER", generation={"service": "acme-tunes", "plan": "Starter", "date": dt.date(2026, 2, 10)})
    after = all_ai("Starter", generation={"service": "Acme Tunes", "plan": "Starter", "date": dt.date(2026, 3, 1)})
    old = advise(before, rules=path, today=TODAY)
    assert old.terms.commercial_use is True and old.terms.valid_until == "2026-03-01"
    assert "content" in old.ready_for and old.rules_source == str(path)
    new = advise(after, rules=path, today=TODAY)
    assert new.terms.note == "after the change" and new.ready_for == ["demo"]


def test_generation_after_the_rules_effective_date_is_noted():
    record = all_ai("Pro", generation={"service": "Suno", "plan": "Pro", "date": dt.date(2026, 11, 10)})
    notes = advise(record, today=TODAY).notes
    assert any("after the rules' effective date (2026-11-01)" in n for n in notes)


@pytest.mark.parametrize(("edit", "words"), [
    (lambda t: t.replace('version = "2026-11"', 'version = "2026-11'), "not valid TOML"),
    (lambda t: "colour = 1\n" + t, "colour: unknown field"),
    (lambda t: t.replace('reason = "no stems"', 'reason = "no {stem"'), "messages.no_stems.reason: expected '}'"),
    (lambda t: t.replace('"stems", "cue_data"', '"stemz", "cue_data"'), "unknown requirement 'stemz'"),
    (lambda t: t.replace('reason = "no stems"', 'reason = "no {stem}"'), "unknown placeholder {stem}"),
    (lambda t: t.replace('[messages.no_stems]\nreason = "no stems"\ntodo = ', '[messages.no_stems]\nreason = "no stems"\n#'),
     "messages.no_stems.todo: required field is missing"),
    (lambda t: t.replace('[paths.demo]', '[paths.radio]'), "paths.radio"),
    (lambda t: t.replace("commercial_use = false", 'commercial_use = "no"', 1), "terms.0.commercial_use"),
    (lambda t: t + '\n[[terms]]\nservice = "suno"\nplans = ["pro"]\nfrom = 2026-01-01\ncommercial_use = true\n'
                   'output_owner = "user"\n', "two entries for suno pro overlap"),
])
def test_malformed_rules_are_one_line_usage_errors(tmp_path, edit, words):
    path = tmp_path / "bad.toml"
    path.write_text(edit(shipped_rules_text()), encoding="utf-8")
    with pytest.raises(UsageError) as info:
        advise(all_ai("Pro"), rules=path, today=TODAY)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path)) and words in message, message


def test_missing_rules_file_and_shipped_editions():
    assert rules_mod.available() == ["2026-11"]
    with pytest.raises(UsageError, match="cannot read the rules file"):
        rules_mod.load("nowhere/rules.toml")


def test_advice_is_json_ready(tmp_path):
    data = json.loads(json.dumps(to_jsonable(advise(hybrid(tmp_path), base=tmp_path, today=TODAY))))
    assert set(data) == {"title", "classification", "terms", "paths", "ready_for", "registration", "issues",
                         "notes", "rules_version", "rules_effective", "rules_source", "disclaimer"}
    assert list(data["paths"]) == ["demo", "content", "streaming", "sync"]
    assert set(data["paths"]["sync"]) == {"ready", "reasons", "todo"}
