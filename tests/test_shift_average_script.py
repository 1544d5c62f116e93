"""`scripts/shift_average.py`: it scores the run's own test recordings, its unshifted grid is the model's
ordinary prediction, and several runs get the paired summary."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

from ser_hf.data.ravdess import parse_name
from ser_hf.inference import load_model, predict_files

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "shift_average.py"
spec = importlib.util.spec_from_file_location("shift_average", SCRIPT)
shift_average = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shift_average)


def _run(model_dir: Path, folder: Path, ids: list[str], actors: list[int]) -> str:
    shutil.copytree(model_dir, folder)
    (folder / "metrics.json").write_text(json.dumps({"test": {"ids": ids}, "test_actors": actors}))
    return str(folder)


def test_unshifted_scores_are_the_models_predictions_on_the_listed_recordings(
    model_dirs, fake_ravdess, tmp_path, monkeypatch, capsys
):
    files = sorted(fake_ravdess.rglob("03-*.wav"))
    listed = [p for p in files if parse_name(p.name)["actor"] in (1, 3)][::3]  # 48 kHz actor 1 among them
    run = _run(model_dirs[2], tmp_path / "run", [p.stem for p in listed], [2])
    assert [p for p, _ in shift_average.test_rows(run, files)] == listed  # the ids, not the actors
    older = _run(model_dirs[1], tmp_path / "older", [], [2])  # no list: its test actors
    assert {meta["actor"] for _, meta in shift_average.test_rows(older, files)} == {2}

    scores = shift_average.score(run, files)
    model, extractor = load_model(run)
    predicted = [p.label for p in predict_files(model, extractor, [str(p) for p in listed])]
    truth = [model.config.id2label[parse_name(p.name)["label"]] for p in listed]
    expected = 100 * sum(a == b for a, b in zip(predicted, truth, strict=True)) / len(listed)
    assert abs(scores["shift 0"] - expected) < 1e-6
    assert set(scores) == {"shift 0", "shift 16", "shift 32", "shift 48", "mean of 2", "mean of 3", "mean of 4"}

    monkeypatch.setattr("sys.argv", ["shift_average.py", run, older, "--data", str(fake_ravdess)])
    shift_average.main()
    out = capsys.readouterr().out
    assert "| run | unshifted % |" in out and "| older |" in out and "| mean of 2 runs (paired t-test) |" in out
