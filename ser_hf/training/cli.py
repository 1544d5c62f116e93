"""`ser-hf train` / `accelerate launch scripts/train.py`: parses the argument dataclasses and trains."""

from __future__ import annotations

import sys


def parse(argv: list[str] | None = None):
    from transformers import HfArgumentParser

    from ..cli import one_line_errors
    from .args import AugmentArguments, DataArguments, ModelArguments, TrainArguments, apply_recipe, check_arguments

    parser = HfArgumentParser((ModelArguments, DataArguments, AugmentArguments, TrainArguments))
    parser.prog = "ser-hf train"
    one_line_errors(parser)
    groups = parser.parse_args_into_dataclasses(args=argv)
    argv = sys.argv[1:] if argv is None else argv
    given = {token[2:].split("=")[0].replace("-", "_") for token in argv if token.startswith("--")}
    apply_recipe(groups, given)
    try:
        check_arguments(*groups)
    except ValueError as error:  # a usage error: one line, exit code 2, nothing done yet
        print(f"ser-hf train: error: {error}", file=sys.stderr)
        sys.exit(2)
    return groups


def main(argv: list[str] | None = None) -> int:
    model_args, data_args, aug_args, train_args = parse(argv)  # before torch: --help and usage errors answer at once
    from ..data.common import CorpusError
    from .loop import OutputDirError, TrainingArgumentError, train

    try:
        train(model_args, data_args, aug_args, train_args)
    except (OutputDirError, CorpusError, TrainingArgumentError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
