"""Several training runs on the same test part, alone and with their class probabilities averaged: does a second
model trained on the same recordings add to the first? (Model 1 and Model 2 of a fold, or two seeds of one.)

    python scripts/ensemble.py RUN_DIR [RUN_DIR ...] [--data RAVDESS]

Each RUN_DIR is a finished `ser-hf train` output folder. Runs whose metrics.json list the same test recordings (the
same fold) form a group, scored group by group; each prints a row as soon as it is scored: each run's test accuracy
and the accuracy of the mean of their probabilities. Every recording is scored through
`ser_hf.inference.predict_files`, the path a user's file takes; a run whose score there differs from the one its
training wrote gets a note. A folder without metrics.json, or a run that cannot be scored, is named on stderr and
left out. With several groups, the mean change against each group's best and mean member, with a paired t-test.
Measured on the 6 folds: reports/actor-kfold.md, section of session 22.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
from ablation import paired_p  # scripts/ is on the path of a script run from it
from last_epoch import test_part

from ser_hf.inference import load_model, predict_files
from ser_hf.metrics import compute_metrics


def probabilities(run: Path, data: str | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(test ids, true labels as corpus indices, class probabilities in the corpus's label order) of a run's test
    part, one row per recording, through the inference path."""
    dataset, rows = test_part(run, data)
    names = dataset.features["label"].names
    model, extractor = load_model(run)
    missing = sorted(set(names) - set(model.config.id2label.values()))
    if missing:
        raise ValueError(f"{run}: the model has no class {missing} of the corpus")
    audio = dataset.select(rows).select_columns(["audio", "id", "label"])
    paths = [a.get("path") for a in audio["audio"]]
    if not all(path and Path(path).is_file() for path in paths):
        raise ValueError(f"{run}: the corpus holds no audio files to score (pass --data with a RAVDESS folder)")
    predictions = predict_files(model, extractor, paths)
    failed = [p.error for p in predictions if p.error]
    if failed:
        raise ValueError(f"{run}: {len(failed)} test recordings could not be scored; the first: {failed[0]}")
    scores = np.array([[p.scores[name] for name in names] for p in predictions])
    return list(audio["id"]), np.array(audio["label"]), scores


def group_scores(labels: np.ndarray, members: list[np.ndarray]) -> tuple[list[float], float]:
    """Test accuracy % of each member's probabilities (rows aligned with `labels`) and of their mean, by the
    package's metric (the one training reports with)."""
    accuracy = lambda scores: (
        100 * compute_metrics(scores.argmax(1).tolist(), labels.tolist(), num_classes=scores.shape[1])["accuracy"]
    )
    return [accuracy(scores) for scores in members], accuracy(np.mean(members, axis=0))


def score_group(runs: dict[Path, float], data: str | None) -> tuple[list[Path], list[float], float, list[str]]:
    """(runs scored, their accuracies, the accuracy of their mean probabilities, notes) of runs on one test part,
    given with the test accuracy % their training recorded; a run that cannot be scored is named on stderr and left
    out."""
    scored, labels, members, notes = [], None, [], []
    for run in runs:
        try:
            ids, run_labels, scores = probabilities(run, data)
        except (ValueError, OSError, KeyError, RuntimeError) as error:
            print(f"not scored: {run}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            continue
        order = np.argsort(ids)  # the same recordings in the same order in every member
        scored.append(run)
        labels = run_labels[order] if labels is None else labels
        members.append(scores[order])
    if not scored:
        return [], [], float("nan"), []
    alone, averaged = group_scores(labels, members)
    for run, score in zip(scored, alone):
        if abs(score - runs[run]) > 0.05:
            notes.append(f"note: {run}: scores {score:.1f} % here, {runs[run]:.1f} % at the end of training")
    return scored, alone, averaged, notes


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--data", default=None, help="the corpus (default: the run's --data, or $SER_HF_RAVDESS_DIR)")
    args = parser.parse_args(argv)
    groups: dict[tuple, dict[Path, float]] = {}  # test part -> {run: the test accuracy % its training recorded}
    actors: dict[tuple, list] = {}
    seen = set()
    for run in args.runs:
        if not (run / "metrics.json").exists():  # a glob over a runs folder also matches its logs and tables
            print(f"not a finished run (no metrics.json), skipped: {run}", file=sys.stderr)
            continue
        if run.resolve() in seen:
            continue
        seen.add(run.resolve())
        metrics = json.loads((run / "metrics.json").read_text())
        key = tuple(sorted(metrics["test"].get("ids") or [str(run)]))  # runs without the list: a group each
        groups.setdefault(key, {})[run] = 100 * metrics["test"]["accuracy"]
        actors.setdefault(key, metrics.get("test_actors"))
    print("| test part | runs: test accuracy % | mean of their probabilities % | change vs best / mean member |")
    print("|---|---|---:|---:|", flush=True)
    changes_best, changes_mean, notes = [], [], []
    for key, runs in groups.items():
        scored, alone, averaged, group_notes = score_group(runs, args.data)
        if not scored:
            continue
        notes += group_notes
        part = f"{len(key)} recordings" + (f" of actors {', '.join(map(str, actors[key]))}" if actors[key] else "")
        each = " / ".join(f"{run} {score:.1f}" for run, score in zip(scored, alone))
        best, mean = max(alone), statistics.mean(alone)
        change = f"{averaged - best:+.1f} / {averaged - mean:+.1f}" if len(scored) > 1 else "- (one run)"
        print(f"| {part} | {each} | {averaged:.1f} | {change} |", flush=True)
        if len(scored) > 1:
            changes_best.append(averaged - best)
            changes_mean.append(averaged - mean)
    if notes:
        print("\n" + "\n".join(notes))
    if len(changes_best) > 1:
        for name, changes in (("best", changes_best), ("mean", changes_mean)):
            print(
                f"\n{len(changes)} groups: the averaged probabilities {statistics.mean(changes):+.2f} points against the"
                f" {name} member (higher / equal / lower: {sum(c > 0 for c in changes)} / "
                f"{sum(c == 0 for c in changes)} / {sum(c < 0 for c in changes)}; paired t-test p = "
                f"{paired_p(changes):.3f})"
            )


if __name__ == "__main__":
    main()
