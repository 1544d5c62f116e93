"""Parameter counts and per-clip CPU latency (features + forward, batch 1) of both models.

    python scripts/model_stats.py [--clip PATH] [--threads N] [--repeats N]

Without --clip it takes a 3.5 s RAVDESS clip from $SER_HF_RAVDESS_DIR. Prints a markdown table.
Weights are random: latency does not depend on them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch

import ser_hf
from ser_hf.audio import load_audio


def find_clip(target_seconds: float = 3.5) -> Path:
    root = os.environ.get("SER_HF_RAVDESS_DIR")
    if not root:
        raise SystemExit("pass --clip PATH or set SER_HF_RAVDESS_DIR to the RAVDESS speech folder")
    import soundfile as sf

    files = sorted(Path(root).glob("Actor_*/*.*"))
    return min(files[:200], key=lambda p: abs(sf.info(str(p)).duration - target_seconds))


def time_call(fn, repeats: int, warmup: int = 5) -> list[float]:
    """Seconds of each of `repeats` calls of `fn`, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clip_path = args.clip or find_clip()
    samples, rate = load_audio(clip_path)
    extractor = ser_hf.SerFeatureExtractor()
    features = extractor(samples, sampling_rate=rate, return_tensors="pt")
    print(f"clip: {clip_path} ({len(samples) / rate:.2f} s, {features['input_values'].shape[1]} chunks after trimming)")
    print(f"torch {torch.__version__}, {args.threads} threads, median of {args.repeats} runs\n")
    print("| model | parameters | weights (MB, fp32) | features (ms) | forward (ms) | features + forward (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    feature_ms = (
        statistics.median(time_call(lambda: extractor(samples, sampling_rate=rate, return_tensors="pt"), args.repeats))
        * 1e3
    )
    for number, cls in ser_hf.MODEL_CLASSES.items():
        model = cls(cls.config_class()).eval()
        params = sum(p.numel() for p in model.parameters())

        def forward(model=model):
            with torch.inference_mode():
                model(**features)

        def end_to_end(model=model):
            with torch.inference_mode():
                model(**extractor(samples, sampling_rate=rate, return_tensors="pt"))

        forward_ms = statistics.median(time_call(forward, args.repeats)) * 1e3
        total_ms = statistics.median(time_call(end_to_end, args.repeats)) * 1e3
        print(
            f"| Model {number} ({cls.__name__}) | {params:,} | {params * 4 / 1e6:.2f} | {feature_ms:.2f} | "
            f"{forward_ms:.2f} | {total_ms:.2f} |"
        )


if __name__ == "__main__":
    main()
