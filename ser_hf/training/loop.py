"""The training loop: Accelerate for devices, precision and processes; features on the device;
seeded and resumable epoch by epoch; the best epoch on validation is the model that is saved."""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .. import MODEL_CLASSES, SerFeatureExtractor
from ..data.augment import AugmentConfig, WaveformAugmenter
from ..data.common import CorpusError, decode_waveforms
from ..data.ravdess import default_cache_dir, load_ravdess
from ..data.splits import Split, actor_split, make_split
from ..metrics import compute_metrics
from .args import AugmentArguments, DataArguments, ModelArguments, TrainArguments
from .batches import EvaluationItems, TrainingItems, WaveformBank, collate

logger = logging.getLogger(__name__)

STATE_FILE = "trainer_state.json"


class OutputDirError(RuntimeError):
    """The output folder holds earlier work and neither --resume nor --overwrite_output_dir was given."""


class TrainingArgumentError(ValueError):
    """An option value that cannot work (unknown model, optimizer, split...)."""


def build_model(args: ModelArguments, num_labels: int = 8, id2label: dict | None = None):
    """Model 1 or 2 with the requested ablation switches, or a saved model to start from."""
    if args.init_from:
        from transformers import AutoModelForAudioClassification

        return AutoModelForAudioClassification.from_pretrained(args.init_from)
    if args.model not in MODEL_CLASSES:
        raise TrainingArgumentError(f"--model must be 1 or 2, got {args.model}")
    cls = MODEL_CLASSES[args.model]
    overrides = {"use_lstm": args.use_lstm, "lstm_hidden_size": args.lstm_hidden_size}
    if args.bidirectional is not None:
        overrides["bidirectional"] = args.bidirectional
    if args.use_attention is not None:
        overrides["use_attention"] = args.use_attention
    if args.no_dropout:
        overrides.update(cnn_dropout=0.0, summary_dropout=0.0, classifier_dropout=0.0)
    if id2label is not None:
        overrides.update(id2label=id2label, label2id={v: k for k, v in id2label.items()})
    return cls(cls.config_class(**overrides))


def load_split(data_args: DataArguments, seed: int) -> tuple[object, Split]:
    """The corpus and its split, from --split or explicit --test_actors / --validation_actors."""
    dataset = load_ravdess(data_args.data, cache_dir=data_args.cache_dir)
    try:
        return dataset, _split(dataset, data_args, seed)
    except CorpusError:
        raise
    except ValueError as error:
        raise TrainingArgumentError(str(error)) from None


def _split(dataset, data_args: DataArguments, seed: int) -> Split:
    if data_args.test_actors:
        parse = lambda text: [int(a) for a in (text or "").split(",") if a.strip()]  # noqa: E731
        split = actor_split(dataset, parse(data_args.validation_actors), parse(data_args.test_actors))
    else:
        split = make_split(dataset, data_args.split, seed=seed, fold=data_args.fold, num_folds=data_args.num_folds)
    labels = dataset["label"]
    present = {labels[i] for i in split.train}
    missing = [name for i, name in enumerate(dataset.features["label"].names) if i not in present]
    if len(missing) == len(dataset.features["label"].names):
        raise ValueError("the training part of the split is empty: check --split, --test_actors and --validation_actors")
    if missing:
        logger.warning(f"the training part has no recordings of {', '.join(missing)}: the model cannot learn "
                       "those classes (their recall will be 0)")
    return split


def _check_output_dir(output_dir: Path, args: TrainArguments) -> None:
    if not output_dir.exists() or not any(output_dir.iterdir()):
        return
    if args.resume:
        return
    if not args.overwrite_output_dir:
        raise OutputDirError(
            f"{output_dir} already holds files: pass --resume to continue that run, "
            "--overwrite_output_dir to replace it, or choose another --output_dir"
        )
    shutil.rmtree(output_dir)


