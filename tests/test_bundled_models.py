"""The trained models committed under models/: they load offline, pass `push --dry-run`, and their
cards' numbers are what `ser-hf evaluate` measures on the held-out actors they name."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED = sorted(p for p in (REPO / "models").glob("*") if (p / "model.safetensors").exists())


def test_both_paper_models_are_bundled():
    kinds = {json.loads((p / "config.json").read_text())["architectures"][0] for p in BUNDLED}
    assert kinds == {"SerCnnLstmForAudioClassification", "SerCnnBiLstmAttentionForAudioClassification"}


@pytest.mark.parametrize("folder", BUNDLED, ids=lambda p: p.name)
def test_card_reports_the_metrics_json_and_names_the_held_out_actors(folder):
    metrics = json.loads((folder / "metrics.json").read_text())
    card = (folder / "README.md").read_text()
    assert metrics["test_actors"] and str(metrics["test_actors"]) in card
    assert f"{metrics['test']['accuracy']:.4f}" in card
    assert "license: cc-by-nc-sa-4.0" in card and "model-index" in card
    assert metrics["command"].startswith(("ser-hf train ", "accelerate launch scripts/train.py "))
    assert metrics["command"] in card


@pytest.mark.parametrize("folder", BUNDLED, ids=lambda p: p.name)
def test_push_dry_run_validates_the_bundled_folder(folder, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path), "HF_TOKEN": ""}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ser_hf.cli",
            "push",
            "--model",
            str(folder),
            "--repo_id",
            f"someuser/{folder.name}",
            "--dry_run",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.real_data
@pytest.mark.parametrize("folder", BUNDLED, ids=lambda p: p.name)
def test_evaluate_measures_what_the_card_says(folder, ravdess_dir):
    metrics = json.loads((folder / "metrics.json").read_text())
    validation = ",".join(map(str, metrics["validation_actors"]))
    test = ",".join(map(str, metrics["test_actors"]))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ser_hf.cli",
            "evaluate",
            "--model",
            str(folder),
            "--data",
            str(ravdess_dir),
            "--test_actors",
            test,
            "--validation_actors",
            validation,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout)
    assert measured["num_samples"] == metrics["test"]["num_samples"]
    assert measured["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    assert measured["confusion_matrix"] == metrics["test"]["confusion_matrix"]
    assert re.search(r"test actors \[", metrics["split"])


@pytest.mark.parametrize("folder", BUNDLED, ids=lambda p: p.name)
def test_bundled_remote_code_is_the_package_code(folder):
    """Users of trust_remote_code run exactly the package's model code (re-copy after changing it)."""
    for name in ("configuration_ser.py", "modeling_ser.py", "feature_extraction_ser.py"):
        assert (folder / name).read_text() == (REPO / "ser_hf" / name).read_text(), f"{folder.name}/{name} is stale"
