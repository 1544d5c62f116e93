"""Test-time averaging over shifted chunk grids (issue 11's "test-time averaging over shifted
windows"): a trained run's test recordings scored with the chunk grid started 0, 16, 32 and 48 frames
(10 ms each; the chunk stride is 64) after the trimmed onset, alone and with the log-probabilities of
the first k shifts averaged.

    python scripts/shift_average.py RUN_DIR [--data RAVDESS]

RUN_DIR is a speaker-split run (its metrics.json names the test actors). Measured 2026-11-26 on the
bundled Model 2 (test actors 2 and 11, 120 recordings): 69.2 / 70.8 / 65.0 / 66.7 % per shift, 71.7 /
70.0 / 68.3 % averaged over 2 / 3 / 4 shifts: no gain beyond the +-4 points of one 120-recording test set,
so it is not part of inference.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch

from ser_hf.audio import AUDIO_SUFFIXES, load_audio
from ser_hf.data.ravdess import parse_name
from ser_hf.inference import load_model

SHIFTS = (0, 16, 32, 48)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--data", default=os.environ.get("SER_HF_RAVDESS_DIR"), help="RAVDESS folder")
    args = parser.parse_args()
    if not args.data:
        parser.error("give --data or set SER_HF_RAVDESS_DIR")
    model, extractor = load_model(args.run_dir)
    actors = set(json.loads((Path(args.run_dir) / "metrics.json").read_text())["test_actors"])
    files = sorted(p for p in Path(args.data).rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    rows = [(p, parse_name(p.name)) for p in files]
    rows = [(p, meta) for p, meta in rows if meta["actor"] in actors]
    labels = torch.tensor([meta["label"] for _, meta in rows])
    log_probs = {shift: [] for shift in SHIFTS}
    with torch.no_grad():
        for path, _ in rows:
            samples, _ = load_audio(path)
            waveform, lengths = extractor.trim_batch(torch.from_numpy(samples)[None], torch.tensor([len(samples)]))
            for shift in SHIFTS:
                shifted = waveform[:, shift * extractor.hop_length : int(lengths[0])]
                features = extractor.extract_batch(shifted, torch.tensor([shifted.shape[1]]), trim_silence=False)
                log_probs[shift].append(model(**features).logits[0].log_softmax(-1))
    stacked = {shift: torch.stack(values) for shift, values in log_probs.items()}
    print(f"{args.run_dir}: {len(rows)} test recordings of actors {sorted(actors)}")
    for shift in SHIFTS:
        accuracy = (stacked[shift].argmax(-1) == labels).float().mean().item()
        print(f"grid shifted by {shift:2d} frames: {100 * accuracy:.1f} %")
    for k in range(2, len(SHIFTS) + 1):
        mean = torch.stack([stacked[s] for s in SHIFTS[:k]]).mean(0)
        print(f"averaged over shifts {SHIFTS[:k]}: {100 * (mean.argmax(-1) == labels).float().mean().item():.1f} %")


if __name__ == "__main__":
    main()
