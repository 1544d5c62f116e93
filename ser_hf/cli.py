"""The `ser-hf` command: one parser, one subcommand per entry of `COMMANDS`, every option a field of
an argument dataclass read by `HfArgumentParser` (typed choices from `Literal`, both spellings
`--model_dir` / `--model-dir`).

ser-hf predict PATH... [--model DIR_OR_REPO_ID] [--json]
ser-hf train --output_dir DIR [--architecture 1|2] [--split speaker] ...   (also: accelerate launch scripts/train.py)
ser-hf evaluate --model DIR_OR_REPO_ID [--data RAVDESS] [--split speaker] [--part test]
ser-hf push --model DIR --repo_id USER/NAME [--private] [--revision R] [--dry_run]
ser-hf export-onnx --model DIR_OR_REPO_ID --out FILE.onnx [--opset 17] [--overwrite]
ser-hf push-dataset --repo_id USER/NAME [--data RAVDESS] [--private] [--dry_run [--output_dir DIR]]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from .audio import HOP_SECONDS, LONG_AUDIO_SECONDS, WINDOW_SECONDS  # numpy and soundfile: still light


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse with a one-line usage error (exit code 2): the problem and where help is, not the
    whole usage block. No abbreviated options (`--epoch` is not `--epochs`: the training recipe must
    know every option that was typed). Options added here, like those `HfArgumentParser` makes,
    take both spellings, `--dry_run` and `--dry-run`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def add_argument(self, *names, **kwargs):
        spellings = list(names)
        for name in names:
            if name.startswith("--") and "_" in name:
                spellings.append(name.replace("_", "-"))
        return super().add_argument(*spellings, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default in its help line, unless it has none."""

    def _get_help_string(self, action):
        return action.help or "" if action.default is None else super()._get_help_string(action)


class UsageError(ValueError):
    """An option value that cannot work, found before any work starts (exit code 2)."""


@dataclass
class PredictArguments:
    """`ser-hf predict`: top emotion and all probabilities for audio files."""

    model: str | None = field(
        default=None,
        metadata={
            "help": "a model folder or a Hugging Face Hub repo id "
            "(default: the bundled Model 2, models/ser-cnn-bilstm-attention-ravdess)"
        },
    )
    device: str = field(default="cpu", metadata={"help": "torch device"})
    long_audio_seconds: float = field(
        default=LONG_AUDIO_SECONDS, metadata={"help": "files longer than this get a timeline of sliding windows"}
    )
    window_seconds: float = field(default=WINDOW_SECONDS, metadata={"help": "window of the timeline"})
    hop_seconds: float = field(default=HOP_SECONDS, metadata={"help": "hop between timeline windows"})
    onnx: str | None = field(
        default=None,
        metadata={
            "help": "run this ONNX file (from `ser-hf export-onnx`) with ONNX Runtime instead of PyTorch; "
            "--model still gives the feature extractor and labels"
        },
    )
    # What HfArgumentParser does not express: a positional operand, and plain switches (so that
    # `--json a.wav` does not read `a.wav` as the switch's value). `build_parser` adds them from
    # their "argparse" metadata and `parse_args` sets them.
    paths: list[str] = field(
        init=False,
        default_factory=list,
        metadata={"argparse": {"nargs": "+", "metavar": "PATH", "help": "audio files (wav, flac, ogg, mp3; any rate)"}},
    )
    json: bool = field(
        init=False, default=False, metadata={"argparse": {"action": "store_true", "help": "print the results as JSON"}}
    )
    timeline: bool = field(
        init=False,
        default=False,
        metadata={"argparse": {"action": "store_true", "help": "print every window of long files"}},
    )


@dataclass
class ExportOnnxArguments:
    """`ser-hf export-onnx`: a model as ONNX with dynamic batch and chunk axes, checked against PyTorch."""

    model: str = field(metadata={"help": "a model folder or a Hub repo id"})
    out: str = field(metadata={"help": "the .onnx file to write"})
    opset: int = field(default=17)
    overwrite: bool = field(
        init=False,
        default=False,
        metadata={"argparse": {"action": "store_true", "help": "replace an existing --out file"}},
    )


