"""`python -m ser_hf.training ARGS` = `ser-hf train ARGS`."""

import sys

from ..cli import main

sys.exit(main(["train", *sys.argv[1:]]))
