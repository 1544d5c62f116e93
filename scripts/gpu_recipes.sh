#!/usr/bin/env bash
# Long schedules of the recipes on one GPU inside a wall-clock budget (scripts/gpu_recipes.py says
# what runs): sets up a bare GPU machine without network (after scripts/gpu_prepare.sh here), then
# runs them; the table, the plan and a tarball of the runs go to $OUT (or runs/gpu-recipes).
#   bash scripts/gpu_recipes.sh                     # BUDGET=520 seconds in all, from this script's start
# CPU dry run (EXTRA_ARGS go to every run):
#   DEVICE=cpu BUDGET=420 MAX_EPOCHS=3 PROBE_EPOCHS=2 RUNS="m2-ours-s0 m1-speaker" EXTRA_ARGS="--bn_recalibration_samples 64" bash scripts/gpu_recipes.sh
set -euo pipefail
export LC_ALL=C  # a decimal point in $EPOCHREALTIME
start=$EPOCHREALTIME
cd "$(dirname "$0")/.."
OUT="${OUT:-runs/gpu-recipes}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$OUT"
source scripts/gpu_setup.sh  # wheels, package, corpus, $OUT/environment.txt
if [ "${DEVICE:-cuda}" = cuda ] && [ "${MPS:-1}" = 1 ] && command -v nvidia-cuda-mps-control >/dev/null; then
    # CUDA MPS lets the kernels of the runs share the card at once instead of taking turns; kept only
    # if a CUDA context opens under it
    if nvidia-cuda-mps-control -d && timeout 60 "$PYTHON" -c "import torch; torch.ones(1, device='cuda').sum().item()"; then
        echo "CUDA MPS on" | tee -a "$OUT/environment.txt"
        trap 'echo quit | nvidia-cuda-mps-control || true' EXIT
    else
        echo quit | nvidia-cuda-mps-control || true
        echo "CUDA MPS off (it did not start, or no CUDA context opened under it)" | tee -a "$OUT/environment.txt"
    fi
fi
read -r -a runs <<<"${RUNS:-}"
read -r -a extra <<<"${EXTRA_ARGS:-}"
# default: the eager reference path (dynamic shapes) without torch.compile, no compile time to spend twice
"$PYTHON" scripts/gpu_recipes.py --start "$start" --budget "${BUDGET:-520}" --max_epochs "${MAX_EPOCHS:-200}" --device "${DEVICE:-cuda}" \
    --probe_epochs "${PROBE_EPOCHS:-5}" \
    --out "$OUT" ${runs[@]+--runs "${runs[@]}"} --training_path "${TRAINING_PATH:-eager}" --torch_compile "${TORCH_COMPILE:-no}" \
    "${extra[@]}"
