"""What `ser-hf train` runs once `ser_hf.cli` has parsed and checked its argument dataclasses."""

from __future__ import annotations

import sys


def run(model_args, data_args, aug_args, train_args) -> int:
    """Trains; a corpus or output folder that cannot work is a one-line error with exit code 2."""
    from ..data.common import CorpusError
    from .loop import OutputDirError, TrainingArgumentError, train

    try:
        train(model_args, data_args, aug_args, train_args)
    except (OutputDirError, CorpusError, TrainingArgumentError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
