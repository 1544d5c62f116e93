"""Test-time averaging over shifted chunk grids (issue 11's "test-time averaging over shifted
windows"): a trained run's test recordings scored with the chunk grid started 0, 1/4, 1/2 and 3/4 of
the model's chunk stride after the trimmed onset (0, 16, 32 and 48 frames of 10 ms at the default stride 64), alone and with the log-probabilities of
the first k shifts averaged.

    python scripts/shift_average.py RUN_DIR [RUN_DIR ...] [--data RAVDESS]

Each RUN_DIR is a training run of any split: its metrics.json lists the test recordings (or, in runs
older than that list, names the test actors). With several runs, a last table gives each run's change
from averaging against its own unshifted score, and the mean change with a paired t-test. Measured 2026-11-26 on the
bundled Model 2 (test actors 2 and 11, 120 recordings): 69.2 / 70.8 / 65.0 / 66.7 % per shift, 71.7 /
70.0 / 68.3 % averaged over 2 / 3 / 4 shifts. Measured 2026-11-27 on 17 Model 2 runs of the `paper` split (40
CPU epochs): -0.04 / +0.16 / +0.08 points averaged over 2 / 3 / 4 grids (paired p >= 0.82), while a single
shifted grid costs about 3 points (p <= 0.002): no gain, so it is not part of inference
(reports/recipe-ablation.md).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch

from ser_hf.audio import AUDIO_SUFFIXES, load_audio
from ser_hf.data.ravdess import NAME_PATTERN, parse_name
from ser_hf.inference import load_model

SHIFTS = (0, 0.25, 0.5, 0.75)
"""Grid shifts, as shares of the chunk stride (a whole stride would only drop the first chunk)."""


def listed_recordings(run_dir: str, files: list[Path]) -> list[tuple[Path, dict]]:
    """The run's test recordings among `files`: those its metrics.json lists, else those of its test actors.
    Raises ValueError when a listed recording is not among them (another --data folder)."""
    metrics = json.loads((Path(run_dir) / "metrics.json").read_text())
    test = metrics.get("test") or {}
    rows = [(p, parse_name(p.name)) for p in files if NAME_PATTERN.match(p.name)]  # RAVDESS recordings only
    if test.get("ids"):
        ids = set(test["ids"])
        rows = [(p, meta) for p, meta in rows if p.stem in ids]
        if len(rows) != len(ids):
            raise ValueError(f"{run_dir}: {len(ids) - len(rows)} of its {len(ids)} test recordings are not in --data")
        return rows
    rows = [(p, meta) for p, meta in rows if meta["actor"] in set(metrics.get("test_actors") or [])]
    if not rows:
        raise ValueError(f"{run_dir}: no test recordings listed, nor any of its test actors in --data")
    return rows


def grid_shifts(extractor) -> list[int]:
    """`SHIFTS` in frames of the extractor's chunk stride (distinct: a tiny stride repeats some)."""
    return sorted({round(share * extractor.chunk_stride) for share in SHIFTS})


@torch.no_grad()
def shifted_log_probabilities(model, extractor, paths: list[Path]) -> dict[int, torch.Tensor]:
    """Each shift (frames) -> the log-probabilities (recordings, labels) with the chunk grid started that
    many frames after the trimmed onset; shift 0 is the model's ordinary prediction."""
    log_probs = {shift: [] for shift in grid_shifts(extractor)}
    for path in paths:
        samples, _ = load_audio(path, extractor.sampling_rate)
        waveform, lengths = extractor.trim_batch(torch.from_numpy(samples)[None], torch.tensor([len(samples)]))
        end = int(lengths[0])
        for shift, values in log_probs.items():  # a clip shorter than the shift keeps its last FFT window
            shifted = waveform[:, min(shift * extractor.hop_length, max(0, end - extractor.min_samples)) : end]
            features = extractor.extract_batch(shifted, torch.tensor([shifted.shape[1]]), trim_silence=False)
            values.append(model(**features).logits[0].log_softmax(-1))
    return {shift: torch.stack(values) for shift, values in log_probs.items()}


def accuracies(log_probs: dict[int, torch.Tensor], labels: torch.Tensor) -> dict[str, float]:
    """Accuracy (%) at each shift ("shift N") and with the first k shifts averaged ("mean of k")."""
    shifts = sorted(log_probs)
    scores = {f"shift {s}": 100 * (log_probs[s].argmax(-1) == labels).float().mean().item() for s in shifts}
    for k in range(2, len(shifts) + 1):
        mean = torch.stack([log_probs[s] for s in shifts[:k]]).mean(0)
        scores[f"mean of {k}"] = 100 * (mean.argmax(-1) == labels).float().mean().item()
    return scores


def score(run_dir: str, files: list[Path]) -> dict[str, float]:
    """`accuracies` of one run's test recordings."""
    model, extractor = load_model(run_dir)
    rows = listed_recordings(run_dir, files)
    labels = torch.tensor([meta["label"] for _, meta in rows])
    return accuracies(shifted_log_probabilities(model, extractor, [p for p, _ in rows]), labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    parser.add_argument("--data", default=os.environ.get("SER_HF_RAVDESS_DIR"), help="RAVDESS folder")
    args = parser.parse_args()
    if not args.data:
        parser.error("give --data or set SER_HF_RAVDESS_DIR")
    from scipy.stats import ttest_rel  # before the scoring: a missing scipy fails at once

    files = sorted(p for p in Path(args.data).rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    results = {}
    for run_dir in args.run_dirs:
        results[run_dir] = score(run_dir, files)
        print(f"{run_dir}: " + ", ".join(f"{name} {value:.1f} %" for name, value in results[run_dir].items()))
    if len(results) < 2:
        return
    averaged = [f"mean of {k}" for k in range(2, len(SHIFTS) + 1)]
    print("\n| run | unshifted % | " + " | ".join(f"{name} shifts, change" for name in averaged) + " |")
    print("|---|---:|" + "---:|" * len(averaged))
    for run_dir, scores in results.items():
        changes = " | ".join(f"{scores[name] - scores['shift 0']:+.1f}" for name in averaged)
        print(f"| {Path(run_dir).name} | {scores['shift 0']:.1f} | {changes} |")
    base = [scores["shift 0"] for scores in results.values()]
    summary = []
    for name in averaged:
        values = [scores[name] for scores in results.values()]
        changes = [v - b for v, b in zip(values, base, strict=True)]
        p = f"{ttest_rel(values, base).pvalue:.2g}" if len(set(changes)) > 1 else "n/a"  # no spread: no test
        summary.append(f"{sum(changes) / len(changes):+.2f} (p = {p})")
    print(
        f"| mean of {len(results)} runs (paired t-test) | {sum(base) / len(base):.1f} | " + " | ".join(summary) + " |"
    )


if __name__ == "__main__":
    main()
