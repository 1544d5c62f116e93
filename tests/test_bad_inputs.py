"""The bad-input matrix of docs/bad-inputs.md: every row is a case here, with the message it must give
(naming the file or clip), the CLI's exit code, and in a batch the good items still going through.
The Space's rows are in test_space.py; interrupted training in test_training.py."""

from __future__ import annotations

import json
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from helpers import require_binary, synthetic_speech

import ser_hf
from ser_hf.cli import main as cli

REPO = Path(__file__).resolve().parents[1]
GOOD = synthetic_speech(2.0, seed=11)


# ------------------------------------------------------------------ files through `ser-hf predict`


def _write(path: Path, kind: str) -> Path:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is a text file, not audio\n")
    elif kind == "truncated":
        sf.write(path, synthetic_speech(3.0), 16000)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "header_only":
        sf.write(path, synthetic_speech(3.0), 16000)
        path.write_bytes(path.read_bytes()[:30])
    elif kind == "bad_wav_header":  # RIFF/WAVE with a broken fmt chunk (a codec soundfile cannot parse)
        data = np.random.default_rng(0).bytes(4000)
        fmt = struct.pack("<HHIIHH", 0x0055, 1, 16000, 2000, 1, 0)
        path.write_bytes(
            b"RIFF"
            + struct.pack("<I", 20 + len(fmt) + len(data))
            + b"WAVE"
            + b"fmt "
            + struct.pack("<I", len(fmt))
            + fmt
            + b"data"
            + struct.pack("<I", len(data))
            + data
        )
    elif kind == "silence":
        sf.write(path, np.zeros(32000, np.float32), 16000)
    elif kind == "shorter_than_a_window":
        sf.write(path, synthetic_speech(2.0)[:100], 16000)
    elif kind == "nan":
        samples = synthetic_speech(2.0)
        samples[500] = np.nan
        sf.write(path, samples, 16000, subtype="FLOAT")
    elif kind == "folder":
        path.mkdir()
    return path


FILE_CASES = [  # (case id, file name, kind, expected message)
    ("empty-file", "empty.wav", "empty", "not a readable audio file"),
    ("text-named-wav", "notes.wav", "text", "not a readable audio file"),
    ("truncated-flac", "cut.flac", "truncated", "not a readable audio file"),
    ("flac-header-only", "head.flac", "header_only", "not a readable audio file"),
    ("broken-wav-header", "codec.wav", "bad_wav_header", "not a readable audio file"),
    ("silence-only", "silence.wav", "silence", "silent"),
    ("shorter-than-a-window", "blip.wav", "shorter_than_a_window", "too short"),
    ("nan-samples", "nan.wav", "nan", "NaN or Inf"),
    ("missing-file", "missing.wav", None, "no such file"),
    ("folder-as-file", "adir.wav", "folder", "is a folder"),
]


