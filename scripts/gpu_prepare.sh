#!/usr/bin/env bash
# Prepares a checkout for scripts/gpu_check.sh on a GPU machine that has no network (run it here, where
# PyPI is reachable): the wheels that machine's Python 3.12 lacks go to .whl/, the 16 kHz RAVDESS to
# data/ravdess-16k (both ignored by git; about 55 MB together, under a 64 MiB transfer limit).
#   bash scripts/gpu_prepare.sh [RAVDESS_DIR]     (default: $SER_HF_RAVDESS_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
source="${1:-${SER_HF_RAVDESS_DIR:?pass the RAVDESS folder or set SER_HF_RAVDESS_DIR}}"

# datasets, evaluate and soundfile with the needs that image lacks (it has pyarrow, pandas, fsspec,
# xxhash, requests, tqdm, huggingface_hub, transformers, accelerate, tensorboard, matplotlib)
wheels=(datasets==5.2.0 evaluate==0.4.6 soundfile==0.14.0 cffi==2.1.1 pycparser==3.12 dill==0.4.1 multiprocess==0.70.19)
rm -rf .whl
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "${wheels[@]}"

mkdir -p data
rm -rf data/ravdess-16k
cp -r "$source" data/ravdess-16k
du -sh .whl data/ravdess-16k
