"""`scripts/shift_average.py`: it scores the run's own test recordings, its unshifted grid is the model's
ordinary prediction and the shifted ones are not, and several runs get the paired summary."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
import torch

from ser_hf.audio import load_audio
from ser_hf.data.ravdess import parse_name
from ser_hf.inference import load_model

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "shift_average.py"
spec = importlib.util.spec_from_file_location("shift_average", SCRIPT)
shift_average = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shift_average)


def _run(model_dir: Path, folder: Path, ids: list[str], actors: list[int]) -> str:
    shutil.copytree(model_dir, folder)
    (folder / "metrics.json").write_text(json.dumps({"test": {"ids": ids}, "test_actors": actors}))
    return str(folder)


def test_the_unshifted_grid_is_the_models_prediction_and_the_shifted_ones_differ(model_dirs, fake_ravdess, tmp_path):
    files = sorted(fake_ravdess.rglob("03-*.wav"))
    listed = [p for p in files if parse_name(p.name)["actor"] in (1, 3)][::3]  # 48 kHz actor 1 among them
    run = _run(model_dirs[2], tmp_path / "run", [p.stem for p in listed], [2])
    assert [p for p, _ in shift_average.listed_recordings(run, files)] == listed  # the ids, not the actors
    older = _run(model_dirs[1], tmp_path / "older", [], [2])  # no list: its test actors
    assert {meta["actor"] for _, meta in shift_average.listed_recordings(older, files)} == {2}
    with pytest.raises(ValueError, match=f"1 of its {len(listed)} test recordings are not in --data"):
        shift_average.listed_recordings(run, [p for p in files if p != listed[0]])

    model, extractor = load_model(run)
    log_probs = shift_average.shifted_log_probabilities(model, extractor, listed)
    assert sorted(log_probs) == [0, 16, 32, 48] and log_probs[0].shape == (len(listed), 8)
    with torch.no_grad():
        ordinary = torch.cat(
            [
                model(**extractor(load_audio(p, 16000)[0], sampling_rate=16000, return_tensors="pt")).logits
                for p in listed
            ]
        ).log_softmax(-1)
    torch.testing.assert_close(log_probs[0], ordinary, rtol=1e-4, atol=1e-4)
    assert all(not torch.allclose(log_probs[s], ordinary, atol=1e-3) for s in (16, 32, 48))


def test_accuracies_average_the_first_shifts():
    labels = torch.tensor([0, 1])
    # shift 0 right on the first clip only, shift 16 on the second only; their mean gets both right
    log_probs = {
        0: torch.tensor([[0.0, -5.0], [-1.0, -1.2]]).log_softmax(-1),
        16: torch.tensor([[-1.0, -0.9], [-5.0, 0.0]]).log_softmax(-1),
    }
    assert shift_average.accuracies(log_probs, labels) == {"shift 0": 50.0, "shift 16": 50.0, "mean of 2": 100.0}


def test_several_runs_get_the_paired_summary(model_dirs, fake_ravdess, tmp_path, monkeypatch, capsys):
    ids = [p.stem for p in sorted(fake_ravdess.rglob("03-*-03.wav"))[:6]]
    runs = [_run(model_dirs[n], tmp_path / f"m{n}", ids, []) for n in (1, 2)]
    monkeypatch.setattr("sys.argv", ["shift_average.py", *runs, "--data", str(fake_ravdess)])
    shift_average.main()
    out = capsys.readouterr().out
    assert "| run | unshifted % |" in out and "| m1 |" in out and "| m2 |" in out
    assert "| mean of 2 runs (paired t-test) |" in out
