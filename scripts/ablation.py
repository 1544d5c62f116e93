"""Recipe ablation: trains the default recipe (`ours`), the paper's (`--recipe paper`), the
`regularised` one, `regularised` and `ours` with one ingredient removed at a time, and `ours` with one
added or made stronger, same seeds, same protocol, one run after another; then prints the table.

    python scripts/ablation.py --architecture 2 --split paper --epochs 20 --seeds 0 [--variants ours paper ...]
    python scripts/ablation.py --architecture 2 --split actor-kfold --epochs 30 --folds 0 1 2 3 4 5

Runs live in `--out/<split>-m<architecture>-e<epochs>/<variant>-s<seed>[-f<fold>]/` (`--epochs`, also for a variant
that trains for a share of it: `EPOCH_SHARE`); finished runs are skipped and
interrupted ones resumed, so the script can be stopped and started again (a CPU session at a time).
`--table FILE` also writes the markdown tables; `--per_class` adds each variant's per-emotion test scores
(the paper's Table 3, mean ± std over runs) and its confusion matrix summed over runs (over the 6 folds of
one seed: every recording once) with each emotion's pooled recall.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

REGULARISED = ["--recipe", "regularised"]
COMBINATION = ["--learning_rate", "3e-3", "--num_mel_bins", "64"]  # the two candidates that led on validation
VARIANTS: dict[str, list[str]] = {
    "ours": [],  # = the paper's recipe plus speed and channel variation on its noisy copies and EMA
    "paper": ["--recipe", "paper"],
    "regularised": REGULARISED,
    "regularised-no-mixup": [*REGULARISED, "--mixup_alpha", "0"],
    "regularised-no-crop": [*REGULARISED, "--crop_chunks", "0"],
    "regularised-no-specaugment": [*REGULARISED, "--freq_mask_param", "0", "--time_mask_param", "0"],
    "regularised-fixed-copies": [*REGULARISED, "--noise_mode", "copies", "--noise_copies", "2"],
    "regularised-weight-decay-1e-3": [*REGULARISED, "--weight_decay", "1e-3"],
    "ours-no-channel-speed": ["--channel_prob", "0", "--speed_perturb", "0"],
    "ours-no-channel": ["--channel_prob", "0"],  # speed perturbation alone: which of the two carries the gain
    "ours-no-ema": ["--ema_decay", "0"],
    "ours-global-normalization": ["--normalization", "global"],  # keeps each clip's level (not robust to gain)
    # `ours` plus one ingredient of `regularised` (the values it uses): what each adds at a short schedule
    "ours-specaugment": ["--freq_mask_param", "16", "--time_mask_param", "24"],
    "ours-mixup": ["--mixup_alpha", "0.4"],
    "ours-label-smoothing": ["--label_smoothing", "0.1"],
    "ours-weight-decay-0.05": ["--weight_decay", "0.05"],  # regularised's decoupled weight decay, 50x ours
    # more of what `ours` adds (speed and channel variation, +5.4 points over 3 seeds), at no extra compute:
    # every noisy copy through another channel, speed x0.85-1.15
    "ours-stronger-channel-speed": ["--channel_prob", "1", "--speed_perturb", "0.15"],
    # 4 noisy copies instead of 2 for 3/5 of the epochs (EPOCH_SHARE): 5 clips a recording instead of 3, the same
    # passes over the recordings, more distinct training clips
    "ours-4-copies-equal-steps": ["--noise_copies", "4"],
    # the feature grid: chunks every 32 frames instead of 64, about 5 chunks a RAVDESS clip instead of 3 (the CNN
    # sees more shifted views, the (Bi)LSTM more steps; measured: 1.3x the training time, reports/recipe-ablation.md)
    "ours-chunk-stride-32": ["--chunk_stride", "32"],
    # random crops alone: a window of 2 consecutive chunks per clip per step (1.92 s of a trimmed clip's ~2.7 chunks;
    # regularised's 3 keeps nearly every RAVDESS clip whole at stride 64)
    "ours-crop-2": ["--crop_chunks", "2"],
    # half the Mel bands (64 instead of the paper's 128): coarser frequency detail, half the CNN's input
    "ours-mel-64": ["--num_mel_bins", "64"],
    # the (Bi)LSTM's width (the paper gives none; ours: 128 a direction): half of it against memorisation, and double
    "ours-lstm-64": ["--lstm_hidden_size", "64"],
    "ours-lstm-256": ["--lstm_hidden_size", "256"],
    # the dense layer before the output layer (the paper gives no width; ours: 64): none (the attention summary
    # straight to the 8 outputs), and double
    "ours-dense-0": ["--classifier_hidden_size", "0"],
    "ours-dense-128": ["--classifier_hidden_size", "128"],
    # a random circular time shift of each noisy copy, up to +-0.32 s (half the chunk stride of 0.64 s), fixed per
    # copy like its noise: models trained without it lose 3 points when the chunk grid starts a share of a stride
    # later (scripts/shift_average.py, 17 runs); against that sensitivity to where the grid falls
    "ours-shift": ["--max_shift_seconds", "0.32"],
    # the onset crop, without the wrap: up to 0.32 s (half a stride) of each noisy copy's start dropped, so its
    # chunk grid starts where a shifted test-time grid would
    "ours-onset-crop": ["--onset_crop_seconds", "0.32"],
    # 64 Mel bands train in half the time of 128 (measured): twice the epochs (EPOCH_SHARE), about ours's CPU time
    "ours-mel-64-equal-time": ["--num_mel_bins", "64"],
    # the optimiser, which the paper leaves open (ours: AdamW, peak learning rate 1e-3 on a cosine, batch 32):
    # the peak learning rate 3x higher and 3x lower, and half the batch (twice the steps an epoch, noisier ones)
    "ours-lr-3e-3": ["--learning_rate", "3e-3"],
    "ours-lr-3e-4": ["--learning_rate", "3e-4"],
    "ours-batch-16": ["--batch_size", "16"],
    # the two candidates that led on validation (the rate 3e-3; 64 bands at ours's CPU time), together
    "ours-lr-3e-3-mel-64-equal-time": COMBINATION,
    # the same, each Mel band's mean over the clip removed (`--normalization band`): a fixed spectral envelope (a
    # speaker's timbre, a microphone's response; also the equaliser of ours's channel variation, and the clip's
    # long-term spectral tilt) largely drops out of the features; meant for speaker-independent splits
    "ours-lr-3e-3-mel-64-equal-time-band": [*COMBINATION, "--normalization", "band"],
    # `regularised` learns slowly (65 % at 40 CPU epochs, the best recipe at 120 GPU epochs): its regularisers
    # with the 3x learning rate that fits `ours` faster
    "regularised-lr-3e-3": [*REGULARISED, "--learning_rate", "3e-3"],
}
"""Variant name -> options added to `scripts/train.py`."""

EPOCH_SHARE = {
    "ours-4-copies-equal-steps": (3, 5),
    "ours-mel-64-equal-time": (2, 1),
    "ours-lr-3e-3-mel-64-equal-time": (2, 1),
    "ours-lr-3e-3-mel-64-equal-time-band": (2, 1),
}
"""Variants that train for this share of `--epochs` (rounded), so as to match `ours`'s passes over the
recordings or its training time; their runs stay in the `--epochs` folder of the runs they are compared with."""


def epoch_kept(metrics: dict) -> str:
    """The best validation epoch, and the one tested when `--load_best_model_at_end false` kept another."""
    kept = metrics.get("kept_epoch", metrics["best_epoch"])
    return str(metrics["best_epoch"]) + ("" if kept == metrics["best_epoch"] else f", tested {kept}")


def train_command(variant: str, seed: int, fold: int | None, args, extra: list[str], folder: Path) -> list[str]:
    """The `scripts/train.py` command line of one run (without the interpreter)."""
    share = EPOCH_SHARE.get(variant, (1, 1))
    epochs = max(1, round(args.epochs * share[0] / share[1]))
    return [
        str(Path(__file__).with_name("train.py")),
        "--output_dir",
        str(folder),
        "--architecture",
        str(args.architecture),
        "--split",
        args.split,
        *([] if fold is None else ["--fold", str(fold)]),
        "--epochs",
        str(epochs),
        "--seed",
        str(seed),
        *VARIANTS[variant],
        *extra,
    ]


def run(variant: str, seed: int, fold: int | None, args, extra: list[str]) -> dict | None:
    name = f"{variant}-s{seed}" + ("" if fold is None else f"-f{fold}")
    folder = Path(args.out) / f"{args.split}-m{args.architecture}-e{args.epochs}" / name
    metrics = folder / "metrics.json"
    if not metrics.exists():
        command = [sys.executable, *train_command(variant, seed, fold, args, extra, folder)]
        if (folder / "checkpoints" / "latest").exists():
            command.append("--resume")
        print("+", " ".join(command[1:]), flush=True)
        if subprocess.run(command, check=False).returncode != 0:
            print(f"{name}: training failed", file=sys.stderr)
            return None
    return json.loads(metrics.read_text())


def table(results: dict[str, dict[tuple, dict]], reference: str = "ours") -> str:
    """Mean ± std of each variant, and its difference to `reference` on the runs both have (same seed
    and fold: the same split and initialisation), each and on average, with a paired t-test."""

    def mean_std(values):
        values = [100 * v for v in values]
        return (statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0)

    base = results.get(reference, {})
    lines = [
        (
            "| variant | runs | test accuracy %, mean ± std | each run | vs ours, each paired run (mean; paired t-test p) "
            "| test macro-F1 % | best val. accuracy % (epoch) | train loss, last epoch |"
        ),
        "|---|---:|---:|---|---|---:|---:|---:|",
    ]
    for name, by_run in results.items():
        runs = list(by_run.values())
        if not runs:
            continue
        acc, acc_sd = mean_std([m["test"]["accuracy"] for m in runs])
        f1, f1_sd = mean_std([m["test"]["macro_f1"] for m in runs])
        best = " / ".join(
            f"{100 * max(h.get('val_accuracy', 0) for h in m['history']):.1f} ({epoch_kept(m)})" for m in runs
        )
        loss = " / ".join(f"{m['history'][-1]['train_loss']:.2f}" for m in runs)
        each = " / ".join(f"{100 * m['test']['accuracy']:.1f}" for m in runs)
        differences = [
            100 * (m["test"]["accuracy"] - base[key]["test"]["accuracy"]) for key, m in by_run.items() if key in base
        ]
        delta = ""
        if name != reference and differences:
            p = paired_p(differences)
            delta = " / ".join(f"{d:+.1f}" for d in differences) + f" ({statistics.mean(differences):+.1f}"
            delta += ")" if math.isnan(p) else f"; p = {p:.3f})"
        lines.append(
            f"| {name} | {len(runs)} | {acc:.1f} ± {acc_sd:.1f} | {each} | {delta} | {f1:.1f} ± {f1_sd:.1f} | {best} | {loss} |"
        )
    return "\n".join(lines)


def paired_p(differences: list[float]) -> float:
    """Two-sided p of a paired t-test on the paired runs' differences; NaN where it is undefined (the
    differences do not vary) or scipy (a dependency of the `bench` extra, so of `dev`) is missing."""
    if len(differences) < 2 or statistics.pstdev(differences) == 0:
        return math.nan
    try:
        from scipy.stats import ttest_1samp
    except ImportError:
        return math.nan
    return float(ttest_1samp(differences, 0.0).pvalue)


def runs_table(results: dict[str, dict[tuple, dict]]) -> str:
    """One row per run: its split (the held-out actors of a fold), test accuracy, macro-F1, best epoch."""
    lines = [
        "| variant | split | test accuracy % | test macro-F1 % | best epoch (val. accuracy %) | training time (min) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, by_run in results.items():
        for m in by_run.values():
            best = max(h.get("val_accuracy", 0) for h in m["history"])
            lines.append(
                f"| {name} | {m['split']} | {100 * m['test']['accuracy']:.1f} | {100 * m['test']['macro_f1']:.1f} "
                f"| {epoch_kept(m)} ({100 * best:.1f}) | {m['train_seconds'] / 60:.1f} |"
            )
    return "\n".join(lines)


def summed_confusion(runs: list[dict]) -> str:
    """The runs' test confusion matrices summed (rows: the true emotion, counts), with each emotion's recall
    pooled over them: over the 6 folds of one seed, every recording of the corpus once."""
    labels = runs[0]["labels"]
    if any(m["labels"] != labels for m in runs):
        raise ValueError("the runs name their classes differently: their confusion matrices cannot be summed")
    matrices = [m["test"]["confusion_matrix"] for m in runs]
    total = [[sum(matrix[i][j] for matrix in matrices) for j in range(len(labels))] for i in range(len(labels))]
    lines = [
        f"{sum(map(sum, total))} test recordings counted over {len(runs)} runs:",
        "",
        "| true \\ predicted | " + " | ".join(labels) + " | pooled recall % |",
        "|---|" + "---:|" * (len(labels) + 1),
    ]
    for i, (name, row) in enumerate(zip(labels, total)):
        recall = 100 * row[i] / sum(row) if sum(row) else float("nan")
        lines.append(f"| {name} | " + " | ".join(map(str, row)) + f" | {recall:.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--architecture", "--model", type=int, choices=(1, 2), default=2)
    parser.add_argument("--split", choices=("paper", "paper-strict", "speaker", "actor-kfold"), default="paper")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--folds", type=int, nargs="+", default=None, help="actor-kfold: the test folds to run")
    parser.add_argument("--variants", nargs="+", choices=tuple(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--out", default="runs/ablation")
    parser.add_argument("--table", help="also write the markdown table here")
    parser.add_argument(
        "--per_class",
        action="store_true",
        help="also the per-emotion test scores of each variant (mean ± std over runs) and its confusion summed over runs",
    )
    args, extra = parser.parse_known_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    if (args.folds is not None) != (args.split == "actor-kfold"):
        parser.error("--folds goes with --split actor-kfold, and actor-kfold needs --folds")
    runs = [(seed, fold) for seed in args.seeds for fold in (args.folds or [None])]
    results = {}
    for variant in args.variants:
        found = {(seed, fold): run(variant, seed, fold, args, extra) for seed, fold in runs}
        results[variant] = {key: m for key, m in found.items() if m is not None}
    text = table(results) + "\n\n" + runs_table(results)
    if args.per_class:
        from reproduce_paper import per_class  # scripts/ is on the path of a script run from it

        for name, by_run in results.items():
            if not by_run:
                continue
            try:  # one variant whose runs cannot be summed keeps the others' tables
                confusion = summed_confusion(list(by_run.values()))
            except ValueError as error:
                confusion = f"(no summed confusion: {error})"
            text += f"\n\n{name}:\n\n" + "\n".join(per_class(list(by_run.values()))[1]) + "\n\n" + confusion
    print(text)
    if args.table:
        Path(args.table).write_text(text + "\n")
    return 0 if all(len(r) == len(runs) for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