def _write_json_atomic(path: Path, payload) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2))
    os.replace(tmp, path)


def _latest_checkpoint(output_dir: Path) -> Path | None:
    """The checkpoint `latest` points to; if a kill left the pointer on an incomplete folder (or none),
    the newest complete `epoch-N` folder. Folders being written (`.tmp-*`) are never candidates."""
    root = output_dir / "checkpoints"
    pointer = root / "latest"
    if pointer.is_file():
        checkpoint = root / pointer.read_text().strip()
        if (checkpoint / STATE_FILE).exists():
            return checkpoint
    complete = sorted(p for p in root.glob("epoch-*") if (p / STATE_FILE).exists())
    return complete[-1] if complete else None


def _save_checkpoint(accelerator, output_dir: Path, epoch: int, state: dict) -> None:
    """Writes the resumable state into a temporary folder, then renames it and moves the `latest`
    pointer: a run killed while saving leaves the previous checkpoint as the one resume picks."""
    root = output_dir / "checkpoints"
    name = f"epoch-{epoch:04d}"
    tmp = root / f".tmp-{name}"
    if accelerator.is_main_process and tmp.exists():
        shutil.rmtree(tmp)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    if accelerator.is_main_process:
        _write_json_atomic(tmp / STATE_FILE, state)
        if (root / "best").exists():  # the best model so far belongs to this state
            shutil.copytree(root / "best", tmp / "best")
        final = root / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        pointer = root / "latest"
        previous = pointer.read_text().strip() if pointer.exists() else None
        tmp_pointer = root / ".latest.tmp"
        tmp_pointer.write_text(name)
        os.replace(tmp_pointer, pointer)
        if previous and previous != name and (root / previous).exists():
            shutil.rmtree(root / previous)
    accelerator.wait_for_everyone()


def global_normalization(extractor: SerFeatureExtractor, bank: WaveformBank, rows: list[int], batch_size: int):
    """A copy of `extractor` normalising with the per-band mean and std of the training rows."""
    total = squares = count = 0
    for start in range(0, len(rows), batch_size):
        waveforms, lengths = bank.batch(torch.tensor(rows[start : start + batch_size]))
        s, q, n = extractor.band_statistics(waveforms, lengths)
        total, squares, count = total + s, squares + q, count + n
    mean = total / count
    std = (squares / count - mean.pow(2)).clamp_min(0).sqrt()
    return SerFeatureExtractor(**{**extractor.to_dict(), "normalization": "global", "mean": mean.tolist(), "std": std.tolist()})


def features_for(batch, bank: WaveformBank, extractor: SerFeatureExtractor, augmenter=None, epoch: int = 0):
    """Waveforms of the batch's rows -> augmentation (training) -> Mel chunks, all on the bank's device."""
    rows, copies = batch["rows"], batch["copies"]
    waveforms, lengths = bank.batch(rows)
    if augmenter is not None:
        waveforms = augmenter(waveforms, lengths, rows, copies, epoch)
    with torch.autocast(device_type=waveforms.device.type, enabled=False):
        features = extractor.extract_batch(waveforms, lengths, trim_silence=False)  # trimmed when decoded
    if augmenter is not None:
        features["input_values"] = augmenter.spec_augment(features["input_values"], copies)
    return features, bank.labels[rows.to(bank.labels.device)]


