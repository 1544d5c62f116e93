"""Safety: weights only from safetensors, remote-code files that only define things, and no secret in
any output or card."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ser_hf.inference import ModelLoadError, load_model

REPO = Path(__file__).resolve().parents[1]
HUB_FILES = ("configuration_ser.py", "feature_extraction_ser.py", "modeling_ser.py")
SECRET = "hf_NotARealTokenButLooksLikeOne1234567890"


def test_pickled_weights_are_never_loaded(model_dirs, tmp_path):
    folder = tmp_path / "pickled"
    shutil.copytree(model_dirs[1], folder)
    state = load_model(folder)[0].state_dict()
    (folder / "model.safetensors").unlink()
    torch.save(state, folder / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match="safetensors"):
        load_model(folder)


def _literal(node: ast.AST) -> bool:
    """A constant, a name, or a container of those: no call, attribute access or operator."""
    if isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _literal(k) for k in node.keys) and all(_literal(v) for v in node.values)
    return False


@pytest.mark.parametrize("name", HUB_FILES)
def test_remote_code_only_defines_things_at_import(name):
    """Top level of each file users run with trust_remote_code: imports, classes, functions, literal
    constants and the transformers logger; nothing that reads, writes, downloads or executes."""
    tree = ast.parse((REPO / "ser_hf" / name).read_text())
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # docstrings
            continue
        if isinstance(node, ast.Assign):
            if _literal(node.value):
                continue
            if ast.unparse(node.value) == "logging.get_logger(__name__)":
                continue
        pytest.fail(f"{name}: top-level statement does more than define: {ast.unparse(node)[:120]}")


def test_importing_the_remote_code_touches_no_file_or_network(tmp_path):
    code = (
        "import sys, builtins, socket\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import torch, numpy, transformers\n"  # the allowed dependencies, imported first
        "opened = []\n"
        "real_open = builtins.open\n"
        "builtins.open = lambda *a, **k: (opened.append(a[0]), real_open(*a, **k))[1]\n"
        "socket.socket.connect = lambda *a, **k: (_ for _ in ()).throw(RuntimeError('network'))\n"
        "import configuration_ser, feature_extraction_ser, modeling_ser\n"
        "print('OPENED', [p for p in opened if 'site-packages' not in str(p)])\n"  # transformers reads its own sources lazily
    )
    folder = tmp_path / "remote"
    folder.mkdir()
    for name in HUB_FILES:  # the files as a Hub repo holds them: siblings imported as `.sibling`
        text = (REPO / "ser_hf" / name).read_text().replace("from .configuration_ser", "from configuration_ser")
        (folder / name).write_text(text.replace("from .feature_extraction_ser", "from feature_extraction_ser"))
    result = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "OPENED []" in result.stdout


def test_no_secret_in_training_outputs_or_push_dry_run(fake_ravdess, tmp_path):
    env = {**os.environ, "HF_TOKEN": SECRET, "SER_HF_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "run"
    train = subprocess.run(
        [
            sys.executable,
            "-m",
            "ser_hf.cli",
            "train",
            "--output_dir",
            str(out),
            "--model",
            "1",
            "--data",
            str(fake_ravdess),
            "--epochs",
            "1",
            "--batch_size",
            "16",
            "--noise_copies",
            "1",
            "--bn_recalibration_samples",
            "16",
            "--test_actors",
            "1",
            "--validation_actors",
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=REPO,
    )
    assert train.returncode == 0, train.stderr[-3000:]
    push = subprocess.run(
        [sys.executable, "-m", "ser_hf.cli", "push", "--model-dir", str(out), "--repo-id", "someuser/m", "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=REPO,
    )
    assert push.returncode == 0, push.stderr[-3000:]
    for text in (train.stdout, train.stderr, push.stdout, push.stderr):
        assert SECRET not in text
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"{path} contains the token"
