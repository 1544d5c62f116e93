"""The `ser-hf` command.

ser-hf predict PATH... [--model DIR_OR_REPO_ID] [--json]
ser-hf train --output_dir DIR [--model 1|2] [--split speaker] ...   (also: accelerate launch scripts/train.py)
ser-hf evaluate --model DIR_OR_REPO_ID [--data RAVDESS] [--split speaker] [--part test]
ser-hf push --model-dir DIR --repo-id USER/NAME [--private] [--revision R] [--dry-run]
ser-hf export-onnx --model DIR_OR_REPO_ID --out FILE.onnx [--opset 17] [--overwrite]
ser-hf push-dataset --repo-id USER/NAME [--data RAVDESS] [--private] [--dry-run [--output-dir DIR]]
"""

from __future__ import annotations

import argparse
import json
import os
import sys


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse with a one-line usage error (exit code 2): the problem and where help is, not the
    whole usage block. Every option takes both spellings, `--model-dir` and `--model_dir`, as
    `HfArgumentParser` does for `ser-hf train`, so no command needs its own spelling remembered."""

    def add_argument(self, *names, **kwargs):
        spellings = list(names)
        for name in names:
            if name.startswith("--"):
                other = "--" + (name[2:].replace("-", "_") if "-" in name[2:] else name[2:].replace("_", "-"))
                if other not in spellings:
                    spellings.append(other)
        return super().add_argument(*spellings, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def one_line_errors(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The same for a parser made elsewhere (`HfArgumentParser`)."""
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: error: {message} (see {parser.prog} --help)\n")
    return parser


class UsageError(ValueError):
    """An option value that cannot work, found before any work starts (exit code 2)."""


def _positive(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        value = getattr(args, name)
        if not value > 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive, got {value:g}")


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


def _check_predict(args: argparse.Namespace) -> None:
    from .audio import MAX_CLIP_SECONDS

    _positive(args, "window_seconds", "hop_seconds", "long_audio_seconds")  # light checks first, torch last
    if args.hop_seconds > args.window_seconds:
        raise UsageError(
            f"--hop-seconds ({args.hop_seconds:g}) must not exceed --window-seconds ({args.window_seconds:g})"
        )
    if args.long_audio_seconds > MAX_CLIP_SECONDS:
        raise UsageError(
            f"--long-audio-seconds must be at most {MAX_CLIP_SECONDS:g} (a clip decoded whole); "
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


def _predict(args: argparse.Namespace) -> int:
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


def _export_onnx(args: argparse.Namespace) -> int:
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


def _push(args: argparse.Namespace) -> int:
    from .hub import PushError, push_model

    try:
        result = push_model(args.model_dir, args.repo_id, args.private, args.revision, args.dry_run)
    except (PushError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    verb = "would upload" if args.dry_run else "uploaded"
    print(f"{verb} to {args.repo_id}: " + ", ".join(result["files"]))
    if args.dry_run:
        print(f"loads by repo id with trust_remote_code, offline, without ser_hf: {result['remote_check']}")
    return 0


def _push_dataset(args: argparse.Namespace) -> int:
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


def build_parser() -> argparse.ArgumentParser:
    from .audio import HOP_SECONDS, LONG_AUDIO_SECONDS, WINDOW_SECONDS  # numpy and soundfile: still light

    parser = OneLineErrorParser(prog="ser-hf", description="Speech emotion recognition (RAVDESS, 8 emotions).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrorParser)
    commands.add_parser("train", help="train Model 1 or 2 (see `ser-hf train --help`)", add_help=False)
    commands.add_parser(
        "evaluate", help="score a model on a RAVDESS split (see `ser-hf evaluate --help`)", add_help=False
    )
    predict = commands.add_parser("predict", help="top emotion and all probabilities for audio files")
    predict.add_argument(
        "paths", nargs="+", metavar="PATH", help="audio files (wav, flac, ogg, mp3; any rate, mono or stereo)"
    )
    predict.add_argument(
        "--model",
        default=None,
        help="a model folder or a Hugging Face Hub repo id "
        "(default: the bundled Model 2, models/ser-cnn-bilstm-attention-ravdess)",
    )
    predict.add_argument("--json", action="store_true", help="print the results as JSON")
    predict.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    predict.add_argument(
        "--long-audio-seconds",
        dest="long_audio_seconds",
        type=float,
        default=LONG_AUDIO_SECONDS,
        help=f"files longer than this get a timeline of sliding windows (default: {LONG_AUDIO_SECONDS:g})",
    )
    predict.add_argument("--window-seconds", dest="window_seconds", type=float, default=WINDOW_SECONDS)
    predict.add_argument("--hop-seconds", dest="hop_seconds", type=float, default=HOP_SECONDS)
    predict.add_argument("--timeline", action="store_true", help="print every window of long files")
    predict.add_argument(
        "--onnx",
        default=None,
        help="run this ONNX file (from `ser-hf export-onnx`) with ONNX Runtime "
        "instead of PyTorch; --model still gives the feature extractor and labels",
    )
    predict.set_defaults(handler=_predict)
    push = commands.add_parser("push", help="upload a trained model folder to the Hugging Face Hub")
    push.add_argument("--model-dir", dest="model_dir", required=True)
    push.add_argument("--repo-id", dest="repo_id", required=True, help="USER/NAME")
    push.add_argument("--private", action="store_true")
    push.add_argument("--revision", default=None, help="branch to push to (created if missing)")
    push.add_argument(
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="no token, no network: list the files and prove the folder loads as the Hub would serve it",
    )
    push.set_defaults(handler=_push)
    export = commands.add_parser(
        "export-onnx", help="export a model to ONNX (dynamic batch and chunk axes) and check it"
    )
    export.add_argument("--model", required=True, help="a model folder or a Hub repo id")
    export.add_argument("--out", required=True, help="the .onnx file to write")
    export.add_argument("--opset", type=int, default=17)
    export.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    export.set_defaults(handler=_export_onnx)
    push_data = commands.add_parser("push-dataset", help="upload the prepared RAVDESS with a dataset card")
    push_data.add_argument(
        "--data", default=None, help="RAVDESS folder or zip (default $SER_HF_RAVDESS_DIR, else Zenodo)"
    )
    push_data.add_argument("--repo-id", dest="repo_id", required=True, help="USER/NAME of the dataset repo")
    push_data.add_argument("--private", action="store_true")
    push_data.add_argument(
        "--dry-run", dest="dry_run", action="store_true", help="no token, no network: prepare and check only"
    )
    push_data.add_argument(
        "--output-dir", dest="output_dir", default=None, help="with --dry-run: write the parquet and card here"
    )
    push_data.set_defaults(handler=_push_dataset)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "train":  # its options are dataclasses parsed by HfArgumentParser
        from .training.cli import main as train_main

        return train_main(argv[1:])
    if argv and argv[0] == "evaluate":
        from .evaluation import main as evaluate_main

        return evaluate_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as error:  # checked before any work starts
        print(f"ser-hf {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
