"""The main job of `make cli-demo`: the two bundled models (trained by `ser-hf train` on RAVDESS with
held-out actors) predict recordings of actors they never heard, then `ser-hf evaluate` scores them on
all of those actors. With --train, a fresh Model 1 is trained first (minutes on a CPU) and used instead.

    python scripts/demo.py [--data RAVDESS_DIR_OR_ZIP] [--train --output_dir outputs/demo-model1 --epochs 6]

RAVDESS comes from --data, else $SER_HF_RAVDESS_DIR, else a download of the Zenodo zip.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.environ.get("SER_HF_RAVDESS_DIR"))
    parser.add_argument(
        "--train", action="store_true", help="train a fresh Model 1 instead of using the bundled models"
    )
    parser.add_argument("--output_dir", default="outputs/demo-model1")
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()

    from ser_hf.cli import main as ser_hf
    from ser_hf.data.ravdess import load_ravdess

    data = ["--data", args.data] if args.data else []
    if args.train:
        models = [Path(args.output_dir)]
        if not (models[0] / "model.safetensors").exists():
            print(f"== training Model 1 on RAVDESS actors other than 1, 2, 13, 14 ({args.epochs} epochs)")
            code = ser_hf(
                [
                    "train",
                    "--output_dir",
                    args.output_dir,
                    "--architecture",
                    "1",
                    "--epochs",
                    str(args.epochs),
                    "--test_actors",
                    "1,2,13,14",
                    "--validation_actors",
                    "",
                    "--noise_mode",
                    "none",
                    "--learning_rate",
                    "2e-3",
                    *data,
                ]
            )
            if code:
                return code
    else:
        models = sorted(p for p in (REPO / "models").glob("*") if (p / "model.safetensors").exists())
    dataset = load_ravdess(args.data)
    code = 0
    for model in models:
        metrics = json.loads((model / "metrics.json").read_text())
        held_out = metrics["test_actors"]
        paths = [a["path"] for a, actor in zip(dataset["audio"], dataset["actor"]) if actor in held_out][::20]
        print(f"\n== {model.name}: ser-hf predict on {len(paths)} recordings of held-out actors {held_out}")
        ser_hf(["predict", *paths, "--model", str(model)])
        print(f"\n== {model.name}: ser-hf evaluate on all recordings of held-out actors {held_out}")
        code |= ser_hf(
            [
                "evaluate",
                "--model",
                str(model),
                "--test_actors",
                ",".join(map(str, held_out)),
                "--validation_actors",
                ",".join(map(str, metrics["validation_actors"])),
                *data,
            ]
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
