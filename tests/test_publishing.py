"""Publishing without a token or network: the dataset push dry-run with its card, and the Space deploy
dry-run that stages the Space and starts it from the staged copy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import datasets
import yaml

from ser_hf.cli import main as cli
from ser_hf.hub import prepare_dataset_for_hub

REPO = Path(__file__).resolve().parents[1]


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_dataset_is_prepared_with_embedded_audio_and_a_card(fake_ravdess):
    dataset, card = prepare_dataset_for_hub(fake_ravdess)
    assert len(dataset) == 128
    assert isinstance(dataset.features["audio"], datasets.Audio) and not dataset.features["audio"].decode
    row = dataset[0]
    assert row["audio"]["bytes"][:4] == b"RIFF" and "/" not in row["audio"]["path"]
    meta = _front_matter(str(card))
    assert meta["license"] == "cc-by-nc-sa-4.0" and meta["task_categories"] == ["audio-classification"]
    assert "128 recordings" in str(card) and "neutral 16" in str(card)


def test_push_dataset_dry_run_writes_what_would_go_up(fake_ravdess, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    out = tmp_path / "staged"
    assert (
        cli(
            [
                "push-dataset",
                "--data",
                str(fake_ravdess),
                "--repo-id",
                "someuser/ravdess",
                "--dry-run",
                "--output-dir",
                str(out),
            ]
        )
        == 0
    )
    assert "would push 128 rows" in capsys.readouterr().out
    reloaded = datasets.Dataset.from_parquet(str(out / "data" / "train-00000-of-00001.parquet"))
    assert len(reloaded) == 128 and reloaded.features["label"].names[0] == "neutral"
    assert (out / "README.md").read_text().startswith("---\n")
    # a second dry run never writes over the first
    assert (
        cli(
            [
                "push-dataset",
                "--data",
                str(fake_ravdess),
                "--repo-id",
                "someuser/ravdess",
                "--dry-run",
                "--output-dir",
                str(out),
            ]
        )
        == 2
    )
    assert "not empty" in capsys.readouterr().err


def test_push_dataset_without_token_says_how_to_log_in(fake_ravdess, monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-home"))
    assert cli(["push-dataset", "--data", str(fake_ravdess), "--repo-id", "someuser/ravdess"]) == 2
    assert "HF_TOKEN" in capsys.readouterr().err


def test_space_readme_header():
    meta = _front_matter((REPO / "spaces_app" / "README.md").read_text())
    import gradio

    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and meta["sdk_version"] == gradio.__version__
    assert len(meta["models"]) == 2


def test_deploy_space_dry_run_starts_the_staged_space(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "deploy_space.py"), "--space-id", "someuser/ser-demo", "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "the staged Space starts with: Model 2 (CNN-BiLSTM-attention), Model 1 (CNN-LSTM)" in result.stdout
    for name in (
        "app.py",
        "requirements.txt",
        "README.md",
        "ser_hf/modeling_ser.py",
        "models/ser-cnn-lstm-ravdess/model.safetensors",
    ):
        assert f"  {name}\n" in result.stdout
    assert "__pycache__" not in result.stdout


def test_model_card_template_is_installed_with_the_package():
    from ser_hf.model_cards import template_text

    assert "{{ card_data }}" in template_text("ser_model_card.md")
    assert "{{ card_data }}" in template_text("ravdess_dataset_card.md")
