"""Several training runs on the same test part, alone and with their class probabilities averaged: does a second
model trained on the same recordings add to the first? (Model 1 and Model 2 of a fold, or two seeds of one.)

    python scripts/ensemble.py RUN_DIR [RUN_DIR ...] [--data RAVDESS]

Each RUN_DIR is a finished `ser-hf train` output folder. Runs whose test parts are the same recordings (the same
fold) form a group; each group prints a row: each run's test accuracy and the accuracy of the mean of their
probabilities. Every recording is scored through `ser_hf.inference.predict_files`, the path a user's file takes;
a run whose score there differs from the one its training wrote is flagged. With several groups, the mean change
against each group's best and mean member, with a paired t-test. A script of the exploration of session 22
(reports/actor-kfold.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
from last_epoch import test_part  # scripts/ is on the path of a script run from it

from ser_hf.inference import load_model, predict_files


def probabilities(run: Path, data: str | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(test ids, true labels as corpus indices, class probabilities in the corpus's label order) of a run's test
    part, one row per recording, through the inference path."""
    dataset, rows = test_part(run, data)
    names = dataset.features["label"].names
    model, extractor = load_model(run)
    order = [model.config.label2id[name] for name in names]  # the model's columns in the corpus's label order
    audio = dataset.select(rows).select_columns(["audio", "id", "label"])
    paths = [a["path"] for a in audio["audio"]]
    predictions = predict_files(model, extractor, paths)
    failed = [p.error for p in predictions if p.error]
    if failed:
        raise ValueError(f"{run}: {len(failed)} test recordings could not be scored; the first: {failed[0]}")
    scores = np.array([[p.scores[model.config.id2label[i]] for i in order] for p in predictions])
    return list(audio["id"]), np.array(audio["label"]), scores


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--data", default=None, help="the corpus (default: the run's --data, or $SER_HF_RAVDESS_DIR)")
    args = parser.parse_args(argv)
    groups: dict[tuple, list] = {}
    for run in args.runs:
        ids, labels, scores = probabilities(run, args.data)
        by_id = sorted(range(len(ids)), key=ids.__getitem__)  # the same recordings in the same order in a group
        metrics = json.loads((run / "metrics.json").read_text())
        recorded, actors = 100 * metrics["test"]["accuracy"], metrics.get("test_actors")
        groups.setdefault(tuple(sorted(ids)), []).append((run, labels[by_id], scores[by_id], recorded, actors))
    print("| test part | runs: test accuracy % | mean of their probabilities % | change vs best / mean member |")
    print("|---|---|---:|---:|", flush=True)
    changes_best, changes_mean = [], []
    for ids, members in groups.items():
        labels = members[0][1]
        alone = [100 * float((scores.argmax(1) == labels).mean()) for _, _, scores, _, _ in members]
        averaged = 100 * float((np.mean([m[2] for m in members], axis=0).argmax(1) == labels).mean())
        for (run, _, _, recorded, _), score in zip(members, alone):
            if abs(score - recorded) > 0.05:
                print(
                    f"note: {run} scores {score:.1f} % here, {recorded:.1f} % at the end of training", file=sys.stderr
                )
        each = " / ".join(f"{run.name} {score:.1f}" for (run, *_), score in zip(members, alone))
        best, mean = max(alone), statistics.mean(alone)
        actors = members[0][4]
        part = f"{len(ids)} recordings" + (f" of actors {', '.join(map(str, actors))}" if actors else "")
        change = f"{averaged - best:+.1f} / {averaged - mean:+.1f}" if len(members) > 1 else "- (one run)"
        print(f"| {part} | {each} | {averaged:.1f} | {change} |", flush=True)
        if len(members) > 1:
            changes_best.append(averaged - best)
            changes_mean.append(averaged - mean)
    if len(changes_best) > 1:
        from scipy.stats import ttest_1samp  # a dependency of the `bench` extra

        for name, changes in (("best", changes_best), ("mean", changes_mean)):
            p = ttest_1samp(changes, 0.0).pvalue if statistics.pstdev(changes) else float("nan")
            print(
                f"\n{len(changes)} groups: the averaged probabilities {statistics.mean(changes):+.2f} points against the"
                f" {name} member (higher / equal / lower: {sum(c > 0 for c in changes)} / "
                f"{sum(c == 0 for c in changes)} / {sum(c < 0 for c in changes)}; paired t-test p = {p:.3f})"
            )


if __name__ == "__main__":
    main()