@torch.no_grad()
def recalibrate_batchnorm(model, loader, bank, extractor, accelerator, max_samples: int) -> None:
    """Re-estimates every BatchNorm's running statistics on clean training clips with dropout off.

    The paper puts dropout after each pool, right before the next block's BatchNorm: the statistics
    collected while training include dropout's extra variance, which eval mode (no dropout) does not
    have, and the deep blocks then see activations several times smaller than they were normalised
    for. One forward pass without dropout over training data gives the statistics inference needs.
    """
    norms = [m for m in accelerator.unwrap_model(model).modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms or max_samples <= 0:
        return
    model.eval()
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the pass
        norm.train()
    seen = 0
    for batch in loader:
        features, _ = features_for(batch, bank, extractor)
        model(**features)
        seen += len(batch["rows"]) * accelerator.num_processes
        if seen >= max_samples:
            break
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
        norm.eval()
        if accelerator.num_processes > 1:
            norm.running_mean.copy_(accelerator.reduce(norm.running_mean, "mean"))
            norm.running_var.copy_(accelerator.reduce(norm.running_var, "mean"))


@torch.no_grad()
def predict_rows(model, loader, bank, extractor, accelerator) -> dict:
    """Predictions for every row of an evaluation loader, gathered across processes, each row once."""
    model.eval()
    predictions, references, rows, losses = [], [], [], []
    for batch in loader:
        features, labels = features_for(batch, bank, extractor)
        outputs = model(**features)
        batch_rows = batch["rows"].to(labels.device)
        loss = torch.nn.functional.cross_entropy(outputs.logits.float(), labels, reduction="none")
        gathered = accelerator.gather_for_metrics((outputs.logits.argmax(-1), labels, batch_rows, loss))
        for store, value in zip((predictions, references, rows, losses), gathered):
            store.append(value.cpu())
    if not rows:
        return {"predictions": [], "references": [], "rows": [], "loss": float("nan")}
    return {
        "predictions": torch.cat(predictions).tolist(),
        "references": torch.cat(references).tolist(),
        "rows": torch.cat(rows).tolist(),
        "loss": float(torch.cat(losses).mean()),
    }


def score(result: dict, num_labels: int) -> dict:
    metrics = compute_metrics(result["predictions"], result["references"], num_classes=num_labels)
    metrics["loss"] = result["loss"]
    return metrics


def _optimizer(model, args: TrainArguments):
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if args.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=args.learning_rate, momentum=args.momentum)
    if args.optimizer == "adam":
        return torch.optim.Adam(groups, lr=args.learning_rate)
    if args.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=args.learning_rate)
    raise TrainingArgumentError(f"--optimizer must be adamw, adam or sgd, got {args.optimizer!r}")


