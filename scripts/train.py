"""Train Model 1 or 2 on RAVDESS: `accelerate launch scripts/train.py --output_dir DIR [options]`
(the same as `ser-hf train`). `--help` lists the options."""

import sys

from ser_hf.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
