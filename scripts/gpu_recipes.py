"""Long schedules of the training recipes, side by side on one GPU, inside a fixed wall-clock budget
(issue 11: do the regularisers pay off where the paper's recipe memorised?).

Two phases, all runs at once in each:
1. a probe: every run for a few epochs (--probe_epochs), which measures the start-up and the seconds per epoch of each
   run while all share the card (and checks that the training path works there; if a probe fails,
   phase 2 falls back to the eager reference path, planned from the probes that passed; the script
   stops if none did);
2. the runs, with as many epochs (at most --max_epochs, rounded down to tens) as the slowest run
   fits into what is left of the budget, and `--max_train_seconds` as a safety net: a run that
   still overruns is tested at its best epoch so far, and the table says so.
Every log line is time-stamped; the table (`table.md`), the plan (`plan.json`) and the runs (logs,
metrics, and the model folders of the speaker-split runs, without checkpoints) go to --out.

    bash scripts/gpu_recipes.sh                  # on the GPU machine: sets up, then runs this
    DEVICE=cpu BUDGET=420 MAX_EPOCHS=3 PROBE_EPOCHS=2 RUNS="m2-ours-s0 m1-speaker" bash scripts/gpu_recipes.sh   # CPU dry run
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SPLITS = {"": ["--split", "paper"], "strict-": ["--split", "paper-strict"]}

RUNS: dict[str, list[str]] = {
    # the paper protocols, seeds 0-2: m2-regularised-s0, m1-ours-strict-s2, ...
    **{
        f"m{arch}-{recipe}-{tag}s{seed}": ["--architecture", str(arch), *split, "--recipe", recipe, "--seed", str(seed)]
        for arch in (2, 1)
        for recipe in ("ours", "regularised")
        for tag, split in SPLITS.items()
        for seed in (0, 1, 2)
    },
    # the 6 speaker-independent folds (4 test actors each), seed 0: m2-regularised-kfold-f0 ... -f5
    **{
        f"m{arch}-{recipe}-kfold-f{fold}": [
            *("--architecture", str(arch), "--split", "actor-kfold", "--fold", str(fold)),
            *("--recipe", recipe, "--seed", "0"),
        ]
        for arch in (2, 1)
        for recipe in ("ours", "regularised")
        for fold in range(6)
    },
    # the bundled models' split: test actors 2 and 11 (what `scripts/bundle_model.py` ships)
    "m2-speaker": ["--architecture", "2", "--split", "speaker", "--recipe", "ours", "--seed", "42"],
    "m1-speaker": ["--architecture", "1", "--split", "speaker", "--recipe", "ours", "--seed", "42"],
}
"""The runs this script knows, by name: `--runs` picks among them."""

DEFAULT_RUNS = [*(f"m2-{r}-s{s}" for r in ("ours", "regularised") for s in (0, 1, 2)), "m2-speaker", "m1-speaker"]

FINAL_SECONDS = 45  # after training: best model loaded, validation and test predicted, files written


def launch(name: str, options: list[str], output_dir: Path, log: Path, t0: float, device: str, threads: int):
    """Starts one `accelerate launch scripts/train.py` run; a thread writes its output to `log`, each
    line prefixed with the seconds since t0."""
    command = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "1", "--num_machines", "1"]
    command += ["--dynamo_backend", "no", "--mixed_precision", "no"] + (["--cpu"] if device == "cpu" else [])
    folder = output_dir.relative_to(REPO) if output_dir.is_relative_to(REPO) else output_dir  # for the card
    command += ["scripts/train.py", "--output_dir", str(folder), "--overwrite_output_dir", *options]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "TQDM_DISABLE": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )

    def copy():
        with log.open("w") as sink:
            sink.write(f"{time.time() - t0:8.2f} $ {' '.join(command[3:])}\n")
            for line in process.stdout:
                sink.write(f"{time.time() - t0:8.2f} {line}")
                sink.flush()

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    return process, thread


def run_all(runs: dict[str, list[str]], folder: Path, logs: Path, t0: float, device: str) -> dict[str, dict]:
    """Runs all at once and waits; per run: exit code, launch time, time-stamps of each epoch's line."""
    threads = max(1, (os.cpu_count() or 2) // len(runs))
    started = {}
    for name, options in runs.items():
        started[name] = (
            time.time() - t0,
            *launch(name, options, folder / name, logs / f"{name}.log", t0, device, threads),
        )
    outcome = {}
    for name, (launched, process, thread) in started.items():
        code = process.wait()
        thread.join()
        epochs = [
            float(line.split()[0])
            for line in (logs / f"{name}.log").read_text().splitlines()
            if len(line.split()) > 1 and line.split()[1].startswith("epoch=")
        ]
        outcome[name] = {"exit": code, "launched": launched, "epoch_times": epochs}
    return outcome


def seconds_per_epoch(probe: dict[str, dict]) -> dict[str, float]:
    """Each run's seconds per epoch while all runs train at once: the mean time between its epochs
    that end after every run's first epoch (all past their start-up, which differs by seconds) and
    before any run's last (none finished yet). A run with fewer than two epochs in that window gets
    its longest epoch-to-epoch time. (With 12 runs, the last epoch of a 2-epoch probe gave 2.3 s,
    against the 3.1-3.5 s that the same runs then took.)"""
    start = max(p["epoch_times"][0] for p in probe.values())
    end = min(p["epoch_times"][-1] for p in probe.values())
    measured = {}
    for name, p in probe.items():
        inside = [t for t in p["epoch_times"] if start <= t <= end]
        if len(inside) > 1:
            measured[name] = (inside[-1] - inside[0]) / (len(inside) - 1)
        else:
            measured[name] = max(b - a for a, b in zip(p["epoch_times"], p["epoch_times"][1:]))
            print(
                f"{name}: fewer than two probe epochs ended while all runs trained; planned from its longest"
                f" epoch ({measured[name]:.2f} s), which may be short of the steady state: raise --probe_epochs",
                flush=True,
            )
    return measured


def plan_epochs(probe: dict[str, dict], seconds_left: float, max_epochs: int) -> tuple[int, float, dict]:
    """Epochs that the slowest run fits into `seconds_left` (start-up and final evaluation set aside,
    15 % slack), rounded down to tens; and the training seconds each run may take."""
    startup = max(p["epoch_times"][0] - p["launched"] - p["per_epoch"] for p in probe.values())
    per_epoch = max(p["per_epoch"] for p in probe.values())
    train_seconds = seconds_left - FINAL_SECONDS - startup
    epochs = max(1, min(max_epochs, int(train_seconds / (1.15 * per_epoch))))
    if epochs >= 20:
        epochs -= epochs % 10
    return epochs, train_seconds, {"startup_seconds": startup, "seconds_per_epoch": per_epoch}


def table(folder: Path, names: list[str], epochs: int) -> str:
    rows = [
        (
            "| run | epochs run / planned | stopped | best epoch | best val. accuracy | test accuracy | test macro-F1 "
            "| test ECE after T | s / epoch (with eval.) | peak GPU MB |"
        ),
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    groups: dict[str, list[float]] = {}
    for name in names:
        file = folder / name / "metrics.json"
        if not file.exists():
            rows.append(f"| {name} | failed: no metrics.json | | | | | | | | |")
            continue
        m = json.loads(file.read_text())
        best_val = max(h.get("val_accuracy", 0.0) for h in m["history"])
        ece = (m.get("calibration") or {}).get("test", {}).get("after", {}).get("ece")
        rows.append(
            f"| {name} | {m['epochs_run']} / {epochs} | {m.get('stopped') or ''} | {m['best_epoch']}"
            f"{'' if m.get('kept_epoch', m['best_epoch']) == m['best_epoch'] else ', tested ' + str(m['kept_epoch'])} | "
            f"{100 * best_val:.1f} % | {100 * m['test']['accuracy']:.1f} % | {100 * m['test']['macro_f1']:.1f} % | "
            f"{'' if ece is None else f'{ece:.3f}'} | {m['run_seconds'] / m['epochs_run']:.2f} | "
            f"{m.get('peak_device_memory_mb') or '-'} |"
        )
        groups.setdefault(re.sub(r"-[sf]\d+$", "", name), []).append(m["test"]["accuracy"])  # seeds or folds
    rows += ["", "| group | runs | test accuracy, mean ± std | each |", "|---|---:|---:|---|"]
    for group, values in groups.items():
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        each = " / ".join(f"{100 * v:.1f}" for v in values)
        rows.append(
            f"| {group} | {len(values)} | {100 * statistics.mean(values):.1f} ± {100 * spread:.1f} % | {each} |"
        )
    return "\n".join(rows)


def pack(folder: Path, logs: Path, names: list[str], target: Path) -> None:
    """Logs, metrics and training arguments of every run; the whole model folder (no checkpoints) of
    the speaker-split runs, the candidates for `scripts/bundle_model.py`."""
    with tarfile.open(target, "w:gz") as tar:
        for log in sorted(logs.glob("*.log")):
            tar.add(log, arcname=f"logs/{log.name}")
        for name in names:
            run = folder / name
            if not run.exists():
                continue
            for file in sorted(run.iterdir()):
                keep = file.name in ("metrics.json", "training_args.json") or ("speaker" in name and file.is_file())
                if keep:
                    tar.add(file, arcname=f"runs/{name}/{file.name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", default=DEFAULT_RUNS, choices=list(RUNS))
    parser.add_argument("--budget", type=float, default=520.0, help="seconds for everything, counted from --start")
    parser.add_argument("--start", type=float, default=None, help="epoch seconds the budget counts from (now)")
    parser.add_argument("--max_epochs", type=int, default=200)
    parser.add_argument("--probe_epochs", type=int, default=5, help="enough for the runs' epochs to overlap")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "gpu-recipes")
    parser.add_argument("--work", type=Path, default=REPO / "runs" / "gpu-recipes-runs")
    args, extra = parser.parse_known_args()  # anything else goes to every training run
    if args.probe_epochs < 2:
        parser.error("--probe_epochs must be at least 2: the seconds per epoch come from the times between epochs")
    t0 = args.start or time.time()
    deadline = t0 + args.budget
    shutil.rmtree(args.work, ignore_errors=True)
    logs = args.work / "logs"
    logs.mkdir(parents=True)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {name: RUNS[name] + extra for name in args.runs}

    probe_epochs = ["--epochs", str(args.probe_epochs), "--save_every", "1000"]
    probe = run_all(
        {f"probe-{n}": o + probe_epochs for n, o in runs.items()}, args.work / "probe", logs, t0, args.device
    )
    passed = {n: p for n, p in probe.items() if p["exit"] == 0 and len(p["epoch_times"]) >= args.probe_epochs}
    fallback = []
    if len(passed) < len(probe):  # the eager reference path, for every run alike (no-op if already eager)
        print(f"probes failed: {sorted(set(probe) - set(passed))}; phase 2 runs the eager reference path", flush=True)
        fallback = ["--training_path", "eager", "--torch_compile", "no"]
    if not passed:
        print("no probe finished its epochs: nothing to plan from (see the probe logs)", flush=True)
        pack(args.work, logs, [], args.out / "runs.tar.gz")
        return 1
    for name, seconds in seconds_per_epoch(passed).items():
        passed[name]["per_epoch"] = seconds
    epochs, train_seconds, measured = plan_epochs(passed, deadline - time.time(), args.max_epochs)
    plan = {"probe": probe, **measured, "epochs": epochs, "max_train_seconds": train_seconds, "fallback": fallback}
    print(json.dumps({k: v for k, v in plan.items() if k != "probe"}), flush=True)
    (args.out / "plan.json").write_text(json.dumps(plan, indent=2))

    budget = ["--epochs", str(epochs), "--max_train_seconds", f"{max(1.0, train_seconds):.0f}", "--save_every", "50"]
    outcome = run_all({n: o + budget + fallback for n, o in runs.items()}, args.work, logs, t0, args.device)
    plan["runs"] = outcome
    (args.out / "plan.json").write_text(json.dumps(plan, indent=2))
    text = table(args.work, list(runs), epochs)
    print(text, flush=True)
    (args.out / "table.md").write_text(text + "\n")
    pack(args.work, logs, list(runs), args.out / "runs.tar.gz")
    print(f"done at {time.time() - t0:.0f} s of a {args.budget:.0f} s budget", flush=True)
    return int(any(o["exit"] != 0 for o in outcome.values()))


if __name__ == "__main__":
    sys.exit(main())
