"""Fits the calibration temperature of a trained model folder that has none (one trained before
`ser-hf train` calibrated its models), on the validation actors named in its metrics.json, and writes
it into config.json, metrics.json (ECE and NLL before and after, validation and test) and the card.

    python scripts/calibrate.py --model models/ser-cnn-bilstm-attention-ravdess [--data RAVDESS]

Run it on a model you trained; the top labels do not change, only the probabilities.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a model folder written by ser-hf train")
    parser.add_argument("--data", default=None, help="RAVDESS (default $SER_HF_RAVDESS_DIR)")
    args = parser.parse_args()
    from accelerate import Accelerator
    from ser_hf.model_cards import write_model_card

    from ser_hf.calibration import calibration_report, fit_temperature
    from ser_hf.data.common import decode_waveforms
    from ser_hf.data.ravdess import load_ravdess
    from ser_hf.data.splits import actor_split
    from ser_hf.inference import load_model
    from ser_hf.training.batches import EvaluationItems, WaveformBank, collate
    from ser_hf.training.validation import predict_rows

    folder = Path(args.model)
    summary = json.loads((folder / "metrics.json").read_text())
    if not summary.get("validation_actors"):
        print(f"error: {folder}/metrics.json names no validation actors to fit on", file=sys.stderr)
        return 2
    model, extractor = load_model(folder)
    model.config.temperature = 1.0
    dataset = load_ravdess(args.data)
    split = actor_split(dataset, summary["validation_actors"], summary["test_actors"])
    accelerator = Accelerator(cpu=True)
    logits, references = {}, {}
    for part in ("validation", "test"):
        rows = getattr(split, part)
        subset = decode_waveforms(dataset.select(rows), extractor)
        bank = WaveformBank.from_dataset(subset)
        loader = torch.utils.data.DataLoader(EvaluationItems(range(len(rows))), batch_size=64, collate_fn=collate)
        outcome = predict_rows(model, loader, bank, extractor, accelerator)
        logits[part], references[part] = outcome["logits"], torch.tensor(outcome["references"])
    temperature = fit_temperature(logits["validation"], references["validation"])
    summary["calibration"] = {part: calibration_report(logits[part], references[part], temperature) for part in logits}
    model.config.temperature = temperature
    model.config.save_pretrained(folder)
    (folder / "metrics.json").write_text(json.dumps(summary, indent=2))
    write_model_card(folder, summary, json.loads((folder / "training_args.json").read_text()))
    for part, report in summary["calibration"].items():
        print(
            f"{folder.name} {part}: T = {temperature:.3f}, ECE {report['before']['ece']:.3f} -> {report['after']['ece']:.3f}, "
            f"NLL {report['before']['nll']:.3f} -> {report['after']['nll']:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
