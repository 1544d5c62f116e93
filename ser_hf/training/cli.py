"""`ser-hf train` / `accelerate launch scripts/train.py`: parses the argument dataclasses and trains."""

from __future__ import annotations

import sys


def parse(argv: list[str] | None = None):
    from transformers import HfArgumentParser

    from .args import AugmentArguments, DataArguments, ModelArguments, TrainArguments

    parser = HfArgumentParser((ModelArguments, DataArguments, AugmentArguments, TrainArguments))
    parser.prog = "ser-hf train"
    return parser.parse_args_into_dataclasses(args=argv)


def main(argv: list[str] | None = None) -> int:
    from ..data.common import CorpusError
    from .loop import OutputDirError, TrainingArgumentError, train

    model_args, data_args, aug_args, train_args = parse(argv)
    try:
        train(model_args, data_args, aug_args, train_args)
    except (OutputDirError, CorpusError, TrainingArgumentError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