@dataclass
class PushArguments:
    """`ser-hf push`: a trained model folder to the Hugging Face Hub."""

    model: str = field(
        metadata={"help": "the model folder (written by ser-hf train)", "aliases": ["--model_dir", "--model-dir"]}
    )
    repo_id: str = field(metadata={"help": "USER/NAME"})
    revision: str | None = field(default=None, metadata={"help": "branch to push to (created if missing)"})
    private: bool = field(
        init=False, default=False, metadata={"argparse": {"action": "store_true", "help": "create the repo private"}}
    )
    dry_run: bool = field(
        init=False,
        default=False,
        metadata={
            "argparse": {
                "action": "store_true",
                "help": "no token, no network: list the files and prove the folder loads as the Hub would serve it",
            }
        },
    )


@dataclass
class PushDatasetArguments:
    """`ser-hf push-dataset`: the prepared RAVDESS with a dataset card to the Hub."""

    repo_id: str = field(metadata={"help": "USER/NAME of the dataset repo"})
    data: str | None = field(
        default=None, metadata={"help": "RAVDESS folder or zip (default $SER_HF_RAVDESS_DIR, else Zenodo)"}
    )
    output_dir: str | None = field(default=None, metadata={"help": "with --dry_run: write the parquet and card here"})
    private: bool = field(
        init=False,
        default=False,
        metadata={"argparse": {"action": "store_true", "help": "create the dataset repo private"}},
    )
    dry_run: bool = field(
        init=False,
        default=False,
        metadata={"argparse": {"action": "store_true", "help": "no token, no network: prepare and check only"}},
    )


def _positive(args, *names: str) -> None:
    for name in names:
        value = getattr(args, name)
        if not value > 0:
            raise UsageError(f"--{name} must be positive, got {value:g}")


def check_device(device: str) -> None:
    """Refuses a device string torch does not know, or a GPU this machine does not have."""
    import torch

    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise UsageError(f"--device {device!r} is not a torch device (cpu, cuda, cuda:1, mps, ...)") from None
    if parsed.type == "cuda" and (not torch.cuda.is_available() or (parsed.index or 0) >= torch.cuda.device_count()):
        found = f"{torch.cuda.device_count()} CUDA device(s)" if torch.cuda.is_available() else "no CUDA GPU"
        raise UsageError(f"--device {device}: this machine has {found}; use --device cpu")
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise UsageError(f"--device {device}: Apple's MPS is not available here; use --device cpu")


def _check_predict(args: PredictArguments) -> None:
    from .audio import MAX_CLIP_SECONDS

    _positive(args, "window_seconds", "hop_seconds", "long_audio_seconds")  # light checks first, torch last
    if args.hop_seconds > args.window_seconds:
        raise UsageError(
            f"--hop_seconds ({args.hop_seconds:g}) must not exceed --window_seconds ({args.window_seconds:g})"
        )
    if args.long_audio_seconds > MAX_CLIP_SECONDS:
        raise UsageError(
            f"--long_audio_seconds must be at most {MAX_CLIP_SECONDS:g} (a clip decoded whole); "
            "longer recordings get a timeline read window by window"
        )
    if args.onnx and not os.path.isfile(args.onnx):
        raise UsageError(f"--onnx {args.onnx}: no such ONNX file (make one with `ser-hf export-onnx`)")
    check_device(args.device)


def quiet_loading() -> None:
    """No weight-loading progress bars on the console: a user asked for predictions, not for them."""
    from huggingface_hub.utils import disable_progress_bars
    from transformers.utils import logging

    logging.disable_progress_bar()
    disable_progress_bars()


