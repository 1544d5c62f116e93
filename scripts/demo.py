"""The main job of `make demo`: train Model 1 briefly on RAVDESS with held-out actors, then predict
held-out recordings with `ser-hf predict` and score the held-out actors with `ser-hf evaluate`.

    python scripts/demo.py [--data RAVDESS_DIR_OR_ZIP] [--output_dir outputs/demo-model1] [--epochs 6]

RAVDESS comes from --data, else $SER_HF_RAVDESS_DIR, else a download of the Zenodo zip. A model
already trained in --output_dir is reused.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

TEST_ACTORS = "1,2,13,14"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.environ.get("SER_HF_RAVDESS_DIR"))
    parser.add_argument("--output_dir", default="outputs/demo-model1")
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()

    from ser_hf.cli import main as ser_hf

    output = Path(args.output_dir)
    data = ["--data", args.data] if args.data else []
    if not (output / "model.safetensors").exists():
        print(f"== training Model 1 on RAVDESS actors other than {TEST_ACTORS} ({args.epochs} epochs on this machine)")
        code = ser_hf(["train", "--output_dir", str(output), "--model", "1", "--epochs", str(args.epochs),
                       "--test_actors", TEST_ACTORS, "--validation_actors", "", "--noise_mode", "none",
                       "--learning_rate", "2e-3", *data])
        if code:
            return code
    from ser_hf.data.ravdess import load_ravdess

    dataset = load_ravdess(args.data)
    held_out = [a["path"] for a, actor in zip(dataset["audio"], dataset["actor"]) if actor in (1, 2, 13, 14)][::30]
    print(f"\n== ser-hf predict on {len(held_out)} recordings of held-out actors")
    ser_hf(["predict", *held_out, "--model", str(output)])
    print(f"\n== ser-hf evaluate on held-out actors {TEST_ACTORS}")
    return ser_hf(["evaluate", "--model", str(output), "--test_actors", TEST_ACTORS, *data])


if __name__ == "__main__":
    sys.exit(main())
