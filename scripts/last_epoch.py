"""The last epoch against the best validation epoch: each training run's test part scored with the model it
kept (the best validation epoch, the first of tied ones) and with the model of its last checkpoint (the
evaluated weights of that epoch: the EMA when the run had one, BatchNorm re-estimated as before its
validation), as `--load_best_model_at_end false` would have kept it. No training: the two models come from
the same run.

    python scripts/last_epoch.py RUN_DIR [RUN_DIR ...] [--data RAVDESS]

Each RUN_DIR is a `ser-hf train` output folder with its last checkpoint (`checkpoints/epoch-*`). Prints a
row per run as soon as it is scored, so a call cut by a time limit keeps the rows it finished (on the GPU machine
of 2026-11-28 two processes side by side scored about 3 runs each in 100 s: the test part is decoded for each
model); a folder without metrics.json, or a finished run whose files or checkpoint it cannot read, is named on
stderr and left out, so stdout holds only the table, its notes and its summary; with several runs,
the mean change and a paired t-test. Measured 2026-11-27
on the finished 30-40 epoch CPU runs of `runs/ablation`: reports/recipe-ablation.md, section of session 16.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import fields
from pathlib import Path

import torch

from ser_hf.evaluation import evaluate_model
from ser_hf.inference import load_model
from ser_hf.training.args import DataArguments
from ser_hf.training.checkpoints import STATE_FILE, latest_checkpoint
from ser_hf.training.loop import load_split


def last_checkpoint_model(run: Path):
    """(model, extractor, epoch) of the run's newest checkpoint: its evaluated weights in the run's model class."""
    checkpoint = latest_checkpoint(run)
    if checkpoint is None:
        raise ValueError(f"{run}: no complete checkpoint (checkpoints/epoch-*) to read the last epoch from")
    model, extractor = load_model(run)
    averaged = checkpoint / "custom_checkpoint_0.pkl"  # the EMA, registered for checkpointing
    if averaged.exists():
        state = torch.load(averaged, map_location="cpu", weights_only=True)
    else:
        from safetensors.torch import load_file

        state = load_file(str(checkpoint / "model.safetensors"))
    # Accelerate saves wrapped modules under "module." when several processes trained
    state = {name.removeprefix("module."): value for name, value in state.items() if name != "_extra_state"}
    model.load_state_dict(state, strict=True)
    return model.eval(), extractor, json.loads((checkpoint / STATE_FILE).read_text())["epoch"]


def test_part(run: Path, data: str | None):
    """(corpus dataset, test rows) of a finished run: its split made again from its training_args.json, checked
    against the test ids its metrics.json lists when it lists them."""
    arguments = json.loads((run / "training_args.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    known = {f.name for f in fields(DataArguments)}
    data_args = DataArguments(**{k: v for k, v in arguments["data"].items() if k in known})
    data_args.data = data or data_args.data
    dataset, split = load_split(data_args, arguments["train"]["seed"])
    ids = dataset.select_columns(["id"])["id"]
    listed = metrics["test"].get("ids")
    if listed is not None and sorted(listed) != sorted(ids[r] for r in split.test):
        raise ValueError(f"{run}: the split made again is not the run's test part (another corpus? pass --data)")
    return dataset, list(split.test)


def compare(run: Path, data: str | None, device: str = "cpu") -> dict:
    """Test accuracy of the kept model and of the last checkpoint's, on the run's own test part."""
    metrics = json.loads((run / "metrics.json").read_text())
    dataset, rows = test_part(run, data)
    kept_model, kept_extractor = load_model(run)
    last_model, last_extractor, last_epoch = last_checkpoint_model(run)
    score = lambda model, extractor: (
        100 * evaluate_model(model, extractor, dataset, rows, device=device, classes="all")["accuracy"]
    )
    history = [h.get("val_accuracy") for h in metrics["history"]]
    kept_epoch = metrics.get("kept_epoch", metrics["best_epoch"])
    validated = bool(history) and history[0] is not None
    return {
        "run": str(run),
        "kept_epoch": kept_epoch,
        "last_epoch": last_epoch,
        "epochs_run": metrics["epochs_run"],
        "recorded": 100 * metrics["test"]["accuracy"],  # the kept model's score written at the end of training
        "kept": score(kept_model, kept_extractor),
        "last": score(last_model, last_extractor),
        "val_kept": 100 * history[kept_epoch - 1] if validated else None,
        "val_last": 100 * history[last_epoch - 1] if validated else None,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--data", default=None, help="the corpus (default: the run's --data, or $SER_HF_RAVDESS_DIR)")
    parser.add_argument("--device", default="cpu", help="where to score (cuda on a GPU machine)")
    args = parser.parse_args(argv)
    skipped = [run for run in args.runs if not (run / "metrics.json").exists()]
    if skipped:  # a glob over a runs folder also matches its logs and tables; stdout stays the table
        print(f"not a finished run (no metrics.json), skipped: {', '.join(map(str, skipped))}", file=sys.stderr)
    print("| run | kept epoch (val. %) | last epoch (val. %) | test %, kept | test %, last | change |")
    print("|---|---|---|---:|---:|---:|", flush=True)
    shown = lambda value: "-" if value is None else f"{value:.1f}"
    rows, notes = [], []
    for run in args.runs:
        if run in skipped:
            continue
        try:
            r = compare(run, args.data, args.device)
        except (ValueError, OSError, KeyError, RuntimeError) as error:  # one unreadable run: the others are scored
            print(f"not scored: {run}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            continue
        rows.append(r)
        # each row as soon as it is scored: a run cut by a time limit keeps the rows it finished
        print(
            f"| {r['run']} | {r['kept_epoch']} ({shown(r['val_kept'])}) | {r['last_epoch']} ({shown(r['val_last'])}) "
            f"| {r['kept']:.1f} | {r['last']:.1f} | {r['last'] - r['kept']:+.1f} |",
            flush=True,
        )
        if r["last_epoch"] != r["epochs_run"]:
            notes.append(
                f"note: {r['run']}: its newest checkpoint is of epoch {r['last_epoch']}, of {r['epochs_run']} run"
            )
        if abs(r["kept"] - r["recorded"]) > 0.05:
            notes.append(
                f"note: {r['run']}: its kept model scores {r['kept']:.1f} % here, {r['recorded']:.1f} % at the end of training"
            )
    if notes:
        print("\n" + "\n".join(notes))
    if len(rows) > 1:
        changes = [r["last"] - r["kept"] for r in rows]
        try:
            from scipy.stats import ttest_rel  # a dependency of the `bench` extra; GPU machines may lack it

            p = f"; paired t-test p = {ttest_rel([r['last'] for r in rows], [r['kept'] for r in rows]).pvalue:.3f}"
        except ImportError:
            p = ""
        print(
            f"\n{len(rows)} runs: the last epoch {statistics.mean(changes):+.2f} points on average "
            f"(higher / equal / lower: {sum(c > 0 for c in changes)} / {sum(c == 0 for c in changes)} / "
            f"{sum(c < 0 for c in changes)}{p})"
        )


if __name__ == "__main__":
    main()