def _predict(args: PredictArguments) -> int:
    _check_predict(args)  # before torch is imported: a usage error answers at once
    quiet_loading()
    from .inference import ModelLoadError, bundled_model_path, load_model, predict_files

    try:
        if args.model is None:
            args.model = str(bundled_model_path(2))
            print(f"no --model given: using the bundled Model 2 ({args.model})", file=sys.stderr)
        model, extractor = load_model(args.model, device=args.device)
        if args.onnx:
            from .onnx_export import OnnxModel, model_fingerprint, onnx_fingerprint

            try:
                fingerprint = onnx_fingerprint(args.onnx)
                onnx_model = OnnxModel(args.onnx, model.config)
            except Exception as error:  # noqa: BLE001 (onnx and onnxruntime raise their own exception types)
                raise ModelLoadError(f"{args.onnx}: not a loadable ONNX model ({error})") from None
            if fingerprint is None:
                print(
                    f"warning: {args.onnx} carries no model fingerprint (exported by an older ser-hf): "
                    f"cannot check that it was exported from {args.model}",
                    file=sys.stderr,
                )
            elif fingerprint != model_fingerprint(model):
                raise ModelLoadError(
                    f"{args.onnx} was exported from another model than {args.model}: its labels "
                    "and feature extractor would not match; export it again from --model"
                )
            model = onnx_model
    except ModelLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    results = predict_files(
        model, extractor, args.paths, args.long_audio_seconds, args.window_seconds, args.hop_seconds
    )
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2, allow_nan=False))
    for result in results:
        if result.error is not None:
            print(f"error: {result.error}", file=sys.stderr)
        elif not args.json:
            ranked = sorted(result.scores.items(), key=lambda kv: -kv[1])
            print(f"{result.source}: {result.label} ({result.scores[result.label]:.3f})")
            print("  " + "  ".join(f"{label} {p:.3f}" for label, p in ranked))
            if result.timeline is not None:
                segments = result.timeline.segments
                print(
                    f"  mean of {sum(s.probs is not None for s in segments)} windows of {args.window_seconds:g} s "
                    f"over {result.timeline.duration:.1f} s" + ("" if args.timeline else " (--timeline lists them)")
                )
                if args.timeline:
                    for segment in segments:
                        top = (
                            "no speech"
                            if segment.probs is None
                            else result.timeline.labels[int(segment.probs.argmax())]
                        )
                        print(f"  {segment.start:8.1f}-{segment.end:8.1f} s  {top}")
    return 1 if any(r.error is not None for r in results) else 0


