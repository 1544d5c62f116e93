# Sourced by the GPU scripts (scripts/gpu_check.sh, scripts/gpu_recipes.sh) on a bare GPU machine
# without network, after scripts/gpu_prepare.sh here: installs the carried wheels and the package,
# points SER_HF_RAVDESS_DIR at the carried corpus, writes $OUT/environment.txt and decodes the corpus
# into its cache once, before the runs that share it start. Needs PYTHON and OUT.
if [ -d .whl ]; then  # datasets, evaluate, soundfile, cffi... that the GPU image lacks
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
if ! "$PYTHON" -c "import ser_hf.model_cards" 2>/dev/null; then
    "$PYTHON" -m pip install -q --no-deps --no-build-isolation -e .
fi
export SER_HF_RAVDESS_DIR="${SER_HF_RAVDESS_DIR:-$PWD/data/ravdess-16k}"
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True  # several processes share the card's memory
export TOKENIZERS_PARALLELISM=false
"$PYTHON" - <<'PY' | tee "$OUT/environment.txt"
import platform, torch, transformers, accelerate
print("python", platform.python_version(), "torch", torch.__version__, "transformers", transformers.__version__,
      "accelerate", accelerate.__version__)
print("device:", torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU (CPU dry run)")
PY
"$PYTHON" -c "
import ser_hf
from ser_hf.data.common import decode_waveforms
from ser_hf.data.ravdess import default_cache_dir, load_ravdess
decode_waveforms(load_ravdess(None), ser_hf.SerFeatureExtractor(), cache_dir=str(default_cache_dir() / 'waveforms'))
"
