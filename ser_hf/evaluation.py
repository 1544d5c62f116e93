"""`ser-hf evaluate`: a saved model on a corpus split, through the shipped `evaluate` metric module.

Cross-corpus: the corpus's labels are matched to the model's by name, and only the classes both
have are scored (rows of other classes are left out and reported).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Literal

from .data.splits import SPLITS, actor_split, make_split


def shared_label_map(model_labels: dict[int, str], corpus_labels: list[str]) -> dict[int, int]:
    """Corpus label id -> model label id for the classes both name."""
    by_name = {name: i for i, name in model_labels.items()}
    return {i: by_name[name] for i, name in enumerate(corpus_labels) if name in by_name}


def evaluate_model(
    model, extractor, dataset, rows: list[int], batch_size: int = 64, device: str = "cpu", classes: str = "shared"
) -> dict:
    """Metrics of `model` on `rows` of `dataset` (a corpus dataset), scored on the classes both name.

    `classes="shared"` takes the argmax over the shared classes only (the cross-corpus convention);
    `"all"` over all the model's classes (a prediction of a class the corpus lacks is then an error).
    A file that cannot be used (unreadable, too short, without speech) is left out and listed; the
    others are scored.
    """
    import torch
    from accelerate import Accelerator

    from .data.common import decode_waveforms
    from .metrics import compute_metrics
    from .training.batches import EvaluationItems, WaveformBank, collate
    from .training.validation import predict_rows

    if classes not in ("shared", "all"):
        raise ValueError(f"classes must be 'shared' or 'all', got {classes!r}")
    accelerator = Accelerator(cpu=device == "cpu")
    corpus_labels = dataset.features["label"].names
    labels = list(dataset.select_columns(["label"])["label"])
    present = set(labels)  # a class the corpus lacks is not scored (e.g. calm outside RAVDESS)
    mapping = {k: v for k, v in shared_label_map(model.config.id2label, corpus_labels).items() if k in present}
    kept = [r for r in rows if labels[r] in mapping]
    if not kept:
        raise ValueError(
            f"the corpus shares no class with the model ({corpus_labels} vs {list(model.config.id2label.values())})"
        )
    paths = [audio.get("path") or row_id for audio, row_id in zip(dataset["audio"], dataset["id"])]
    unmapped = [paths[r] for r in rows if labels[r] not in mapping]
    subset = dataset.select(kept)
    subset = subset.map(lambda ex: {"label": mapping[ex["label"]]}, desc="mapping labels")
    subset = decode_waveforms(subset, extractor, skip_errors=True)
    errors = subset["error"]
    unusable = [{"file": paths[kept[i]], "error": error} for i, error in enumerate(errors) if error]
    usable = [i for i, error in enumerate(errors) if not error]
    if not usable:
        raise ValueError(f"none of the {len(kept)} recordings could be used; the first: {unusable[0]['error']}")
    subset = subset.select(usable)
    bank = WaveformBank.from_dataset(subset, device=accelerator.device)
    loader = torch.utils.data.DataLoader(EvaluationItems(range(len(usable))), batch_size=batch_size, collate_fn=collate)
    model, loader = accelerator.prepare(model, loader)
    outcome = predict_rows(model, loader, bank, extractor, accelerator)
    shared = sorted(set(mapping.values()))
    predictions = outcome["predictions"]
    if classes == "shared":  # argmax over the classes both corpora have
        restricted = outcome["logits"][:, shared]
        predictions = [shared[i] for i in restricted.argmax(-1).tolist()]
    metrics = compute_metrics(predictions, outcome["references"], num_classes=model.config.num_labels, labels=shared)
    metrics.update(
        loss=outcome["loss"],
        labels=[model.config.id2label[i] for i in range(model.config.num_labels)],
        scored_classes=[model.config.id2label[i] for i in shared],
        argmax_over="the scored classes" if classes == "shared" else f"all {model.config.num_labels} classes",
        rows_left_out=len(rows) - len(usable),
        left_out={"unmapped_class": unmapped, "unusable": unusable},
    )
    return metrics


@dataclass
class EvaluateArguments:
    """`ser-hf evaluate`: accuracy, macro-F1, per-class scores and confusion matrix of a model on a split."""

    model: str = field(metadata={"help": "model folder or Hub repo id"})
    data: str | None = field(
        default=None,
        metadata={"help": "corpus folder (RAVDESS also: zip or Hub dataset id; default $SER_HF_RAVDESS_DIR)"},
    )
    corpus: Literal["ravdess", "savee", "tess", "crema-d", "emodb"] = field(  # = data.corpora.CORPORA (tested)
        default="ravdess", metadata={"help": "another corpus is scored on the classes it shares with the model"}
    )
    split: Literal[(*SPLITS, "all")] = field(
        default="speaker", metadata={"help": "the training run's split, or all rows"}
    )
    part: Literal["train", "validation", "test"] = field(default="test")
    seed: int = field(default=42, metadata={"help": "seed of the split (as in training)"})
    fold: int = field(default=0)
    num_folds: int = field(default=6)
    test_actors: str | None = field(default=None, metadata={"help": "comma-separated actors (overrides --split)"})
    validation_actors: str = field(default="")
    classes: Literal["shared", "all"] = field(
        default="shared",
        metadata={
            "help": "argmax over the classes the corpus shares with the model (the cross-corpus convention) "
            "or over all of the model's classes"
        },
    )
    batch_size: int = field(default=64)
    device: str = field(default="cpu")
    json: bool = field(  # a plain switch, as in `ser-hf predict` (see `cli.build_parser`)
        init=False, default=False, metadata={"argparse": {"action": "store_true", "help": "print only JSON on stdout"}}
    )


def run(args: EvaluateArguments) -> int:
    """`ser-hf evaluate`: checks the options (a `UsageError` before any work), scores, prints."""
    from .cli import UsageError, check_device, quiet_loading

    if args.batch_size < 1:
        raise UsageError(f"--batch_size must be at least 1, got {args.batch_size}")
    check_device(args.device)
    quiet_loading()
    from .data.common import CorpusError
    from .data.corpora import load_corpus
    from .inference import ModelLoadError, load_model

    if args.corpus != "ravdess" and args.split != "all":
        args.split = "all"  # a corpus the model never saw: every recording is a test recording
    report: dict = {}
    try:
        model, extractor = load_model(args.model, device=args.device)
        dataset = (
            load_corpus(args.corpus, args.data, report=report)
            if args.corpus != "ravdess"
            else load_corpus(args.corpus, args.data)
        )
        if args.split == "all":
            rows, description = list(range(len(dataset))), "all recordings"
        else:
            if args.test_actors:
                actors = lambda text: [int(a) for a in text.split(",") if a.strip()]
                split = actor_split(dataset, actors(args.validation_actors), actors(args.test_actors))
            else:
                split = make_split(dataset, args.split, seed=args.seed, fold=args.fold, num_folds=args.num_folds)
            rows, description = getattr(split, args.part), f"{split.description}, {args.part} part"
            if not rows:
                raise ValueError(f"the {args.part} part of this split is empty ({split.description})")
        metrics = evaluate_model(model, extractor, dataset, rows, args.batch_size, args.device, classes=args.classes)
    except (ModelLoadError, CorpusError, ValueError) as error:  # ValueError: a split the corpus cannot give
        print(f"error: {error}", file=sys.stderr)
        return 2
    left_out = metrics["left_out"]
    left_out["unrecognised_name"] = report.get("unrecognised_name", [])
    left_out["unmapped_class"] = sorted(set(left_out["unmapped_class"]) | set(report.get("unmapped_class", [])))
    metrics["left_out_counts"] = {reason: len(files) for reason, files in left_out.items()}
    metrics["split"] = f"{args.corpus}: {description}"
    for item in left_out["unusable"]:
        print(f"warning: left out {item['error']}", file=sys.stderr)
    if args.json:
        print(json.dumps(metrics, indent=2, allow_nan=False))
        return 0
    print(f"{args.model} on {description}: {metrics['num_samples']} recordings")
    counts = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in metrics["left_out_counts"].items() if n)
    if counts:
        print(f"left out: {counts} (--json names them)")
    print(
        f"accuracy {metrics['accuracy']:.4f}  macro-F1 {metrics['macro_f1']:.4f}  UAR {metrics['uar']:.4f}"
        f"  (scored classes: {', '.join(metrics['scored_classes'])}; argmax over {metrics['argmax_over']})"
    )
    per = metrics["per_class"]
    print("| emotion | precision | recall | F1 | support |\n|---|---:|---:|---:|---:|")
    for i, name in enumerate(metrics["labels"]):
        if name in metrics["scored_classes"]:
            print(
                f"| {name} | {per['precision'][i]:.3f} | {per['recall'][i]:.3f} | {per['f1'][i]:.3f} | {per['support'][i]} |"
            )
    print("confusion matrix (rows true, columns predicted):")
    for name, row in zip(metrics["labels"], metrics["confusion_matrix"]):
        print(f"  {name:>9} " + " ".join(f"{v:4d}" for v in row))
    return 0
