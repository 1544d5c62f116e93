#!/usr/bin/env bash
# The prepared GPU check: on a bare GPU machine without network (after scripts/gpu_prepare.sh here),
# installs the package, trains side by side on the one GPU
#   - Model 2 and Model 1 (uniform noise, as the paper) on the paper split for the paper's 200 epochs,
#   - Model 2 on the speaker split (100 epochs),
#   - Model 2 on the paper split in bf16 autocast (does the accuracy hold?),
# each with the GPU training path (static shapes, torch.compile with CUDA graphs, fused AdamW), and
# prints a table: wall time, epochs/s, test accuracy, peak GPU memory; the logs and the table go to
# $OUT (or runs/gpu-check).
#   bash scripts/gpu_check.sh
# Dry run of the same code path on the CPU, one short epoch each (EXTRA_ARGS go to every run):
#   DEVICE=cpu EPOCHS=1 SPEAKER_EPOCHS=1 EXTRA_ARGS="--noise_mode none --bn_recalibration_samples 64" bash scripts/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS="${EPOCHS:-200}"
SPEAKER_EPOCHS="${SPEAKER_EPOCHS:-100}"
DEVICE="${DEVICE:-cuda}"
OUT="${OUT:-runs/gpu-check}"
RUNS="${RUNS:-runs/gpu-check-runs}"
PYTHON="${PYTHON:-python3}"
rm -rf "$RUNS"
mkdir -p "$OUT" "$RUNS"

source scripts/gpu_setup.sh  # wheels, package, corpus, $OUT/environment.txt

launch=("$PYTHON" -m accelerate.commands.launch --num_processes 1 --num_machines 1 --dynamo_backend no)
[ "$DEVICE" = cpu ] && launch+=(--cpu)
common=(--training_path static --torch_compile reduce-overhead --seed 0 --overwrite_output_dir)
read -r -a extra <<<"${EXTRA_ARGS:-}"
common+=("${extra[@]}")
[ "$DEVICE" = cpu ] || common+=(--cuda_sync_debug warn)  # every host synchronisation of a step is logged
run() {  # NAME PRECISION TRAIN-OPTIONS...: one training in the background, its start and end time in $RUNS/NAME.wall
    local name="$1" precision="$2"
    shift 2
    (
        t0=$EPOCHREALTIME
        status=0
        "${launch[@]}" --mixed_precision "$precision" scripts/train.py --output_dir "$RUNS/$name" "$@" "${common[@]}" \
            >"$OUT/$name.log" 2>&1 || status=$?
        echo "$t0 $EPOCHREALTIME" >"$RUNS/$name.wall"
        [ "$status" = 0 ] || echo "$name failed (exit $status): see $OUT/$name.log"
        exit "$status"
    ) &
    pids+=($!)
}
pids=()
start=$EPOCHREALTIME
run m2-paper no --architecture 2 --split paper --recipe paper --epochs "$EPOCHS"
run m1-paper no --architecture 1 --split paper --recipe paper --epochs "$EPOCHS"
run m2-speaker no --architecture 2 --split speaker --recipe paper --epochs "$SPEAKER_EPOCHS"
run m2-paper-bf16 bf16 --architecture 2 --split paper --recipe paper --epochs "$EPOCHS"
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
echo "all runs: $start $EPOCHREALTIME (start and end, seconds)" 

"$PYTHON" - "$RUNS" "$OUT" <<'EOF'
import json, sys
from pathlib import Path
runs, out = Path(sys.argv[1]), Path(sys.argv[2])
rows = ["| run | device | epochs | wall time (s) | epochs/s | train+eval s/epoch | test accuracy | macro-F1 | peak GPU memory (MB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
for folder in sorted(p for p in runs.iterdir() if p.is_dir()):
    metrics_file = folder / "metrics.json"
    if not metrics_file.exists():
        rows.append(f"| {folder.name} | failed: no metrics.json | | | | | | | |")
        continue
    m = json.loads(metrics_file.read_text())
    wall_file = runs / f"{folder.name}.wall"
    t0, t1 = (float(v) for v in wall_file.read_text().split()) if wall_file.exists() else (0.0, float("nan"))
    wall = t1 - t0
    epochs = m["epochs_run"]
    rows.append(f"| {folder.name} ({m['mixed_precision']}) | {m['device']} | {epochs} | {wall:.0f} | {epochs / wall:.3g} | "
                f"{m['run_seconds'] / epochs:.2f} | {100 * m['test']['accuracy']:.1f} % | {100 * m['test']['macro_f1']:.1f} % | "
                f"{m['peak_device_memory_mb'] or '-'} |")
table = "\n".join(rows)
print(table)
(out / "table.md").write_text(table + "\n")
EOF
[ "$failed" = 0 ] || { echo "$failed run(s) failed"; exit 1; }
