"""Exports of a rights record: split sheets, cue sheet rows, ingestion sheet, AI disclosure JSON,
lyric sheet, and the atomic writer. Everything parses back with csv/json."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from types import SimpleNamespace

import pytest

from syncready.errors import UsageError
from syncready.rights.exports import (COLUMNS, EXPORTS, Version, cue_sheet_csv, disclosure, disclosure_json,
                                      ingestion_tsv, lyric_sheet_html, lyric_sheet_text, split_sheet_csv,
                                      split_sheet_html, write)
from syncready.rights.exports.splits import HEADER as SPLIT_HEADER
from syncready.rights.record import Record

ANALYSIS = SimpleNamespace(source=SimpleNamespace(duration_s=150.4),
                           music=SimpleNamespace(tempo_bpm=99.6, key="A minor", meter=4))


def song(writers=(("Zoë Writer", "lyricist", 50.0), ("Bo Maker", "composer", 50.0)), **extra) -> Record:
    ipis = ["00000000199", "12345678993"]
    data = {
        "work": {"title": 'Neon "Rain", Pt. 1', "iswc": "T-034.524.680-1",
                 "lyrics": {"text": "Verse <one>\n\nChorus & more\n", "origin": "human"},
                 "writers": [{"name": n, "role": r, "share": s, "pro": "PRS", "ipi": i}
                             for (n, r, s), i in zip(writers, ipis)],
                 "publishers": [{"name": "Ada Music", "ipi": "98765432174", "pro": "PRS", "share": 100}]},
        "master": {"owners": [{"name": "Zoë Writer", "share": 60}, {"name": "Label", "share": 40}],
                   "isrc": {"main": "GBXYZ2600001", "instrumental": "GBXYZ2600002"}},
        "generation": {"service": "Suno", "model": "v4.5", "plan": "Pro", "date": dt.date(2026, 9, 1),
                       "terms_version": "2026-07"},
        "contributions": [{"element": "lyrics", "origin": "human"}, {"element": "melody", "origin": "ai"},
                          {"element": "instruments", "origin": "ai"}, {"element": "lead_vocal", "origin": "human"},
                          {"element": "mix", "origin": "ai_then_human_modified"}],
    }
    return Record.model_validate({**data, **extra})


def rows(text: str, delimiter: str = ",") -> list[list[str]]:
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting))


def test_split_sheet_csv_parses_back_one_row_per_party():
    table = rows(split_sheet_csv(song()))
    assert table[0] == list(SPLIT_HEADER)
    assert [r[0] for r in table[1:]] == ["writers", "writers", "publishers", "master_owners", "master_owners"]
    assert table[1] == ["writers", "Zoë Writer", "lyricist", "00000000199", "", "PRS", "50"]
    assert table[4][1:] == ["Zoë Writer", "master_owner", "", "", "", "60"]


def test_split_sheet_html_escapes_names_and_totals_ledgers():
    page = split_sheet_html(song(writers=(("<script>alert(1)</script>", "lyricist", 50.0), ("Bo", "composer", 40.0))))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Neon &quot;Rain&quot;, Pt. 1" in page
    assert '<td class="num bad">90 (must be 100)</td>' in page
    assert page.count('<tr class="total"><td colspan=5>Total</td><td class=num>100</td>') == 2  # publishers, owners
    assert page.count('<div class="sign">') == 5 and page.count("<span>Date</span>") == 5
    assert "<link" not in page and "<script" not in page  # self-contained and script-free


def test_cue_sheet_rows_one_per_party_with_codes_and_duration():
    table = rows(cue_sheet_csv(song(), duration_s=150.4))
    assert table[0] == ["cue_no", "cue_title", "usage", "duration", "role", "name", "pro", "ipi", "share"]
    assert [r[4:] for r in table[1:]] == [["A", "Zoë Writer", "PRS", "00000000199", "50"],
                                        ["C", "Bo Maker", "PRS", "12345678993", "50"],
                                        ["E", "Ada Music", "PRS", "98765432174", "100"]]
    assert {tuple(r[:4]) for r in table[1:]} == {("1", 'Neon "Rain", Pt. 1', "BV", "02:30")}


def test_cue_sheet_usage_duration_sources_and_errors():
    instrumental = song(work={"title": "Bed", "writers": [{"name": "A", "role": "composer_lyricist", "share": 100}]},
                        contributions=[{"element": "melody", "origin": "ai"}])
    table = rows(cue_sheet_csv(instrumental, analysis=SimpleNamespace(source=SimpleNamespace(duration_s=3601.6))))
    assert table[1] == ["1", "Bed", "BI", "60:02", "CA", "A", "", "", "100"]
    assert rows(cue_sheet_csv(song(), usage="mt", duration_s=30, cue_no=7))[1][:4] == ["7", 'Neon "Rain", Pt. 1', "MT", "00:30"]
    with pytest.raises(UsageError, match="unknown cue usage 'XX'"):
        cue_sheet_csv(song(), usage="XX", duration_s=30)
    with pytest.raises(UsageError, match="no duration"):
        cue_sheet_csv(song())
    nobody = Record.model_validate({"work": {"title": "Solo"}})
    assert rows(cue_sheet_csv(nobody, duration_s=5))[1] == ["1", "Solo", "BI", "00:05", "", "", "", "", ""]


def test_ingestion_sheet_has_one_row_per_version():
    versions = [Version("main", "neon-rain.wav", 150.4), Version("instrumental", "neon-rain_inst.wav", 150.4, True),
                Version("cut30", "neon-rain_30.wav", 30.0)]
    text = ingestion_tsv(song(), versions, analysis=ANALYSIS, genre="Synth-pop", mood="Dreamy\tnight",
                         description="Line one\nline two")
    table = rows(text, "\t")
    assert table[0] == list(COLUMNS) and len(table) == 4
    got = [dict(zip(COLUMNS, r)) for r in table[1:]]
    assert [g["Version"] for g in got] == ["main", "instrumental", "cut30"]
    assert [g["ISRC"] for g in got] == ["GBXYZ2600001", "GBXYZ2600002", ""]
    assert [(g["Instrumental"], g["Vocals"]) for g in got] == [("N", "Y"), ("Y", "N"), ("N", "Y")]
    main = got[0]
    assert (main["Duration"], main["BPM"], main["Key"], main["Meter"]) == ("02:30", "100", "A minor", "4/4")
    assert main["Composers"] == "Zoë Writer (50%); Bo Maker (50%)"
    assert main["Composer IPI"] == "00000000199; 12345678993" and main["Publisher PRO"] == "PRS"
    assert main["Mood"] == "Dreamy night" and main["Description"] == "Line one line two"
    assert main["AI Disclosure"] == song().disclosure_summary() and main["ISWC"] == "T-034.524.680-1"


def test_ingestion_sheet_defaults_to_the_recorded_audio():
    record = song(audio={"path": "audio/neon-rain.wav"})
    table = rows(ingestion_tsv(record, analysis=ANALYSIS), "\t")
    assert len(table) == 2
    row = dict(zip(COLUMNS, table[1]))
    assert (row["Version"], row["File Name"], row["Duration"]) == ("main", "neon-rain.wav", "02:30")
    assert rows(ingestion_tsv(record), "\t")[1][COLUMNS.index("BPM")] == ""


def test_disclosure_json_follows_its_documented_schema():
    data = json.loads(disclosure_json(song()))
    assert set(data) == {"schema", "schema_version", "title", "iswc", "isrc", "classification", "summary",
                         "generator", "categories"}
    assert (data["schema"], data["schema_version"], data["classification"]) == ("syncready/ai-disclosure", 1, "hybrid")
    assert data["generator"] == {"service": "Suno", "model": "v4.5", "plan": "Pro", "date": "2026-09-01",
                                 "terms_version": "2026-07"}
    cats = data["categories"]
    assert list(cats) == ["composition_lyrics", "vocals", "instrumentation", "post_production"]
    assert all(set(c) == {"ai", "elements"} for c in cats.values())
    assert cats["composition_lyrics"] == {"ai": "partial", "elements": {"lyrics": "human", "melody": "ai"}}
    assert cats["vocals"]["ai"] == "none" and cats["instrumentation"]["ai"] == "full"
    assert cats["post_production"] == {"ai": "partial", "elements": {"mix": "ai_then_human_modified"}}
    bare = disclosure(Record.model_validate({"work": {"title": "X"}}))
    assert bare["generator"] is None and {c["ai"] for c in bare["categories"].values()} == {"not_recorded"}


def test_lyric_sheet_text_and_html():
    text = lyric_sheet_text(song())
    assert text.splitlines()[:5] == ['Neon "Rain", Pt. 1', "Words by: Zoë Writer", "Music by: Bo Maker",
                                     "Lyrics: written by people", ""]
    assert text.endswith("Verse <one>\n\nChorus & more\n")
    page = lyric_sheet_html(song(contributions=[{"element": "lyrics", "origin": "ai_then_human_modified"}]))
    assert "Lyrics: generated by Suno v4.5, then edited by people" in page
    assert '<div class="lyrics">Verse &lt;one&gt;\n\nChorus &amp; more</div>' in page
    with pytest.raises(UsageError, match="no lyrics"):
        lyric_sheet_text(Record.model_validate({"work": {"title": "X"}}))


def test_write_renders_by_name_atomically_in_utf8(tmp_path):
    path = write("split-sheet-csv", song(), tmp_path / "out" / "splits.csv")
    assert path.read_bytes().decode("utf-8") == split_sheet_csv(song())  # UTF-8, CRLF rows kept
    write("cue-sheet-csv", song(), tmp_path / "cue.csv", usage="BI", duration_s=12)
    assert rows((tmp_path / "cue.csv").read_text(encoding="utf-8"))[1][2:4] == ["BI", "00:12"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cue.csv", "out"]
    assert set(EXPORTS) >= {"split-sheet-html", "ingestion-tsv", "disclosure-json", "lyric-sheet-txt"}
    with pytest.raises(UsageError, match="unknown export"):
        write("pdf", song(), tmp_path / "x.pdf")
    with pytest.raises(UsageError, match="is an input file"):
        write("lyric-sheet-txt", song(), tmp_path / "cue.csv", protect=[tmp_path / "cue.csv"])