def _is_better(metric_name: str, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value < best if metric_name == "loss" else value > best


def train(model_args: ModelArguments, data_args: DataArguments, aug_args: AugmentArguments, args: TrainArguments) -> dict:
    """Trains, keeps the best validation epoch, evaluates it on the test part, writes the model folder."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from transformers import get_scheduler

    output_dir = Path(args.output_dir)
    try:
        augment = AugmentConfig(**asdict(aug_args))
    except ValueError as error:
        raise TrainingArgumentError(str(error)) from None
    accelerator = Accelerator(log_with=_trackers(), project_dir=str(output_dir))
    if accelerator.is_main_process:
        _check_output_dir(output_dir, args)
        output_dir.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    set_seed(args.seed)

    extractor = SerFeatureExtractor()
    dataset, split = load_split(data_args, args.seed)
    cache = data_args.cache_dir or str(default_cache_dir() / "waveforms")
    with accelerator.main_process_first():
        dataset = decode_waveforms(dataset, extractor, cache_dir=cache)
    label_names = dataset.features["label"].names
    ids = list(dataset.select_columns(["id"])["id"])  # read once, indexed per evaluated row
    bank = WaveformBank.from_dataset(dataset, device=accelerator.device)
    if args.normalization == "global":
        extractor = global_normalization(extractor, bank, split.train, args.eval_batch_size)
    elif args.normalization != "utterance":
        raise TrainingArgumentError(f"--normalization must be utterance or global, got {args.normalization!r}")

    model = build_model(model_args, len(label_names), dict(enumerate(label_names)))
    copies = 0 if augment.noise_mode == "none" else augment.noise_copies
    train_items = TrainingItems(split.train, copies, args.seed)
    loader_kwargs = {"collate_fn": collate, "shuffle": False}
    train_loader = torch.utils.data.DataLoader(train_items, batch_size=args.batch_size, **loader_kwargs)
    val_loader = torch.utils.data.DataLoader(EvaluationItems(split.validation), batch_size=args.eval_batch_size, **loader_kwargs)
    test_loader = torch.utils.data.DataLoader(EvaluationItems(split.test), batch_size=args.eval_batch_size, **loader_kwargs)
    calibration_loader = torch.utils.data.DataLoader(
        EvaluationItems(_spread(split.train, args.bn_recalibration_samples)), batch_size=args.eval_batch_size, **loader_kwargs
    )
    optimizer = _optimizer(model, args)
    steps_per_epoch = math.ceil(len(train_loader) / accelerator.num_processes)
    scheduler = get_scheduler(
        args.lr_scheduler,
        optimizer,
        num_warmup_steps=int(args.warmup_ratio * steps_per_epoch * args.epochs),
        num_training_steps=steps_per_epoch * args.epochs,
    )
    model, optimizer, train_loader, val_loader, test_loader, calibration_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, val_loader, test_loader, calibration_loader, scheduler
    )
    recalibrate = lambda: recalibrate_batchnorm(  # noqa: E731
        model, calibration_loader, bank, extractor, accelerator, args.bn_recalibration_samples
    )
    augmenter = WaveformAugmenter(augment, seed=args.seed)

    state = {"epoch": 0, "best_epoch": None, "best_metric": None, "epochs_without_gain": 0, "history": [], "train_seconds": 0.0}
    checkpoint = _latest_checkpoint(output_dir) if args.resume else None
    if args.resume and checkpoint is None and accelerator.is_main_process:
        accelerator.print(f"--resume: no complete checkpoint in {output_dir}/checkpoints, starting from epoch 0")
    if checkpoint is not None:
        accelerator.load_state(str(checkpoint))
        state = json.loads((checkpoint / STATE_FILE).read_text())
        if accelerator.is_main_process and (checkpoint / "best").exists():
            best = output_dir / "checkpoints" / "best"
            if best.exists():
                shutil.rmtree(best)
            shutil.copytree(checkpoint / "best", best)
        accelerator.wait_for_everyone()
        accelerator.print(f"resumed from {checkpoint} after epoch {state['epoch']}")
    best_dir = output_dir / "checkpoints" / "best"
    if accelerator.is_main_process:
        accelerator.init_trackers("ser-hf", config=_flat_config(model_args, data_args, aug_args, args))

    for epoch in range(state["epoch"], args.epochs):
        set_seed(args.seed + 1000 * (epoch + 1) + accelerator.process_index)
        train_loader.set_epoch(epoch)  # accelerate passes it to TrainingItems.set_epoch, also after a resume
        model.train()
        start, total_loss, seen = time.perf_counter(), 0.0, 0
        progress = tqdm(train_loader, desc=f"epoch {epoch + 1}/{args.epochs}", disable=not accelerator.is_local_main_process, leave=False)
        for batch in progress:
            features, labels = features_for(batch, bank, extractor, augmenter, epoch)
            logits = model(**features).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), labels, label_smoothing=args.label_smoothing)
            accelerator.backward(loss)
            if args.max_grad_norm:
                accelerator.clip_grad_norm_(model.parameters(), args.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            total_loss += loss.detach() * len(labels)
            seen += len(labels)
        train_loss = float(accelerator.reduce(torch.as_tensor(total_loss, device=accelerator.device), "sum")) / max(
            1, int(accelerator.reduce(torch.tensor(seen, device=accelerator.device), "sum"))
        )
        state["train_seconds"] += time.perf_counter() - start
        record = {"epoch": epoch + 1, "train_loss": train_loss, "lr": scheduler.get_last_lr()[0]}
        if split.validation or epoch + 1 == args.epochs:
            recalibrate()
        if split.validation:
            val = score(predict_rows(model, val_loader, bank, extractor, accelerator), len(label_names))
            record.update({f"val_{k}": val[k] for k in ("loss", "accuracy", "macro_f1", "uar")})
            current = val[args.metric_for_best_model]
        else:
            current = -float(epoch)  # no validation: the last epoch is the best
        improved = _is_better(args.metric_for_best_model, current, state["best_metric"]) if split.validation else True
        if improved:
            state.update(best_epoch=epoch + 1, best_metric=current, epochs_without_gain=0)
            _save_best(accelerator, model, best_dir)
        else:
            state["epochs_without_gain"] += 1
        state["history"].append(record)
        state["epoch"] = epoch + 1
        accelerator.log(record, step=epoch + 1)
        accelerator.print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()))
        stop = args.early_stopping_patience and state["epochs_without_gain"] >= args.early_stopping_patience
        if (epoch + 1) % args.save_every == 0 or epoch + 1 == args.epochs or stop:
            _save_checkpoint(accelerator, output_dir, epoch + 1, state)
        if stop:
            accelerator.print(f"early stopping: {args.early_stopping_patience} epochs without a better {args.metric_for_best_model}")
            break

    accelerator.wait_for_everyone()
    _load_best(accelerator, model, best_dir)
    results = {"validation": None, "test": None}
    for part, loader in (("validation", val_loader), ("test", test_loader)):
        if len(getattr(split, part)):
            outcome = predict_rows(model, loader, bank, extractor, accelerator)
            results[part] = score(outcome, len(label_names))
            results[part]["ids"] = [ids[r] for r in outcome["rows"]]
    if accelerator.is_main_process:
        from .report import write_outputs

        write_outputs(
            output_dir, accelerator.unwrap_model(model), extractor, results, state, split, label_names,
            {"model": asdict(model_args), "data": asdict(data_args), "augment": asdict(aug_args), "train": asdict(args)},
            command=_command_line(accelerator.num_processes), num_processes=accelerator.num_processes, mixed_precision=accelerator.mixed_precision,
        )
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return {"results": results, "state": state, "split": split}


def _spread(rows: list[int], count: int) -> list[int]:
    """About `count` rows taken evenly from `rows` (all of them when there are fewer)."""
    if count <= 0 or count >= len(rows):
        return list(rows)
    step = len(rows) / count
    return [rows[int(i * step)] for i in range(count)]


def _save_best(accelerator, model, best_dir: Path) -> None:
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        tmp = best_dir.with_name(".tmp-best")
        if tmp.exists():
            shutil.rmtree(tmp)
        accelerator.unwrap_model(model).save_pretrained(tmp)
        if best_dir.exists():
            shutil.rmtree(best_dir)
        os.replace(tmp, best_dir)
    accelerator.wait_for_everyone()


def _load_best(accelerator, model, best_dir: Path) -> None:
    from safetensors.torch import load_file

    weights = load_file(str(best_dir / "model.safetensors"), device="cpu")
    accelerator.unwrap_model(model).load_state_dict(weights)


def _command_line(num_processes: int) -> str:
    """The command as a user would type it, without this machine's paths."""
    import shlex

    program = os.path.basename(sys.argv[0])
    arguments = sys.argv[1:]
    if program in ("ser-hf", "cli.py", "__main__.py") and arguments[:1] == ["train"]:
        return shlex.join(["ser-hf", *arguments])
    launcher = ["accelerate", "launch"] + (["--num_processes", str(num_processes)] if num_processes > 1 else [])
    return shlex.join([*launcher, "scripts/train.py", *arguments])


def _trackers():
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return None
    return "tensorboard"


def _flat_config(*groups) -> dict:
    flat = {}
    for group in groups:
        for key, value in asdict(group).items():
            flat[key] = value if isinstance(value, (int, float, str, bool)) else str(value)
    return flat
