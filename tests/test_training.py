"""Training with Accelerate: outputs, seeds, resume after kill -9, two processes, evaluation, and a
real-data run that must beat chance by far on held-out actors."""

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import load_file, save_file

from ser_hf.cli import main as ser_hf

pytestmark = pytest.mark.slow  # every test here trains (or uses a trained) model

REPO = Path(__file__).resolve().parents[1]
FAST = [
    "--epochs",
    "3",
    "--batch_size",
    "16",
    "--eval_batch_size",
    "5",
    "--noise_copies",
    "1",
    "--bn_recalibration_samples",
    "32",
    "--test_actors",
    "1",
    "--validation_actors",
    "2",
]


def run_cli(args, env=None, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "ser_hf.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        cwd=REPO,
    )


def weights(folder):
    return load_file(str(Path(folder) / "model.safetensors"))


def same_weights(a, b):
    wa, wb = weights(a), weights(b)
    return wa.keys() == wb.keys() and all((wa[k] == wb[k]).all() for k in wa)


def last_epoch_script():
    """`scripts/last_epoch.py` as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("last_epoch", REPO / "scripts" / "last_epoch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trained(fake_ravdess, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "model2"
    result = run_cli(
        ["train", "--output_dir", str(out), "--architecture", "2", "--data", str(fake_ravdess), *FAST],
        env={"SER_HF_CACHE": str(out.parent / "cache")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_a_run_writes_a_hub_ready_folder(trained):
    names = {p.name for p in trained.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "preprocessor_config.json",
        "README.md",
        "metrics.json",
        "training_args.json",
        "confusion_matrix.png",
        "training_curves.png",
        "modeling_ser.py",
        "configuration_ser.py",
        "feature_extraction_ser.py",
    } <= names
    metrics = json.loads((trained / "metrics.json").read_text())
    assert metrics["test_actors"] == [1] and metrics["validation_actors"] == [2]
    assert metrics["test"]["num_samples"] == 32 and len(metrics["history"]) == 3
    card = (trained / "README.md").read_text()
    assert "model-index" in card and "pipeline_tag: audio-classification" in card and "cc-by-nc-sa-4.0" in card
    assert f"{metrics['test']['accuracy']:.4f}" in card
    args = json.loads((trained / "training_args.json").read_text())
    assert args["model"]["architecture"] == 2 and args["train"]["epochs"] == 3
    # calibrated on validation: the temperature is in the config, its effect in metrics.json and the card
    config = json.loads((trained / "config.json").read_text())
    calibration = metrics["calibration"]
    assert (
        config["temperature"] == pytest.approx(calibration["validation"]["temperature"], rel=1e-3)
        and config["temperature"] > 0
    )
    assert calibration["validation"]["after"]["nll"] <= calibration["validation"]["before"]["nll"] + 1e-6
    assert "ECE before" in card and metrics["test"]["loss"] == calibration["test"]["after"]["nll"]


def test_an_existing_output_dir_is_not_overwritten(trained, fake_ravdess):
    before = (trained / "model.safetensors").read_bytes()
    result = run_cli(["train", "--output_dir", str(trained), "--data", str(fake_ravdess), *FAST])
    assert result.returncode == 2 and "--resume" in result.stderr
    assert (trained / "model.safetensors").read_bytes() == before


def test_evaluate_reproduces_the_training_test_metrics(trained, fake_ravdess):
    result = run_cli(["evaluate", "--model", str(trained), "--data", str(fake_ravdess), "--test_actors", "1", "--json"])
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout)
    recorded = json.loads((trained / "metrics.json").read_text())["test"]
    assert measured["num_samples"] == recorded["num_samples"] == 32
    assert measured["accuracy"] == pytest.approx(recorded["accuracy"])
    assert measured["confusion_matrix"] == recorded["confusion_matrix"]


def test_fixed_seeds_give_the_same_numbers_twice(trained, fake_ravdess, tmp_path):
    again = tmp_path / "again"
    result = run_cli(["train", "--output_dir", str(again), "--architecture", "2", "--data", str(fake_ravdess), *FAST])
    assert result.returncode == 0, result.stderr[-3000:]
    first = json.loads((trained / "metrics.json").read_text())
    second = json.loads((again / "metrics.json").read_text())
    assert first["history"] == second["history"]
    assert same_weights(trained, again)


def test_resume_after_kill_9_gives_the_uninterrupted_result(trained, fake_ravdess, tmp_path):
    """Killed with SIGKILL during epoch 3, resumed from the epoch-2 checkpoint: same final model."""
    out = tmp_path / "killed"
    command = [
        sys.executable,
        "-m",
        "ser_hf.cli",
        "train",
        "--output_dir",
        str(out),
        "--architecture",
        "2",
        "--data",
        str(fake_ravdess),
        *FAST,
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pointer = out / "checkpoints" / "latest"
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None:
        if pointer.exists() and pointer.read_text().strip() == "epoch-0002":
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (out / "metrics.json").exists()
    result = run_cli(
        ["train", "--output_dir", str(out), "--architecture", "2", "--data", str(fake_ravdess), *FAST, "--resume"]
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resumed from" in result.stdout + result.stderr
    resumed = json.loads((out / "metrics.json").read_text())
    uninterrupted = json.loads((trained / "metrics.json").read_text())
    assert resumed["history"] == uninterrupted["history"]
    assert resumed["test"]["confusion_matrix"] == uninterrupted["test"]["confusion_matrix"]
    assert same_weights(out, trained)


def test_two_processes_train_and_count_every_evaluation_sample_once(fake_ravdess, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        str(REPO / "scripts" / "train.py"),
        "--output_dir",
        str(out),
        "--architecture",
        "1",
        "--data",
        str(fake_ravdess),
        *FAST,
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, cwd=REPO)
    assert result.returncode == 0, result.stderr[-4000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["num_processes"] == 2
    for part, actor in (("test", 1), ("validation", 2)):
        ids = metrics[part]["ids"]
        assert len(ids) == len(set(ids)) == metrics[part]["num_samples"] == 32  # 32 = 2 x 3 x 5 + 2: padded
        assert all(i.endswith(f"-{actor:02d}") for i in ids)
        assert sum(map(sum, metrics[part]["confusion_matrix"])) == 32


@pytest.mark.real_data
def test_model_1_learns_speaker_independent_emotions_on_real_ravdess(ravdess_dir, tmp_path):
    """Model 1 trained for a few minutes on CPU on 20 actors: at least 35 % on the 4 held-out actors
    (chance 12.5 %)."""
    out = tmp_path / "model1"
    code = ser_hf(
        [
            "train",
            "--output_dir",
            str(out),
            "--architecture",
            "1",
            "--data",
            str(ravdess_dir),
            "--recipe",
            "paper",
            "--epochs",
            "6",
            "--learning_rate",
            "2e-3",
            "--noise_mode",
            "none",
            "--test_actors",
            "1,2,13,14",
            "--validation_actors",
            "",
        ]
    )
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["num_rows"] == {"train": 1200, "validation": 0, "test": 240}
    assert metrics["test"]["accuracy"] >= 0.35, metrics["test"]["accuracy"]


def test_global_normalisation_statistics_standardise_the_training_set():
    import numpy as np
    import torch
    from helpers import synthetic_speech

    from ser_hf import SerFeatureExtractor
    from ser_hf.training.batches import WaveformBank
    from ser_hf.training.loop import global_normalization

    clips = [synthetic_speech(1.0 + 0.3 * i, seed=i) for i in range(6)]
    bank = WaveformBank(clips, [0] * 6)
    extractor = global_normalization(SerFeatureExtractor(trim_silence=False), bank, list(range(6)), batch_size=4)
    assert extractor.normalization == "global" and len(extractor.mean) == 128
    padded, lengths = bank.batch(torch.arange(6))
    log_mel, frames = extractor._log_mel(padded, lengths)
    normalised = extractor._normalize(log_mel, frames)
    real = torch.cat([normalised[i, :, : frames[i]] for i in range(6)], dim=1)
    torch.testing.assert_close(real.mean(1), torch.zeros(128), atol=1e-3, rtol=0)
    torch.testing.assert_close(real.std(1, unbiased=False), torch.ones(128), atol=1e-3, rtol=0)
    reloaded = SerFeatureExtractor.from_dict(extractor.to_dict())
    np.testing.assert_allclose(
        reloaded(clips[0], sampling_rate=16000)["input_values"],
        extractor(clips[0], sampling_rate=16000)["input_values"],
    )


def test_push_dry_run_validates_a_freshly_trained_folder_without_token_or_network(trained, tmp_path):
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "HF_TOKEN": ""}
    result = run_cli(["push", "--model-dir", str(trained), "--repo-id", "someuser/ser-test", "--dry-run"], env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "would upload to someuser/ser-test" in result.stdout
    for name in ("model.safetensors", "modeling_ser.py", "README.md", "confusion_matrix.png", "training_curves.png"):
        assert name in result.stdout
    assert "checkpoints" not in result.stdout
    assert "SerCnnBiLstmAttentionForAudioClassification" in result.stdout


def test_push_refuses_an_incomplete_folder_and_a_missing_token(trained, tmp_path):
    import shutil

    partial = tmp_path / "partial"
    shutil.copytree(trained, partial, ignore=shutil.ignore_patterns("modeling_ser.py", "checkpoints"))
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "HF_TOKEN": ""}
    result = run_cli(["push", "--model-dir", str(partial), "--repo-id", "someuser/x", "--dry-run"], env=env)
    assert result.returncode == 2 and "missing modeling_ser.py" in result.stderr
    result = run_cli(["push", "--model-dir", str(trained), "--repo-id", "someuser/x"], env=env)
    assert result.returncode == 2 and "no Hugging Face token" in result.stderr


def test_cross_corpus_evaluation_scores_only_shared_classes(trained, tmp_path):
    from helpers import write_audio

    for i, name in enumerate(["03a01Fa.wav", "08b02Wb.wav", "16a05Lc.wav", "11b03Td.wav", "09a02Na.wav"]):
        write_audio(tmp_path / "emodb" / name, seed=i)
    result = run_cli(
        ["evaluate", "--model", str(trained), "--corpus", "emodb", "--data", str(tmp_path / "emodb"), "--json"]
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(result.stdout)
    assert metrics["scored_classes"] == ["neutral", "happy", "sad", "angry"]  # boredom left out, no calm in EmoDB
    assert metrics["num_samples"] == 4
    assert sum(map(sum, metrics["confusion_matrix"])) == 4
    assert sum(metrics["confusion_matrix"][1]) == 0  # no calm reference


def test_early_stopping_ends_a_run_without_validation_gain(fake_ravdess, tmp_path):
    out = tmp_path / "early"
    args = [a if a != "3" else "40" for a in FAST]  # 40 epochs allowed
    result = run_cli(
        [
            "train",
            "--output_dir",
            str(out),
            "--architecture",
            "1",
            "--data",
            str(fake_ravdess),
            *args,
            "--early_stopping_patience",
            "2",
            "--metric_for_best_model",
            "loss",
            "--learning_rate",
            "0.5",
        ]
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] < 40
    assert metrics["epochs_run"] - metrics["best_epoch"] == 2


def test_the_last_epoch_is_kept_when_asked_and_the_card_says_so(trained, fake_ravdess, tmp_path):
    """`--load_best_model_at_end false`: the last epoch's model is tested and saved, whatever validation says;
    the default keeps the best validation epoch (the `trained` run)."""
    default = json.loads((trained / "metrics.json").read_text())
    assert default["kept_epoch"] == default["best_epoch"]
    out = tmp_path / "last"
    result = run_cli(  # a rate so small that the validation accuracy ties at every epoch: epoch 1 is "the best"
        ["train", "--output_dir", str(out), "--architecture", "2", "--data", str(fake_ravdess), *FAST]
        + ["--load_best_model_at_end", "false", "--learning_rate", "1e-9"],
        env={"SER_HF_CACHE": str(trained.parent / "cache")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["best_epoch"] == 1 and metrics["kept_epoch"] == metrics["epochs_run"] == 3
    assert metrics["validation"]["accuracy"] == pytest.approx(metrics["history"][-1]["val_accuracy"])
    assert same_weights(out, out / "checkpoints" / "epoch-0003" / "best")  # the model of epoch 3 as saved then
    assert "(`--load_best_model_at_end false`: the last) | 3 |" in (out / "README.md").read_text()

    last_epoch = last_epoch_script()
    model, _, epoch = last_epoch.last_checkpoint_model(out)  # what the script scores as "the last epoch"
    saved = weights(out)
    assert epoch == 3 and all((value == saved[name]).all() for name, value in model.state_dict().items())
    row = last_epoch.compare(trained, str(fake_ravdess))  # the default run: its kept model scores as recorded
    assert row["kept"] == pytest.approx(row["recorded"]) and row["last_epoch"] == 3
    assert (row["last"] == row["kept"]) or default["kept_epoch"] != 3


def test_the_last_epoch_script_reads_a_run_without_an_ema(fake_ravdess, tmp_path, capsys, monkeypatch):
    """`scripts/last_epoch.py` on a run trained without weight averaging (`--ema_decay 0`, as `--recipe paper`):
    the checkpoint holds no EMA, so the script reads the checkpoint's own weights. The run keeps epoch 1 (a rate so
    small that validation ties at every epoch), so the last checkpoint's model is not the one the run saved. The same
    checkpoint with its weights under "module." (a multi-process run's) loads to the same model."""
    out = tmp_path / "no-ema"
    result = run_cli(
        ["train", "--output_dir", str(out), "--architecture", "1", "--data", str(fake_ravdess), *FAST]
        + ["--ema_decay", "0", "--learning_rate", "1e-9"]
    )
    assert result.returncode == 0, result.stderr[-3000:]
    last_epoch = last_epoch_script()
    checkpoint = last_epoch.latest_checkpoint(out)
    assert checkpoint.name == "epoch-0003" and (checkpoint / "model.safetensors").exists()
    assert not (checkpoint / "custom_checkpoint_0.pkl").exists()  # no EMA: the branch under test
    model, _, epoch = last_epoch.last_checkpoint_model(out)
    state, in_checkpoint, saved = model.state_dict(), weights(checkpoint), weights(out)
    assert epoch == 3 and state.keys() == in_checkpoint.keys() == saved.keys()
    assert all((value == in_checkpoint[name]).all() for name, value in state.items())
    assert not all((value == saved[name]).all() for name, value in state.items())  # epoch 3, not the kept epoch 1
    row = last_epoch.compare(out, str(fake_ravdess))
    assert (row["kept_epoch"], row["last_epoch"]) == (1, 3) and row["kept"] == pytest.approx(row["recorded"])

    # a checkpoint of a multi-process run: Accelerate saves the wrapped module's weights under "module."
    # (`state` equals the checkpoint, asserted above, and lives in memory, not in the file replaced here)
    save_file(
        {f"module.{name}": value.contiguous() for name, value in state.items()}, str(checkpoint / "model.safetensors")
    )
    wrapped, _, epoch = last_epoch.last_checkpoint_model(out)
    assert epoch == 3 and all((value == state[name]).all() for name, value in wrapped.state_dict().items())

    # the script over two runs, one without checkpoints, and a folder that is no run (a glob also matches logs):
    # those are named on stderr and left out, the other is scored, and stdout starts with the table
    broken = tmp_path / "no-checkpoint"
    shutil.copytree(out, broken, ignore=shutil.ignore_patterns("checkpoints"))
    not_a_run = tmp_path / "logs"
    not_a_run.mkdir()
    capsys.readouterr()
    last_epoch.main([str(broken), str(not_a_run), str(out), "--data", str(fake_ravdess)])
    printed = capsys.readouterr()
    assert printed.out.startswith("| run | kept epoch") and str(not_a_run) not in printed.out
    assert f"not a finished run (no metrics.json), skipped: {not_a_run}" in printed.err
    row = [line for line in printed.out.splitlines() if line.startswith(f"| {out} | ")]
    assert len(row) == 1 and " | 1 (" in row[0] and " | 3 (" in row[0] and str(broken) not in printed.out
    assert f"not scored: {broken}: ValueError: {broken}: no complete checkpoint" in printed.err

    # a call cut short (a time limit) while scoring its second run keeps the row of the first
    scored = last_epoch.compare

    def cut_after_one(run, *args):
        if Path(run) == broken:
            raise KeyboardInterrupt  # stands in for a time limit: the rows scored before it are printed already
        return scored(run, *args)

    monkeypatch.setattr(last_epoch, "compare", cut_after_one)
    with pytest.raises(KeyboardInterrupt):
        last_epoch.main([str(out), str(broken), "--data", str(fake_ravdess)])
    assert f"| {out} | 1 (" in capsys.readouterr().out


def test_static_shapes_train_with_the_default_recipe_and_another_feature_grid(fake_ravdess, tmp_path):
    """The GPU path (static shapes) through the whole loop on the CPU, with speed perturbation (slowed
    copies outgrow every recording: `test_the_feature_cache_keeps_fixed_items_and_gives_their_features`
    checks the static width on clips long enough to need another chunk; these are not), and with
    `--chunk_stride 32 --num_mel_bins 64`: the static chunk count follows the stride, the CNN takes the
    band count, and the saved extractor and config keep both, so inference uses the trained grid; with
    `--normalization band`, which the saved extractor applies at inference too; and with
    `--classifier_hidden_size 0` (no dense layer before the output layer), which the fine-tuned model keeps."""
    out = tmp_path / "static"
    command = ["train", "--output_dir", str(out), "--architecture", "2", "--data", str(fake_ravdess), *FAST]
    command += ["--classifier_hidden_size", "0"]
    grid = ["--chunk_stride", "32", "--num_mel_bins", "64", "--normalization", "band"]
    result = run_cli([*command, "--training_path", "static", "--speed_perturb", "0.3", *grid])
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training_path"] == "static" and metrics["epochs_run"] == 3
    saved = json.loads((out / "preprocessor_config.json").read_text())
    assert (saved["chunk_stride"], saved["feature_size"], saved["normalization"]) == (32, 64, "band")
    config = json.loads((out / "config.json").read_text())
    assert (config["num_mel_bins"], config["classifier_hidden_size"]) == (64, 0)
    again = run_cli(["evaluate", "--model", str(out), "--data", str(fake_ravdess), "--test_actors", "1", "--json"])
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["confusion_matrix"] == metrics["test"]["confusion_matrix"]
    # fine-tuning it (--init_from) keeps its grid and widths unless told otherwise; the weights fix the widths
    # and the band count, so contradicting them is a usage error before any folder is made
    tune = ["train", "--data", str(fake_ravdess), *FAST, "--epochs", "1", "--init_from", str(out)]
    for option, value, saved in (("--num_mel_bins", "128", 64), ("--classifier_hidden_size", "64", 0)):
        refused = run_cli([*tune, "--output_dir", str(tmp_path / "refused"), option, value])
        assert refused.returncode == 2, refused.stderr[-3000:]
        assert f"{option} {value}: the --init_from model has {saved}, fixed by its weights" in refused.stderr
        assert not (tmp_path / "refused").exists()
    inside = run_cli(
        [*tune[:-1], str(out / "checkpoints" / "best"), "--output_dir", str(out), "--overwrite_output_dir"]
    )
    assert inside.returncode == 2 and "training would overwrite the model it starts from" in inside.stderr
    assert (out / "model.safetensors").exists()  # nothing of the run was removed
    tuned = run_cli([*tune, "--output_dir", str(tmp_path / "tuned")])
    assert tuned.returncode == 0, tuned.stderr[-3000:]
    tuned_config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert (tuned_config["num_mel_bins"], tuned_config["classifier_hidden_size"]) == (64, 0)  # the loaded widths
    tuned_grid = json.loads((tmp_path / "tuned" / "preprocessor_config.json").read_text())
    assert (tuned_grid["chunk_stride"], tuned_grid["feature_size"], tuned_grid["normalization"]) == (32, 64, "band")
    # the best epoch's folder is a complete model too; a typed stride wins (the weights do not fix it)
    best = [*tune[:-1], str(out / "checkpoints" / "best"), "--output_dir", str(tmp_path / "restrided")]
    restrided = run_cli([*best, "--chunk_stride", "64"])
    assert restrided.returncode == 0, restrided.stderr[-3000:]
    assert json.loads((tmp_path / "restrided" / "preprocessor_config.json").read_text())["chunk_stride"] == 64


def test_a_time_budget_ends_a_run_after_the_epoch_that_spends_it(fake_ravdess, tmp_path):
    out = tmp_path / "budget"
    args = [a if a != "3" else "2" for a in FAST]  # 2 epochs planned
    command = ["train", "--output_dir", str(out), "--architecture", "1", "--data", str(fake_ravdess), *args]
    result = run_cli([*command, "--max_train_seconds", "1e-6"])
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 1 and metrics["best_epoch"] == 1
    assert metrics["stopped"].startswith("time budget")
    assert metrics["test"]["num_samples"] > 0  # tested as at the end of a schedule
    # resumed under the same spent budget: no further epoch; with a larger one it goes on
    again = run_cli([*command, "--resume", "--max_train_seconds", "1e-6"])
    assert again.returncode == 0, again.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 1 and "spent before epoch 2" in metrics["stopped"]
    # a resume that would build another model or run another schedule is refused before any work, run untouched
    snapshot = lambda: {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in out.rglob("*")}
    before = snapshot()
    other = run_cli([*command, "--resume", "--lstm_hidden_size", "64", "--epochs", "5"])
    assert other.returncode == 2
    assert "--lstm_hidden_size 64 (the run: 128)" in other.stderr and "--epochs 5 (the run: 2)" in other.stderr
    assert "its command: ser-hf train" in other.stderr and "Traceback" not in other.stderr
    assert snapshot() == before
    more = run_cli([*command, "--resume", "--max_train_seconds", "1e6"])
    assert more.returncode == 0, more.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and metrics["stopped"] is None
    bad = run_cli([*command, "--overwrite_output_dir", "--max_train_seconds", "-1"])
    assert bad.returncode != 0 and "--max_train_seconds must not be negative" in bad.stderr


def test_a_checkpoint_half_written_when_killed_is_never_resumed_from(trained, tmp_path):
    """Saving writes .tmp-epoch-N, renames it, then moves the `latest` pointer: whatever a kill leaves
    behind, resume takes the last complete checkpoint."""
    import shutil

    from ser_hf.training.checkpoints import STATE_FILE
    from ser_hf.training.checkpoints import latest_checkpoint as _latest_checkpoint

    run = tmp_path / "run"
    shutil.copytree(trained / "checkpoints", run / "checkpoints")
    complete = _latest_checkpoint(run)
    assert complete is not None and (complete / STATE_FILE).exists()
    (run / "checkpoints" / ".tmp-epoch-0099").mkdir()  # killed while writing
    (run / "checkpoints" / ".tmp-epoch-0099" / "model.safetensors").write_bytes(b"half")
    (run / "checkpoints" / "epoch-0099").mkdir()  # killed after the rename, before the pointer moved
    assert _latest_checkpoint(run) == complete
    (run / "checkpoints" / "latest").write_text("epoch-0099")  # a pointer to a folder without its state
    assert _latest_checkpoint(run) == complete
    (run / "checkpoints" / "latest").unlink()
    assert _latest_checkpoint(run) == complete


def test_a_resume_is_compared_with_the_run_it_continues(tmp_path):
    """`check_resumed_run` on hand-written checkpoints: options that define the run, how steps run and the
    split's recordings must match; a budget may change; checkpoints older than the check resume unchecked."""
    from dataclasses import fields

    from ser_hf.training.args import AugmentArguments, DataArguments, ModelArguments, TrainArguments
    from ser_hf.training.checkpoints import RESUMABLE_CHANGES, STATE_FILE, check_resumed_run, run_identity

    options = {
        f.name for group in (ModelArguments, DataArguments, AugmentArguments, TrainArguments) for f in fields(group)
    }
    assert RESUMABLE_CHANGES <= options  # every name still an option
    arguments = lambda **train: {
        "model": {"lstm_hidden_size": 128, "init_from": None},
        "data": {"data": "/here/ravdess"},
        "train": {"epochs": 40, "max_train_seconds": 0.0, "load_best_model_at_end": True, **train},
    }
    launch = {"training path": "fused", "torch.compile": None, "processes": 1, "mixed precision": "no"}
    parts = {"train": ["a", "b"], "validation": ["c"], "test": ["d"]}
    run = run_identity(arguments(), launch, parts)
    checkpoint = tmp_path / "checkpoints" / "epoch-0001"
    checkpoint.mkdir(parents=True)
    (checkpoint / STATE_FILE).write_text(json.dumps({"epoch": 1, "identity": run, "command": "ser-hf train X"}))
    check_resumed_run(tmp_path, run)
    moved = run_identity({**arguments(max_train_seconds=60.0), "data": {"data": "/there/ravdess"}}, launch, parts)
    check_resumed_run(tmp_path, moved)  # a budget and the corpus's location may change
    actors = lambda text: run_identity({**arguments(), "data": {"data": "/here", "test_actors": text}}, launch, parts)
    held_out = tmp_path / "actors" / "checkpoints" / "epoch-0001"
    held_out.mkdir(parents=True)
    (held_out / STATE_FILE).write_text(json.dumps({"epoch": 1, "identity": actors("1,2"), "command": "X"}))
    check_resumed_run(tmp_path / "actors", actors("2, 1"))  # the same actors held out
    old = actors("1,2")
    old["data"]["test_actors"] = "2, 1"  # as typed, in a checkpoint written before lists were sorted
    (held_out / STATE_FILE).write_text(json.dumps({"epoch": 1, "identity": old, "command": "X"}))
    check_resumed_run(tmp_path / "actors", actors("1,2"))
    with pytest.raises(ValueError, match=r"--test_actors 1,3 \(the run: 1,2\)"):
        check_resumed_run(tmp_path / "actors", actors("3,1"))
    refused = {
        "--epochs 80 (the run: 40)": run_identity(arguments(epochs=80), launch, parts),
        "training path static (the run: fused)": run_identity(
            arguments(), {**launch, "training path": "static"}, parts
        ),
        "--init_from (a model) (the run: (not given))": run_identity(
            {**arguments(), "model": {"lstm_hidden_size": 128, "init_from": "models/x"}}, launch, parts
        ),
        "the split's recordings": run_identity(arguments(), launch, {**parts, "test": ["e"]}),
        "--load_best_model_at_end False (the run: True)": run_identity(
            arguments(load_best_model_at_end=False), launch, parts
        ),
    }
    for message, identity in refused.items():
        with pytest.raises(ValueError, match="differs from the run") as error:
            check_resumed_run(tmp_path, identity)
        assert message in str(error.value) and "its command: ser-hf train X" in str(error.value)
    (checkpoint / STATE_FILE).write_text(json.dumps({"epoch": 1}))  # written before runs kept their options
    check_resumed_run(tmp_path, refused["--epochs 80 (the run: 40)"])
    check_resumed_run(tmp_path / "none", run)  # nothing to resume: starts from epoch 0


def ensemble_script(monkeypatch):
    """`scripts/ensemble.py` as a module; it imports its siblings, as when run from scripts/."""
    monkeypatch.syspath_prepend(str(REPO / "scripts"))
    spec = importlib.util.spec_from_file_location("ensemble", REPO / "scripts" / "ensemble.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_ensemble_scores_the_mean_of_the_probabilities(monkeypatch):
    """Averaging can be right where every member is wrong: the mean of the probabilities, not of the accuracies."""
    ensemble = ensemble_script(monkeypatch)
    labels = np.array([0, 1])
    a = np.array([[0.6, 0.4], [0.55, 0.45]])  # right, wrong
    b = np.array([[0.45, 0.55], [0.0, 1.0]])  # wrong, right
    assert ensemble.group_scores(labels, [a, b]) == ([50.0, 50.0], 100.0)
    assert ensemble.group_scores(labels, [a]) == ([50.0], 50.0)


def test_the_ensemble_script_averages_runs_on_the_same_test_part(trained, fake_ravdess, tmp_path, capsys, monkeypatch):
    """`scripts/ensemble.py`: Model 2 and a Model 1 trained on the same actors form one group; each scores through the
    inference path what its training recorded (else a note), a model whose classes come in another order scores the
    same, rows given in another order are aligned by id, and a folder that is no run or a run that cannot be loaded
    is named on stderr while the others are scored."""
    model1 = tmp_path / "model1"
    result = run_cli(["train", "--output_dir", str(model1), "--architecture", "1", "--data", str(fake_ravdess), *FAST])
    assert result.returncode == 0, result.stderr[-3000:]
    ensemble = ensemble_script(monkeypatch)
    data = str(fake_ravdess)
    (ids2, labels2, p2), (ids1, labels1, p1) = (ensemble.probabilities(r, data) for r in (trained, model1))
    assert ids1 == ids2 and (labels1 == labels2).all() and p1.shape == p2.shape == (32, 8)
    assert np.allclose(p1.sum(1), 1.0, atol=1e-5) and not np.allclose(p1, p2)
    for run, p in ((trained, p2), (model1, p1)):  # the inference path scores what training recorded
        recorded = json.loads((run / "metrics.json").read_text())["test"]["accuracy"]
        assert (p.argmax(1) == labels1).mean() == pytest.approx(recorded)

    # the same model with its classes in reverse order (config and output layer): the same probabilities by name
    reversed_run = tmp_path / "model1-reversed"
    shutil.copytree(model1, reversed_run, ignore=shutil.ignore_patterns("checkpoints"))
    config = json.loads((reversed_run / "config.json").read_text())
    names = [config["id2label"][str(i)] for i in range(8)][::-1]
    config["id2label"] = {str(i): name for i, name in enumerate(names)}
    config["label2id"] = {name: i for i, name in enumerate(names)}
    (reversed_run / "config.json").write_text(json.dumps(config))
    state = weights(reversed_run)
    output_layer = [name for name, value in state.items() if name.startswith("classifier.") and value.shape[0] == 8]
    assert len(output_layer) == 2  # its weight and bias
    save_file(
        {k: v.flip(0).contiguous() if k in output_layer else v for k, v in state.items()},
        str(reversed_run / "model.safetensors"),
    )
    assert np.allclose(ensemble.probabilities(reversed_run, data)[2], p1, atol=1e-6)

    # the group's row: the accuracy of the mean probabilities, with one member's rows handed over in reverse order
    real = ensemble.probabilities

    def reversed_rows(run, data):
        ids, labels, scores = real(run, data)
        return (ids[::-1], labels[::-1], scores[::-1]) if run == model1 else (ids, labels, scores)

    monkeypatch.setattr(ensemble, "probabilities", reversed_rows)
    order = np.argsort(ids1)
    averaged = 100 * ((p1 + p2)[order].argmax(1) == labels1[order]).mean()
    broken = tmp_path / "no-weights"
    shutil.copytree(model1, broken, ignore=shutil.ignore_patterns("checkpoints", "model.safetensors"))
    not_a_run = tmp_path / "logs"
    not_a_run.mkdir()
    capsys.readouterr()
    ensemble.main([str(trained), str(not_a_run), str(broken), str(model1), "--data", data])
    printed = capsys.readouterr()
    rows = [line for line in printed.out.splitlines() if line.startswith("| 32 recordings of actors 1 |")]
    assert len(rows) == 1 and f"{trained} " in rows[0] and f"{model1} " in rows[0] and str(broken) not in rows[0]
    assert f"| {averaged:.1f} |" in rows[0] and "note:" not in printed.out
    assert f"not a finished run (no metrics.json), skipped: {not_a_run}" in printed.err
    assert f"not scored: {broken}: " in printed.err
