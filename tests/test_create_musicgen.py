"""`syncready create --model DIR --prompt TEXT`: a local MusicGen model's audio through fix, check
and the rights record. The model is tiny and randomly initialised (built here with transformers'
config classes and saved to a temporary folder): no weights ship, nothing is downloaded. Its
audio is noise, so the clip is 12 s at 8 kHz: fix's ending searches the last 8 s before the cut
for an attack at least 2 s in, which a shorter noise clip does not have."""

from __future__ import annotations

import json
import sys
import tomllib

import pytest
from typer.testing import CliRunner

from syncready import audio
from syncready.checks import profile as profiles
from syncready.cli import app
from syncready.digest import file_sha256

transformers = pytest.importorskip("transformers", reason="the MusicGen adapter needs transformers (pip install 'syncready[musicgen]')")

runner = CliRunner()
PROMPT = "calm piano, slow"
LENGTH = "12"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A randomly initialised MusicGen of a few thousand weights: 8 kHz, 25 token frames a second."""
    import torch

    torch.manual_seed(0)
    words = "▁calm ▁piano ▁slow ▁tense ▁drums ▁music ▁a ,".split()
    tokenizer = transformers.T5Tokenizer(vocab=[("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(w, -1.0) for w in words],
                                         extra_ids=0)
    config = transformers.MusicgenConfig(
        text_encoder=transformers.T5Config(vocab_size=len(tokenizer), d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2),
        audio_encoder=transformers.EncodecConfig(sampling_rate=8000, hidden_size=8, num_filters=4, upsampling_ratios=[8, 8, 5],
                                                 codebook_size=32, codebook_dim=8, target_bandwidths=[1.0], num_lstm_layers=1),
        decoder=transformers.MusicgenDecoderConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                                   ffn_dim=32, num_codebooks=2, pad_token_id=32, bos_token_id=32,
                                                   max_position_embeddings=512))
    folder = tmp_path_factory.mktemp("models") / "tiny-musicgen"
    transformers.MusicgenForConditionalGeneration(config).save_pretrained(folder)
    processor = transformers.MusicgenProcessor(feature_extractor=transformers.EncodecFeatureExtractor(sampling_rate=8000),
                                               tokenizer=tokenizer)
    processor.save_pretrained(folder)
    return folder


def generate(*args: str):
    return runner.invoke(app, ["create", *args])


def test_generated_audio_goes_through_fix_check_and_rights(tiny_model, tmp_path):
    out = tmp_path / "gen"
    result = generate("--model", str(tiny_model), "--prompt", PROMPT, "--length", LENGTH, "--seed", "3",
                      "-o", str(out), "--json", "-")
    assert "Traceback" not in result.output
    report = json.loads((out / "check.json").read_text())
    verdict = report["after"]["verdict"]
    assert result.exit_code == (1 if verdict == "fail" else 0), result.output
    assert sorted(p.name for p in out.iterdir()) == ["check.json", "generated-fixed.wav", "generated.wav",
                                                     "tiny-musicgen-seed-3.rights.toml"]
    raw = audio.load(out / "generated.wav")
    assert raw.sample_rate == 8000 and raw.frames == 12 * 8000  # the model's rate, cut to the length asked
    # fix ran: the abrupt cut got an ending and the master wrote the profile's delivery format
    steps = [s["step"] for s in report["steps"]]
    assert steps[0] == "end" and steps[-1] == "master", steps
    assert report["before"]["verdict"] == "fail" and "timing.hard_stop" in {
        f["check"] for f in report["before"]["findings"] if f["severity"] == "fail"}
    prof = profiles.load("sync-library")
    fixed = audio.load(out / "generated-fixed.wav")
    assert (fixed.sample_rate, fixed.source.bit_depth) == (prof.delivery.sample_rate, prof.delivery.bit_depth)
    assert report["after"]["profile"] == "sync-library" and report["output"] == "generated-fixed.wav"
    record = tomllib.loads((out / "tiny-musicgen-seed-3.rights.toml").read_text())
    assert record["generation"]["service"] == "tiny-musicgen" and record["generation"]["plan"] == "local weights"
    assert record["generation"]["prompts"] == [PROMPT] and record["generation"]["job_id"] == "seed-3"
    assert record["audio"] == {**record["audio"], "path": "generated-fixed.wav",
                               "sha256": file_sha256(out / "generated-fixed.wav")}
    assert {c["origin"] for c in record["contributions"]} == {"ai"}
    doc = json.loads(result.stdout)
    assert doc["model"] == "tiny-musicgen" and doc["verdict"] == verdict and doc["steps"][-1]["step"] == "master"


def one_line_error(result, *says: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = " ".join(result.output.split())
    for text in says:
        assert text in message, message


def test_a_folder_that_is_not_musicgen_exits_2(tmp_path):
    other = tmp_path / "bert"
    other.mkdir()
    (other / "config.json").write_text('{"model_type": "bert"}')
    one_line_error(generate("--model", str(other), "--prompt", PROMPT, "-o", str(tmp_path / "out")),
                   "not a MusicGen model", "'bert'")
    one_line_error(generate("--model", str(tmp_path / "missing"), "--prompt", PROMPT, "-o", str(tmp_path / "out")),
                   "not a folder")
    (other / "config.json").write_text('{"model_type": "musicgen"}')  # claims MusicGen, holds no weights
    one_line_error(generate("--model", str(other), "--prompt", PROMPT, "-o", str(tmp_path / "out")),
                   "could not be loaded")
    assert not (tmp_path / "out").exists()


def test_model_and_prompt_go_together_and_refuse_the_brief(tiny_model, tmp_path):
    out = str(tmp_path / "out")
    one_line_error(generate("--model", str(tiny_model), "-o", out), "--model DIR and --prompt TEXT go together")
    one_line_error(generate("--prompt", PROMPT, "-o", out), "--model DIR and --prompt TEXT go together")
    one_line_error(generate("--model", str(tiny_model), "--prompt", PROMPT, "--mood", "calm", "--bpm", "90", "-o", out),
                   "--mood, --bpm belong to a composed bed")
    one_line_error(generate("--model", str(tiny_model), "--prompt", " ", "-o", out), "--prompt is empty")
    one_line_error(generate("--model", str(tiny_model), "--prompt", PROMPT, "--length", "100", "-o", out),
                   "more than this model makes at once", "ask for 20 s or less")
    assert not (tmp_path / "out").exists()


def test_an_existing_output_is_kept_without_force(tiny_model, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    one_line_error(generate("--model", str(tiny_model), "--prompt", PROMPT, "-o", str(out)), "already exists", "--force")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_without_transformers_it_says_which_extra_to_install(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers now raises ImportError
    one_line_error(generate("--model", str(tiny_model), "--prompt", PROMPT, "-o", str(tmp_path / "out")),
                   "pip install 'syncready[musicgen]'")