def _export_onnx(args: ExportOnnxArguments) -> int:
    if os.path.exists(args.out) and not args.overwrite:
        raise UsageError(f"--out {args.out} exists: choose another --out or pass --overwrite")
    from .paths import check_output_path

    try:
        check_output_path(args.out, "--out", folder=False)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.opset < 9:
        raise UsageError(f"--opset must be at least 9, got {args.opset}")
    quiet_loading()
    from .inference import ModelLoadError, load_model
    from .onnx_export import OnnxModel, export_onnx, max_difference, probe_clips

    try:
        model, extractor = load_model(args.model)
        path = export_onnx(model, extractor, args.out, opset=args.opset, overwrite=args.overwrite)
    except (ModelLoadError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    difference = max_difference(model, OnnxModel(path, model.config), extractor, probe_clips(extractor.sampling_rate))
    print(
        f"wrote {path} (opset {args.opset}, dynamic batch and chunk axes); "
        f"largest logit difference to PyTorch on 3 probe clips, alone and batched: {difference:.2e}"
    )
    if difference > 1e-4:
        print(f"error: ONNX Runtime differs from PyTorch by {difference:.2e} (> 1e-4)", file=sys.stderr)
        return 1
    return 0


def _push(args: PushArguments) -> int:
    from .hub import PushError, push_model

    try:
        result = push_model(args.model, args.repo_id, args.private, args.revision, args.dry_run)
    except (PushError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    verb = "would upload" if args.dry_run else "uploaded"
    print(f"{verb} to {args.repo_id}: " + ", ".join(result["files"]))
    if args.dry_run:
        print(f"loads by repo id with trust_remote_code, offline, without ser_hf: {result['remote_check']}")
    return 0


def _push_dataset(args: PushDatasetArguments) -> int:
    from .data.common import CorpusError
    from .hub import PushError, push_dataset

    try:
        result = push_dataset(args.data, args.repo_id, args.private, args.dry_run, args.output_dir)
    except (PushError, CorpusError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    verb = "would push" if args.dry_run else "pushed"
    print(f"{verb} {result['num_rows']} rows ({', '.join(result['columns'])}) with a dataset card to {args.repo_id}")
    if result.get("written"):
        print(f"wrote the parquet shard and README.md to {result['written']}")
    return 0


def _evaluate(args) -> int:
    from .evaluation import run

    return run(args)


def _train(*groups) -> int:
    from .training.cli import run

    return run(*groups)


def _prepare_train(groups: tuple, argv: list[str]) -> None:
    from .training.args import apply_recipe, check_arguments, inherit_from_init_model

    main_process = os.environ.get("RANK", "0") == "0"  # `accelerate launch` starts one process per device
    if main_process and any(token == "--model" or token.startswith("--model=") for token in argv):
        number = groups[0].architecture  # --model is a folder in every other command
        print(f"ser-hf train: note: --model {number} is read as --architecture {number}", file=sys.stderr)
    given = typed_options(argv, groups)
    apply_recipe(groups, given)
    try:
        check_arguments(*groups)
        inherit_from_init_model(groups[0], groups[3], given)
    except ValueError as error:
        raise UsageError(str(error)) from None


class Command(NamedTuple):
    """One subcommand: its help line, its argument dataclasses (imported when the command is chosen),
    what it runs (with one instance of each), and what must see the command line itself before that
    (the training recipe keeps every option that was typed)."""

    help: str
    arguments: Callable[[], tuple[type, ...]]
    run: Callable[..., int]
    prepare: Callable[[tuple, list[str]], None] | None = None


def _train_arguments() -> tuple[type, ...]:
    from .training.args import AugmentArguments, DataArguments, ModelArguments, TrainArguments

    return ModelArguments, DataArguments, AugmentArguments, TrainArguments


def _evaluate_arguments() -> tuple[type, ...]:
    from .evaluation import EvaluateArguments

    return (EvaluateArguments,)


COMMANDS: dict[str, Command] = {
    "predict": Command("top emotion and all probabilities for audio files", lambda: (PredictArguments,), _predict),
    "train": Command(
        "train Model 1 or 2 on RAVDESS (also: accelerate launch scripts/train.py)",
        _train_arguments,
        _train,
        _prepare_train,
    ),
    "evaluate": Command(
        "score a model on a corpus split: accuracy, macro-F1, per class, confusion", _evaluate_arguments, _evaluate
    ),
    "push": Command("upload a trained model folder to the Hugging Face Hub", lambda: (PushArguments,), _push),
    "export-onnx": Command(
        "export a model to ONNX (dynamic batch and chunk axes) and check it",
        lambda: (ExportOnnxArguments,),
        _export_onnx,
    ),
    "push-dataset": Command(
        "upload the prepared RAVDESS with a dataset card", lambda: (PushDatasetArguments,), _push_dataset
    ),
}
"""Every `ser-hf` subcommand; `build_parser` and `parse_args` derive the command line from it."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `ser-hf` parser. Only `command`'s options are built: they come from `HfArgumentParser`,
    whose transformers import `ser-hf --help` does without."""
    parser = OneLineErrorParser(prog="ser-hf", description="Speech emotion recognition (RAVDESS, 8 emotions).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrorParser)
    for name, spec in COMMANDS.items():
        if name != command:
            commands.add_parser(name, help=spec.help)
            continue
        from transformers import HfArgumentParser

        types = spec.arguments()
        sub = commands.add_parser(
            name,
            help=spec.help,
            description=spec.help,
            parents=[HfArgumentParser(types, add_help=False)],
            formatter_class=DefaultsHelpFormatter,
        )
        for dtype in types:
            for item in dataclasses.fields(dtype):
                if "argparse" in item.metadata:
                    kwargs = item.metadata["argparse"]
                    sub.add_argument(item.name if "nargs" in kwargs else f"--{item.name}", **kwargs)
    return parser


def parse_args(argv: list[str]) -> tuple[str, tuple]:
    """The subcommand and one instance of each of its argument dataclasses, checked. Parse errors
    exit with code 2 (argparse); values that cannot work raise `UsageError`."""
    command = argv[0] if argv and argv[0] in COMMANDS else None
    namespace = build_parser(command).parse_args(argv)
    spec = COMMANDS[namespace.command]
    groups = []
    for dtype in spec.arguments():
        group = dtype(**{f.name: getattr(namespace, f.name) for f in dataclasses.fields(dtype) if f.init})
        for item in dataclasses.fields(dtype):
            if not item.init:
                setattr(group, item.name, getattr(namespace, item.name))
        groups.append(group)
    if spec.prepare is not None:
        spec.prepare(tuple(groups), argv)
    return namespace.command, tuple(groups)


def typed_options(argv: list[str], groups) -> set[str]:
    """The fields whose options appear in `argv`, under any spelling or alias (`--model-dir`,
    `--lr=...`); abbreviations are refused by the parser, so every typed option is seen here."""
    names = {}
    for group in groups:
        for item in dataclasses.fields(group):
            for spelling in [item.name, *item.metadata.get("aliases", [])]:
                names[spelling.lstrip("-").replace("-", "_")] = item.name
    typed = {token[2:].split("=")[0].replace("-", "_") for token in argv if token.startswith("--")}
    return {names.get(option, option) for option in typed}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        command, groups = parse_args(argv)  # before torch: --help and usage errors answer at once
        return COMMANDS[command].run(*groups)
    except UsageError as error:  # checked before any work starts
        print(f"ser-hf {argv[0]}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