@pytest.mark.parametrize("case,name,kind,message", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_predict_names_the_bad_file_and_still_predicts_the_good_one(
    case, name, kind, message, model_dirs, tmp_path, capsys
):
    good = tmp_path / "good.wav"
    sf.write(good, GOOD, 16000)
    bad = tmp_path / name
    if kind:
        _write(bad, kind)
    assert cli(["predict", str(bad), str(good), "--model", str(model_dirs[1]), "--json"]) == 1
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    assert results[0]["file"] == str(bad) and message in results[0]["error"] and str(bad) in results[0]["error"]
    assert results[1]["label"] in results[1]["scores"]  # the good file still went through
    assert f"error: {bad}" in captured.err and "Traceback" not in captured.err


def test_unsupported_codec_gets_a_conversion_hint(model_dirs, tmp_path, capsys):
    """An AAC .m4a (what phones record). Needs the system binary ffmpeg to make it; CI installs it."""
    ffmpeg = require_binary("ffmpeg")
    import subprocess

    wav, m4a = tmp_path / "src.wav", tmp_path / "phone.m4a"
    sf.write(wav, GOOD, 16000)
    subprocess.run([ffmpeg, "-loglevel", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True)
    assert cli(["predict", str(m4a), "--model", str(model_dirs[1])]) == 1
    err = capsys.readouterr().err
    assert f"{m4a}: not a readable audio file" in err and "convert it to WAV or FLAC" in err


UNUSUAL_BUT_VALID = [  # (case id, rate, channels, subtype, transform)
    ("8-khz", 8000, 1, "PCM_16", None),
    ("96-khz", 96000, 1, "PCM_24", None),
    ("stereo", 16000, 2, "PCM_16", None),
    ("six-channels", 16000, 6, "PCM_16", None),
    ("clipping", 16000, 1, "PCM_16", lambda x: np.clip(40 * x, -1, 1)),
    ("int32-pcm", 44100, 1, "PCM_32", None),
]


@pytest.mark.parametrize(
    "case,rate,channels,subtype,transform", UNUSUAL_BUT_VALID, ids=[c[0] for c in UNUSUAL_BUT_VALID]
)
def test_unusual_but_valid_files_are_predicted(case, rate, channels, subtype, transform, model_dirs, tmp_path, capsys):
    samples = synthetic_speech(2.0, sampling_rate=rate, seed=4)
    samples = transform(samples) if transform else samples
    path = tmp_path / f"{case}.wav"
    sf.write(path, np.stack([samples] * channels, 1) if channels > 1 else samples, rate, subtype=subtype)
    assert cli(["predict", str(path), "--model", str(model_dirs[2]), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)[0]
    assert sum(result["scores"].values()) == pytest.approx(1.0, abs=1e-4)


# ------------------------------------------------------------------ arrays: feature extractor, model, pipeline

ARRAY_CASES = [  # (case id, audio, error type, message)
    ("zero-length-array", np.zeros(0, np.float32), ValueError, "empty (0 samples)"),
    ("array-shorter-than-a-window", np.ones(100, np.float32) * 0.1, ValueError, "too short"),
    ("all-zero-array", np.zeros(16000, np.float32), ValueError, "silent"),
    ("nan-array", np.array([0.1, np.nan] * 8000, np.float32), ValueError, "NaN or Inf"),
    ("inf-array", np.array([0.1, np.inf] * 8000, np.float32), ValueError, "NaN or Inf"),
    ("stereo-2d-array", np.stack([GOOD, GOOD]), ValueError, "average the channels"),
    ("text-array", np.array(["a", "b"] * 400), TypeError, "hold numbers"),
]


@pytest.mark.parametrize("case,audio,error,message", ARRAY_CASES, ids=[c[0] for c in ARRAY_CASES])
def test_feature_extractor_refuses_bad_arrays(case, audio, error, message):
    with pytest.raises(error, match=re.escape(message)):
        ser_hf.SerFeatureExtractor()(audio, sampling_rate=16000)


@pytest.mark.parametrize("dtype", [np.int16, np.int32], ids=["int16-array", "int32-array"])
def test_integer_arrays_are_scaled_to_float(dtype):
    extractor = ser_hf.SerFeatureExtractor()
    as_int = (GOOD * np.iinfo(dtype).max).astype(dtype)
    a = extractor(as_int, sampling_rate=16000)["input_values"]
    b = extractor(as_int.astype(np.float32) / np.iinfo(dtype).max, sampling_rate=16000)["input_values"]
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_wrong_sampling_rate_array_is_refused():
    with pytest.raises(ValueError, match="trained with audio sampled at 16000 Hz, but the audio was given at 8000 Hz"):
        ser_hf.SerFeatureExtractor()(GOOD, sampling_rate=8000)


def test_the_bad_clip_of_a_batch_is_named():
    with pytest.raises(ValueError, match="Clip 1 of 3 is silent"):
        ser_hf.SerFeatureExtractor()([GOOD, np.zeros(8000, np.float32), GOOD], sampling_rate=16000)


def test_pipeline_resamples_8_khz_and_refuses_silence(model_dirs):
    from transformers import pipeline

    classifier = pipeline("audio-classification", model=str(model_dirs[2]))
    assert len(classifier({"raw": GOOD[::2], "sampling_rate": 8000}, top_k=None)) == 8
    with pytest.raises(ValueError, match="silent"):
        classifier({"raw": np.zeros(16000, np.float32), "sampling_rate": 16000})


MODEL_INPUT_CASES = [
    ("model-input-3d", lambda: {"input_values": torch.zeros(1, 128, 128)}, "input_values must be (batch, chunks"),
    (
        "model-input-wrong-bands",
        lambda: {"input_values": torch.zeros(1, 2, 64, 128)},
        "use the feature extractor saved with the model",
    ),
    (
        "chunk-mask-all-zero",
        lambda: {"input_values": torch.zeros(2, 2, 128, 128), "chunk_mask": torch.tensor([[1, 1], [0, 0]])},
        "every clip needs at least one real chunk",
    ),
]


@pytest.mark.parametrize("case,inputs,message", MODEL_INPUT_CASES, ids=[c[0] for c in MODEL_INPUT_CASES])
def test_models_name_bad_inputs(case, inputs, message):
    model = ser_hf.SerCnnBiLstmAttentionForAudioClassification(ser_hf.SerCnnBiLstmAttentionConfig()).eval()
    with pytest.raises(ValueError, match=re.escape(message)):
        model(**inputs())


# ------------------------------------------------------------------ models that cannot be loaded


def _foreign_model(folder: Path) -> Path:
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

    config = Wav2Vec2Config(
        num_hidden_layers=1,
        hidden_size=32,
        num_attention_heads=2,
        intermediate_size=37,
        conv_dim=(8, 8),
        conv_kernel=(10, 3),
        conv_stride=(5, 2),
        num_labels=8,
    )
    Wav2Vec2ForSequenceClassification(config).save_pretrained(folder)
    return folder


def _damaged(folder: Path, source: Path, what: str) -> Path:
    shutil.copytree(source, folder)
    if what == "weights":
        data = (folder / "model.safetensors").read_bytes()
        (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    elif what == "config":
        (folder / "config.json").write_text("{ not json")
    return folder


LOAD_CASES = [  # (case id, make the --model argument, message)
    ("model-path-missing", lambda tmp, dirs: str(tmp / "no-such-model"), "no such folder"),
    (
        "repo-id-offline",
        lambda tmp, dirs: "someone/not-in-the-cache",
        "could not load the model 'someone/not-in-the-cache'",
    ),
    (
        "truncated-weights",
        lambda tmp, dirs: str(_damaged(tmp / "m", dirs[1], "weights")),
        "weights file is damaged or incomplete",
    ),
    ("invalid-config-json", lambda tmp, dirs: str(_damaged(tmp / "m", dirs[1], "config")), "not a valid JSON file"),
    (
        "config-of-another-model-type",
        lambda tmp, dirs: str(_foreign_model(tmp / "w2v")),
        "holds a 'wav2vec2' model, not a ser-hf model",
    ),
]


@pytest.mark.parametrize("case,make,message", LOAD_CASES, ids=[c[0] for c in LOAD_CASES])
def test_predict_with_a_model_that_cannot_load_exits_2(case, make, message, model_dirs, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    good = tmp_path / "good.wav"
    sf.write(good, GOOD, 16000)
    assert cli(["predict", str(good), "--model", make(tmp_path, model_dirs)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_our_class_refuses_another_model_types_config(tmp_path):
    with pytest.raises(ValueError, match="config of a 'wav2vec2' model, not of a ser-hf model"):
        ser_hf.SerCnnLstmForAudioClassification.from_pretrained(_foreign_model(tmp_path / "w2v"))


# ------------------------------------------------------------------ corpora


def test_a_folder_without_ravdess_names_is_named(tmp_path, capsys):
    (tmp_path / "Actor_01").mkdir()
    sf.write(tmp_path / "Actor_01" / "hello.wav", GOOD, 16000)
    assert cli(["evaluate", "--model", "models/ser-cnn-lstm-ravdess", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "RAVDESS" in err


def test_an_out_of_range_emotion_code_is_reported_and_skipped(fake_ravdess, tmp_path, caplog):
    from ser_hf.data.ravdess import load_ravdess, parse_name

    folder = tmp_path / "ravdess"
    shutil.copytree(fake_ravdess, folder)
    sf.write(folder / "Actor_01" / "03-01-09-01-01-01-01.wav", GOOD, 16000)
    with caplog.at_level("WARNING"):
        dataset = load_ravdess(folder, cache_dir=tmp_path / "cache")
    assert len(dataset) == 128
    assert "03-01-09-01-01-01-01.wav: emotion code 09 is not 01..08" in caplog.text
    with pytest.raises(ValueError, match="emotion code 09 is not 01..08"):
        parse_name("03-01-09-01-01-01-01.wav")
    with pytest.raises(ValueError, match="emotion code 09"):
        load_ravdess(folder, cache_dir=tmp_path / "cache", strict=True)


def test_a_dataset_missing_a_class_is_reported(fake_ravdess, tmp_path, caplog):
    from ser_hf.data.ravdess import load_ravdess
    from ser_hf.training.args import DataArguments
    from ser_hf.training.loop import _split

    folder = tmp_path / "ravdess"
    shutil.copytree(fake_ravdess, folder)
    for path in folder.glob("Actor_*/03-01-02-*.wav"):  # every "calm" recording
        path.unlink()
    dataset = load_ravdess(folder, cache_dir=tmp_path / "cache")
    with caplog.at_level("WARNING"):
        split = _split(dataset, DataArguments(split="paper"), seed=0)
    assert "the training part has no recordings of calm" in caplog.text
    assert len(split.train) > 0


# ------------------------------------------------------------------ the docs list every case


def test_docs_table_lists_every_case():
    doc = (REPO / "docs" / "bad-inputs.md").read_text()
    ids = [c[0] for c in FILE_CASES + UNUSUAL_BUT_VALID + ARRAY_CASES + MODEL_INPUT_CASES + LOAD_CASES]
    ids += [
        "unsupported-codec",
        "int16-array",
        "int32-array",
        "wrong-sampling-rate",
        "bad-clip-in-a-batch",
        "pipeline-8-khz",
        "pipeline-silence",
        "foreign-config-in-our-class",
        "no-ravdess-names",
        "emotion-code-out-of-range",
        "missing-class",
    ]
    missing = [i for i in ids if f"`{i}`" not in doc]
    assert not missing, f"docs/bad-inputs.md lacks rows for {missing}"
    assert len(ids) >= 25
