"""Issue 12's cases: implausible headers, overflowing samples, recordings without speech, special
files, usage errors before any work, calibration, evaluate on a corpus with bad files, ONNX files of
another model, start-up without torch. Every case id is a row of docs/bad-inputs.md."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from helpers import synthetic_speech

from ser_hf.audio import speech_check
from ser_hf.cli import main as cli

REPO = Path(__file__).resolve().parents[1]
GOOD = synthetic_speech(2.0, seed=11)


def _strict_json(text: str):
    """JSON as the standard defines it: a bare NaN or Infinity fails."""

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _wav_with_rate(path: Path, rate: int, samples: np.ndarray) -> Path:
    """A PCM-16 WAV whose header claims `rate` (written by hand: any rate a damaged header can hold)."""
    data = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    path.write_bytes(
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
    return path


# ------------------------------------------------------------------ files that must be refused, by name


def _no_speech(kind: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(48000) / 16000
    return {
        "denormals": np.full(48000, 1e-39, np.float32),
        "quiet-noise": rng.standard_normal(48000) * 10 ** (-75 / 20),
        "dc-offset": np.full(48000, 0.3),
        "pure-tone": 0.5 * np.sin(2 * np.pi * 440 * t),
        "flat-synthetic": sum(0.1 / k * np.sin(2 * np.pi * 120 * k * t) for k in range(1, 30)),
        "white-noise": 0.1 * rng.standard_normal(48000),
    }[kind].astype(np.float32)


NO_SPEECH_CASES = ["denormals", "quiet-noise", "dc-offset", "pure-tone", "flat-synthetic", "white-noise"]


@pytest.mark.parametrize("kind", NO_SPEECH_CASES, ids=[f"no-speech-{k}" for k in NO_SPEECH_CASES])
def test_audio_without_speech_is_refused_by_predict_short_and_long(kind, model_dirs, tmp_path, capsys):
    samples = _no_speech(kind)
    assert speech_check(samples, 16000) is not None
    short, long = tmp_path / f"{kind}.wav", tmp_path / f"{kind}-long.wav"
    sf.write(short, samples, 16000, subtype="FLOAT")
    sf.write(long, np.tile(samples, 5), 16000, subtype="FLOAT")  # 15 s: the timeline path
    good = tmp_path / "good.wav"
    sf.write(good, GOOD, 16000)
    assert cli(["predict", str(short), str(long), str(good), "--model", str(model_dirs[2]), "--json"]) == 1
    captured = capsys.readouterr()
    results = _strict_json(captured.out)
    assert "no speech found" in results[0]["error"] and str(short) in results[0]["error"]
    assert "no speech found" in results[1]["error"] and str(long) in results[1]["error"]
    assert results[2]["label"] in results[2]["scores"]


@pytest.mark.real_data
def test_every_ravdess_recording_passes_the_speech_check(ravdess_files):
    from ser_hf.audio import load_audio

    assert len(ravdess_files) == 1440
    refused = [(p.name, reason) for p in ravdess_files if (reason := speech_check(load_audio(p)[0], 16000))]
    assert not refused, refused[:5]


def test_implausible_header_rate_is_refused_before_decoding(model_dirs, tmp_path, capsys):
    """A small WAV whose header claims 10 Hz would be hours of audio: refused by its header at once."""
    path = _wav_with_rate(tmp_path / "slow.wav", 10, GOOD[:40000])
    assert cli(["predict", str(path), "--model", str(model_dirs[1]), "--json"]) == 1
    result = _strict_json(capsys.readouterr().out)[0]
    assert "sample rate of 10 Hz" in result["error"] and str(path) in result["error"]


def test_overflowing_samples_give_finite_probabilities_and_strict_json(model_dirs, tmp_path, capsys):
    path = tmp_path / "loud.wav"
    sf.write(path, GOOD * 1e20, 16000, subtype="FLOAT")  # finite, far beyond [-1, 1]
    assert cli(["predict", str(path), "--model", str(model_dirs[2]), "--json"]) == 0
    result = _strict_json(capsys.readouterr().out)[0]
    assert all(np.isfinite(list(result["scores"].values())))
    reference = tmp_path / "normal.wav"
    sf.write(reference, GOOD, 16000, subtype="FLOAT")
    cli(["predict", str(reference), "--model", str(model_dirs[2]), "--json"])
    expected = _strict_json(capsys.readouterr().out)[0]["scores"]
    for label, p in expected.items():  # utterance normalisation: the level does not matter
        assert result["scores"][label] == pytest.approx(p, abs=1e-4)


def test_fifo_and_link_loop_are_named_as_what_they_are(model_dirs, tmp_path, capsys):
    fifo, loop, dangling = tmp_path / "pipe.wav", tmp_path / "loop.wav", tmp_path / "gone.wav"
    os.mkfifo(fifo)
    os.symlink(loop, loop)
    os.symlink(tmp_path / "nothing.wav", dangling)
    assert cli(["predict", str(fifo), str(loop), str(dangling), "--model", str(model_dirs[1]), "--json"]) == 1
    errors = [r["error"] for r in _strict_json(capsys.readouterr().out)]
    assert "is a FIFO (named pipe)" in errors[0]
    assert "a loop of symbolic links" in errors[1]
    assert "a symbolic link to a missing file" in errors[2]


@pytest.mark.parametrize("rate", [24414, 44100], ids=["odd-rate-24414", "rate-44100"])
def test_odd_sample_rates_are_resampled_like_16_khz(rate, tmp_path):
    import torchaudio.functional as AF

    from ser_hf.audio import load_audio

    path = tmp_path / f"{rate}.wav"
    sf.write(path, AF.resample(torch.from_numpy(GOOD), 16000, rate).numpy(), rate, subtype="FLOAT")
    samples, out_rate = load_audio(path, 16000)
    assert out_rate == 16000 and abs(len(samples) - len(GOOD)) <= 1
    middle = slice(1000, len(GOOD) - 1000)
    error = np.sqrt(np.mean((samples[middle] - GOOD[middle]) ** 2) / np.mean(GOOD[middle] ** 2))
    assert error < 0.01  # up to the original rate and back: the same signal within 1 % (RMS)


def test_eight_bit_unsigned_arrays_are_centred():
    """uint8 audio (8-bit WAV) is silent at 128: it must become 0, not a DC offset of 0.5."""
    import ser_hf

    extractor = ser_hf.SerFeatureExtractor()
    as_uint8 = np.round(GOOD * 127 + 128).astype(np.uint8)
    a = extractor(as_uint8, sampling_rate=16000)["input_values"]
    b = extractor((as_uint8.astype(np.float32) - 128) / 128, sampling_rate=16000)["input_values"]
    np.testing.assert_allclose(a, b, atol=1e-5)


# ------------------------------------------------------------------ usage errors: exit 2, one line, no work done

USAGE_CASES = [  # (case id, argv, message)
    ("train-epochs-0", ["train", "--output_dir", "{tmp}/run", "--epochs", "0"], "--epochs must be at least 1"),
    ("train-epochs-negative", ["train", "--output_dir", "{tmp}/run", "--epochs", "-3"], "--epochs must be at least 1"),
    (
        "train-batch-size-0",
        ["train", "--output_dir", "{tmp}/run", "--batch_size", "0"],
        "--batch_size must be at least 1",
    ),
    (
        "train-chunk-stride-0",
        ["train", "--output_dir", "{tmp}/run", "--chunk_stride", "0"],
        "--chunk_stride must be at least 1",
    ),
    (
        "train-num-mel-bins-0",
        ["train", "--output_dir", "{tmp}/run", "--num_mel_bins", "0"],
        "--num_mel_bins must be at least 1",
    ),
    (
        "train-num-mel-bins-empty-filters",
        ["train", "--output_dir", "{tmp}/run", "--num_mel_bins", "256"],
        "--num_mel_bins 256: Mel filters [0, 3, 8",
    ),
    (
        "train-classifier-hidden-size-negative",
        ["train", "--output_dir", "{tmp}/run", "--classifier_hidden_size", "-1"],
        "--classifier_hidden_size must not be negative, got -1",
    ),
    (
        "train-init-from-missing",
        ["train", "--output_dir", "{tmp}/run", "--init_from", "{tmp}/no-such-model"],
        "no-such-model': no such folder",
    ),
    ("train-output-dir-under-a-file", ["train", "--output_dir", "{tmp}/afile/run"], "is a file, not a folder"),
    ("train-output-dir-read-only", ["train", "--output_dir", "/proc/ser-hf-run"], "cannot write in /proc"),
    (
        "train-unknown-optimizer",
        ["train", "--output_dir", "{tmp}/run", "--optimizer", "adamx"],
        "invalid choice: 'adamx'",
    ),
    (
        "train-unknown-metric",
        ["train", "--output_dir", "{tmp}/run", "--metric_for_best_model", "f1"],
        "invalid choice: 'f1'",
    ),
    (
        "export-onnx-out-read-only",
        ["export-onnx", "--model", "x", "--out", "/proc/model.onnx"],
        "cannot write in /proc",
    ),
    ("predict-device-cuda-without-gpu", ["predict", "x.wav", "--device", "cuda"], "no CUDA GPU"),
    ("predict-unknown-device", ["predict", "x.wav", "--device", "tpu9"], "is not a torch device"),
    ("predict-window-0", ["predict", "x.wav", "--window-seconds", "0"], "--window_seconds must be positive"),
    ("predict-hop-negative", ["predict", "x.wav", "--hop-seconds", "-1"], "--hop_seconds must be positive"),
    (
        "predict-long-audio-0",
        ["predict", "x.wav", "--long-audio-seconds", "0"],
        "--long_audio_seconds must be positive",
    ),
    ("predict-long-audio-huge", ["predict", "x.wav", "--long-audio-seconds", "100000"], "at most 600"),
    ("evaluate-batch-size-0", ["evaluate", "--model", "x", "--batch_size", "0"], "--batch_size must be at least 1"),
]


@pytest.mark.parametrize("case,argv,message", USAGE_CASES, ids=[c[0] for c in USAGE_CASES])
def test_usage_errors_exit_2_with_one_line_before_any_work(case, argv, message, tmp_path, capsys):
    if torch.cuda.is_available() and "cuda" in argv:
        pytest.skip("this machine has a GPU")
    (tmp_path / "afile").write_text("a file")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    try:
        code = cli(argv)
    except SystemExit as exit:  # argparse's own errors (invalid choice) exit directly
        code = exit.code
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert "Traceback" not in err and len([line for line in err.splitlines() if "error" in line]) == 1
    assert not (tmp_path / "run").exists()  # nothing was created


def test_help_and_usage_errors_do_not_import_torch():
    """`ser-hf --help` answers without torch and transformers; a command's `--help` and its usage
    errors without torch (`HfArgumentParser` is transformers'; start-up times: bench)."""
    script = (
        "import sys; from ser_hf.cli import main\n"
        "def run(argv):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "run(['--help']); light = ('torch' in sys.modules, 'transformers' in sys.modules)\n"
        "for argv in (['predict', '--help'], ['predict', 'x.wav', '--window-seconds', '0'], "
        "['evaluate', '--help'], ['train', '--help'], ['export-onnx', '--help'], "
        "['train', '--output_dir', '/proc/x'], ['train', '--output_dir', '/tmp/x', '--lr_scheduler', 'x']):\n"
        "    run(argv)\n"
        "print('RESULT', *light, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert [line for line in out.splitlines() if line.startswith("RESULT")] == ["RESULT False False False"]


def test_import_ser_hf_is_light_and_classes_register_on_use():
    script = (
        "import sys, ser_hf; light = 'torch' not in sys.modules\n"
        "from transformers import AutoConfig; ser_hf.SerConfig\n"
        "print(light, type(AutoConfig.for_model('ser-cnn-lstm')).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "True SerCnnLstmConfig"


@pytest.mark.parametrize(
    "case,changes,message",
    [
        ("extractor-rate-zero", {"sampling_rate": 0}, "sampling_rate must be a positive number"),
        (
            "extractor-rate-not-the-models",
            {"sampling_rate": 8000},
            "sampling_rate = 8000, but the model was trained with 16000",
        ),
    ],
    ids=["extractor-rate-zero", "extractor-rate-not-the-models"],
)
def test_a_feature_extractor_config_that_does_not_fit_the_model_exits_2(
    case, changes, message, model_dirs, tmp_path, capsys
):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(model_dirs[1], folder)
    config = json.loads((folder / "preprocessor_config.json").read_text())
    (folder / "preprocessor_config.json").write_text(json.dumps({**config, **changes}))
    good = tmp_path / "good.wav"
    sf.write(good, GOOD, 16000)
    assert cli(["predict", str(good), "--model", str(folder)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_predict_without_model_uses_the_bundled_model_2_and_says_so(tmp_path, capsys):
    good = tmp_path / "good.wav"
    sf.write(good, GOOD, 16000)
    assert cli(["predict", str(good), "--json"]) == 0
    captured = capsys.readouterr()
    assert "using the bundled Model 2" in captured.err and "ser-cnn-bilstm-attention-ravdess" in captured.err
    assert _strict_json(captured.out)[0]["label"]  # stdout is JSON only
    assert "Loading weights" not in captured.err  # no progress bars


# ------------------------------------------------------------------ evaluate on a corpus with bad files


def test_evaluate_scores_the_good_files_and_names_every_file_left_out(tmp_path, capsys, caplog):
    """A TESS-named corpus with the distributed `OA_bite_neutral.wav`, a silent file (CREMA-D ships
    one), an unreadable one and a name outside the pattern: the others are scored, each left-out file is
    named once, and with --json stdout is JSON only."""
    root = tmp_path / "tess"
    root.mkdir()
    emotions = ["angry", "disgust", "fear", "happy", "neutral", "ps", "sad"]
    for i, emotion in enumerate(emotions):
        for word in ("back", "dog"):
            sf.write(root / f"YAF_{word}_{emotion}.wav", synthetic_speech(1.5, seed=i * 2 + len(word)), 16000)
    sf.write(root / "OA_bite_neutral.wav", synthetic_speech(1.5, seed=99), 16000)
    sf.write(root / "OAF_silent_sad.wav", np.zeros(24000, np.float32), 16000)
    (root / "OAF_broken_angry.wav").write_text("not audio")
    sf.write(root / "YAF_extra.wav", GOOD, 16000)
    command = ["evaluate", "--model", str(REPO / "models" / "ser-cnn-lstm-ravdess"), "--corpus", "tess"]
    command += ["--data", str(root), "--json"]
    code = cli(command)
    captured = capsys.readouterr()
    assert code == 0
    metrics = _strict_json(captured.out)
    assert metrics["num_samples"] == 15  # 14 + OA_bite_neutral
    assert metrics["argmax_over"] == "the scored classes"
    left = metrics["left_out"]
    assert [Path(p).name for p in left["unrecognised_name"]] == ["YAF_extra.wav"]
    assert sorted(Path(item["file"]).name for item in left["unusable"]) == [
        "OAF_broken_angry.wav",
        "OAF_silent_sad.wav",
    ]
    assert metrics["left_out_counts"] == {"unmapped_class": 0, "unusable": 2, "unrecognised_name": 1}
    for name in ("OAF_broken_angry.wav", "OAF_silent_sad.wav"):
        assert captured.err.count(str(root / name)) == 1
    assert "YAF_extra.wav" in caplog.text  # the unrecognised name is named in the warning
    code = cli([*command, "--classes", "all"])
    assert code == 0 and _strict_json(capsys.readouterr().out)["argmax_over"] == "all 8 classes"


def test_evaluate_with_too_few_actors_for_the_split_exits_2(fake_ravdess, capsys):
    code = cli(
        [
            "evaluate",
            "--model",
            str(REPO / "models" / "ser-cnn-lstm-ravdess"),
            "--data",
            str(fake_ravdess),
            "--split",
            "speaker",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "needs actors left to train" in err and "Traceback" not in err


# ------------------------------------------------------------------ ONNX of another model


def test_predict_onnx_refuses_a_file_exported_from_another_model(model_dirs, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    out = tmp_path / "m1.onnx"
    assert cli(["export-onnx", "--model", str(model_dirs[1]), "--out", str(out)]) == 0
    good = tmp_path / "good.wav"
    sf.write(good, GOOD, 16000)
    capsys.readouterr()
    assert cli(["predict", str(good), "--model", str(model_dirs[1]), "--onnx", str(out)]) == 0
    assert cli(["predict", str(good), "--model", str(model_dirs[2]), "--onnx", str(out)]) == 2
    assert "was exported from another model" in capsys.readouterr().err


# ------------------------------------------------------------------ calibration


def test_temperature_scaling_fixes_overconfident_logits_and_keeps_labels():
    from ser_hf.calibration import calibration_report, fit_temperature

    generator = torch.Generator().manual_seed(0)
    calibrated = 1.5 * torch.randn(4000, 8, generator=generator)
    labels = torch.multinomial(calibrated.softmax(-1), 1, generator=generator).flatten()  # calibrated by construction
    overconfident = calibrated * 4  # the same ranking, far too sharp
    temperature = fit_temperature(overconfident, labels)
    assert 3.0 < temperature < 5.0
    report = calibration_report(overconfident, labels, temperature)
    assert report["after"]["ece"] < report["before"]["ece"] / 3 and report["after"]["nll"] < report["before"]["nll"]
    assert torch.equal((overconfident / temperature).argmax(-1), overconfident.argmax(-1))


def test_the_model_divides_its_logits_by_the_config_temperature():
    import ser_hf

    config = ser_hf.SerCnnLstmConfig()
    torch.manual_seed(0)
    model = ser_hf.SerCnnLstmForAudioClassification(config).eval()
    inputs = {"input_values": torch.randn(2, 3, 128, 128), "chunk_mask": torch.ones(2, 3, dtype=torch.long)}
    with torch.no_grad():
        plain = model(**inputs).logits
        model.config.temperature = 2.5
        scaled = model(**inputs).logits
    torch.testing.assert_close(scaled, plain / 2.5)


@pytest.mark.real_data
def test_bundled_models_carry_a_temperature_and_its_report(ravdess_dir):
    for name in ("ser-cnn-lstm-ravdess", "ser-cnn-bilstm-attention-ravdess"):
        folder = REPO / "models" / name
        config = json.loads((folder / "config.json").read_text())
        metrics = json.loads((folder / "metrics.json").read_text())
        assert config["temperature"] == pytest.approx(metrics["calibration"]["validation"]["temperature"], rel=1e-3)
        assert {"validation", "test"} <= set(metrics["calibration"])
        assert "ECE before" in (folder / "README.md").read_text()


def test_docs_table_lists_every_case_of_this_module():
    doc = (REPO / "docs" / "bad-inputs.md").read_text()
    ids = [f"no-speech-{k}" for k in NO_SPEECH_CASES] + [c[0] for c in USAGE_CASES]
    ids += ["odd-rate-24414", "rate-44100", "extractor-rate-zero", "extractor-rate-not-the-models"]
    missing = [i for i in ids if f"`{i}`" not in doc]
    assert not missing, f"docs/bad-inputs.md lacks rows for {missing}"


@pytest.mark.real_data
def test_the_bundled_temperature_is_refitted_from_real_validation_logits(ravdess_dir):
    """The shipped `config.temperature` of Model 2 is what temperature scaling gives on its validation
    actors' real recordings, and it lowers their cross-entropy."""
    from accelerate import Accelerator

    from ser_hf.calibration import calibration_report, fit_temperature
    from ser_hf.data.common import decode_waveforms
    from ser_hf.data.ravdess import load_ravdess
    from ser_hf.inference import load_model
    from ser_hf.training.batches import EvaluationItems, WaveformBank, collate
    from ser_hf.training.validation import predict_rows

    folder = REPO / "models" / "ser-cnn-bilstm-attention-ravdess"
    model, extractor = load_model(folder)
    shipped = model.config.temperature
    model.config.temperature = 1.0
    dataset = load_ravdess(str(ravdess_dir))
    rows = [i for i, actor in enumerate(dataset["actor"]) if actor in (16, 23)]
    subset = decode_waveforms(dataset.select(rows), extractor)
    loader = torch.utils.data.DataLoader(EvaluationItems(range(len(rows))), batch_size=64, collate_fn=collate)
    outcome = predict_rows(model, loader, WaveformBank.from_dataset(subset), extractor, Accelerator(cpu=True))
    labels = torch.tensor(outcome["references"])
    temperature = fit_temperature(outcome["logits"], labels)
    assert temperature == pytest.approx(shipped, rel=1e-2)
    report = calibration_report(outcome["logits"], labels, temperature)
    assert report["after"]["nll"] < report["before"]["nll"]


def test_every_option_takes_both_spellings(capsys):
    """`--batch-size` and `--batch_size`, `--model-dir` and `--model_dir`: one rule for every command."""
    for argv in (["evaluate", "--model", "x", "--batch-size", "0"], ["evaluate", "--model", "x", "--batch_size", "0"]):
        assert cli(argv) == 2 and "--batch_size must be at least 1" in capsys.readouterr().err
    for argv in (["predict", "x.wav", "--window_seconds", "0"], ["predict", "x.wav", "--window-seconds", "0"]):
        assert cli(argv) == 2 and "--window_seconds must be positive" in capsys.readouterr().err
    assert cli(["train", "--output-dir", "/proc/x", "--epochs", "0"]) == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err


def test_one_command_surface_every_option_from_a_dataclass(capsys):
    """Every subcommand's options are its dataclasses' fields, parsed by `HfArgumentParser`: typed
    choices fail at parse time, a switch before the files does not eat one, `--model` is a folder."""
    import dataclasses
    import typing

    from ser_hf.cli import COMMANDS, PredictArguments, parse_args
    from ser_hf.data.corpora import CORPORA
    from ser_hf.data.splits import SPLITS
    from ser_hf.evaluation import EvaluateArguments

    for name, spec in COMMANDS.items():
        with pytest.raises(SystemExit) as exit_info:
            cli([name, "--help"])
        assert exit_info.value.code == 0
        documented = capsys.readouterr().out
        for dtype in spec.arguments():
            for item in dataclasses.fields(dtype):
                assert (item.name if item.metadata.get("argparse", {}).get("nargs") else f"--{item.name}") in (
                    documented if item.name != "paths" else documented.replace("PATH", "paths")
                ), (name, item.name)
    for argv, bad in (
        (["evaluate", "--model", "x", "--corpus", "iemocap"], "'iemocap'"),
        (["evaluate", "--model", "x", "--split", "random"], "'random'"),
        (["evaluate", "--model", "x", "--part", "dev"], "'dev'"),
        (["train", "--output_dir", "/tmp/x", "--architecture", "3"], "'3'"),
        (["train", "--output_dir", "/tmp/x", "--lr_scheduler", "cosin"], "'cosin'"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            cli(argv)
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and f"invalid choice: {bad}" in err and len(err.splitlines()) == 1, err
    hints = typing.get_type_hints(EvaluateArguments)
    assert typing.get_args(hints["corpus"]) == CORPORA and typing.get_args(hints["split"]) == (*SPLITS, "all")
    _, (predict,) = parse_args(["predict", "--json", "a.wav", "b.wav", "--timeline", "--model", "m"])
    assert isinstance(predict, PredictArguments) and predict.paths == ["a.wav", "b.wav"]
    assert predict.json and predict.timeline and predict.model == "m"
    for spelling in ("--model", "--model_dir", "--model-dir"):  # push: --model is the folder, as everywhere
        assert parse_args(["push", spelling, "runs/m", "--repo_id", "u/m"])[1][0].model == "runs/m"
    _, (model_args, *_) = parse_args(["train", "--output_dir", "/tmp/x", "--model", "1"])
    assert model_args.architecture == 1 and "read as --architecture 1" in capsys.readouterr().err
    with pytest.MonkeyPatch.context() as env:  # a second process of `accelerate launch` stays quiet
        env.setenv("RANK", "1")
        assert parse_args(["train", "--output_dir", "/tmp/x", "--model", "1"])[1][0].architecture == 1
    assert "read as" not in capsys.readouterr().err
    # no abbreviations, and every spelling of a typed option survives the recipe
    with pytest.raises(SystemExit):
        parse_args(["train", "--output_dir", "/tmp/x", "--recipe", "paper", "--epoch", "10"])
    assert "unrecognized arguments: --epoch 10" in capsys.readouterr().err
    _, (_, _, augment, train) = parse_args(
        ["train", "--output-dir", "/tmp/x", "--recipe", "paper", "--noise-copies", "3", "--epochs=7"]
    )
    assert augment.noise_copies == 3 and train.epochs == 7 and augment.speed_perturb == 0


def test_train_schedulers_are_transformers_schedulers_built_without_extra_arguments():
    from transformers import SchedulerType, get_scheduler

    from ser_hf.training.args import SCHEDULERS

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    for name in SCHEDULERS:
        assert name in {s.value for s in SchedulerType}
        get_scheduler(name, optimizer, num_warmup_steps=1, num_training_steps=10)
