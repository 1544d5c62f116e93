"""The training loop: the epoch structure only. Accelerate for devices, precision and processes;
features on the device (`batches`), one optimisation step (`step`), evaluation and BatchNorm
re-estimation (`validation`), resumable checkpoints (`checkpoints`); the best epoch on validation is
the model that is saved."""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .. import MODEL_CLASSES, SerFeatureExtractor
from ..calibration import calibration_report, fit_temperature
from ..data.augment import AugmentConfig, WaveformAugmenter
from ..data.common import CorpusError, decode_waveforms
from ..data.ravdess import default_cache_dir, load_ravdess
from ..data.splits import Split, actor_split, make_split
from .args import AugmentArguments, DataArguments, ModelArguments, TrainArguments
from .batches import EvaluationItems, FeatureCache, TrainingItems, WaveformBank, collate, features_for
from .checkpoints import (
    STATE_FILE,
    OutputDirError,
    check_output_dir,
    check_resumed_run,
    load_best,
    restore_checkpoint,
    run_identity,
    save_best,
    save_checkpoint,
)
from .step import TrainStep, WeightAverage, keep_cpu_memory_mapped, make_optimizer, plan_steps
from .validation import predict_rows, recalibrate_batchnorm, score, spread

__all__ = ["STATE_FILE", "OutputDirError", "TrainingArgumentError", "build_model", "load_split", "train"]

logger = logging.getLogger(__name__)


class TrainingArgumentError(ValueError):
    """An option value that cannot work (unknown model, optimizer, split...)."""


def build_model(args: ModelArguments, num_labels: int = 8, id2label: dict | None = None):
    """Model 1 or 2 with the requested ablation switches, or a saved model to start from."""
    if args.init_from:
        from transformers import AutoModelForAudioClassification

        model = AutoModelForAudioClassification.from_pretrained(args.init_from)
        model.config.temperature = 1.0  # trained uncalibrated; a new temperature is fitted at the end
        return model
    if args.architecture not in MODEL_CLASSES:
        raise TrainingArgumentError(f"--architecture must be 1 or 2, got {args.architecture}")
    cls = MODEL_CLASSES[args.architecture]
    overrides = {
        "use_lstm": args.use_lstm,
        "lstm_hidden_size": args.lstm_hidden_size,
        "classifier_hidden_size": args.classifier_hidden_size,
        "num_mel_bins": args.num_mel_bins,
    }
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
        parse = lambda text: [int(a) for a in (text or "").split(",") if a.strip()]
        split = actor_split(dataset, parse(data_args.validation_actors), parse(data_args.test_actors))
    else:
        split = make_split(dataset, data_args.split, seed=seed, fold=data_args.fold, num_folds=data_args.num_folds)
    labels = dataset["label"]
    present = {labels[i] for i in split.train}
    missing = [name for i, name in enumerate(dataset.features["label"].names) if i not in present]
    if len(missing) == len(dataset.features["label"].names):
        raise ValueError(
            "the training part of the split is empty: check --split, --test_actors and --validation_actors"
        )
    if missing:
        logger.warning(
            f"the training part has no recordings of {', '.join(missing)}: the model cannot learn "
            "those classes (their recall will be 0)"
        )
    return split


def global_normalization(extractor: SerFeatureExtractor, bank: WaveformBank, rows: list[int], batch_size: int):
    """A copy of `extractor` normalising with the per-band mean and std of the training rows."""
    total = squares = count = 0
    for start in range(0, len(rows), batch_size):
        waveforms, lengths = bank.batch(torch.tensor(rows[start : start + batch_size]))
        s, q, n = extractor.band_statistics(waveforms, lengths)
        total, squares, count = total + s, squares + q, count + n
    mean = total / count
    std = (squares / count - mean.pow(2)).clamp_min(0).sqrt()
    return SerFeatureExtractor(
        **{**extractor.to_dict(), "normalization": "global", "mean": mean.tolist(), "std": std.tolist()}
    )


def _out_of_time(accelerator, state: dict, args: TrainArguments) -> bool:
    """Whether the slowest process has spent `--max_train_seconds` (all processes stop together)."""
    if not args.max_train_seconds:
        return False
    spent = torch.tensor(state.get("run_seconds", 0.0), device=accelerator.device)
    return float(accelerator.reduce(spent, "max")) >= args.max_train_seconds


def _is_better(metric_name: str, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value < best if metric_name == "loss" else value > best


def train(
    model_args: ModelArguments, data_args: DataArguments, aug_args: AugmentArguments, args: TrainArguments
) -> dict:
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
    try:
        plan = plan_steps(args, accelerator.device)
    except ValueError as error:
        raise TrainingArgumentError(str(error)) from None
    arguments = {
        "model": asdict(model_args),
        "data": asdict(data_args),
        "augment": asdict(aug_args),
        "train": asdict(args),
    }
    command = _command_line(accelerator.num_processes)
    if accelerator.is_main_process:
        check_output_dir(output_dir, args.resume, args.overwrite_output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    set_seed(args.seed)

    extractor = SerFeatureExtractor(
        feature_size=model_args.num_mel_bins,
        chunk_stride=model_args.chunk_stride,
        normalization="band" if args.normalization == "band" else "utterance",
    )
    dataset, split = load_split(data_args, args.seed)
    ids = list(dataset.select_columns(["id"])["id"])  # read once, indexed per evaluated row
    launch = {
        "training path": plan.training_path,
        "torch.compile": plan.compile_mode,
        "processes": accelerator.num_processes,
        "mixed precision": accelerator.mixed_precision,
    }
    parts = {part: [ids[r] for r in getattr(split, part)] for part in ("train", "validation", "test")}
    identity = run_identity(arguments, launch, parts)
    if args.resume:  # before any work, and before the checkpoint's weights meet a model of another shape
        try:
            check_resumed_run(output_dir, identity)
        except ValueError as error:
            raise TrainingArgumentError(str(error)) from None
    cache = data_args.cache_dir or str(default_cache_dir() / "waveforms")
    with accelerator.main_process_first():
        dataset = decode_waveforms(dataset, extractor, cache_dir=cache)
    label_names = dataset.features["label"].names
    bank = WaveformBank.from_dataset(dataset, device=accelerator.device)
    if args.normalization == "global":
        extractor = global_normalization(extractor, bank, split.train, args.eval_batch_size)
    elif args.normalization not in ("utterance", "band"):
        raise TrainingArgumentError(f"--normalization must be utterance, band or global, got {args.normalization!r}")
    bank.static_shapes = plan.static_shapes
    bank.headroom = augment.max_stretch  # slowed-down copies fit the static width
    if accelerator.device.type == "cpu":
        keep_cpu_memory_mapped()

    model = build_model(model_args, len(label_names), dict(enumerate(label_names)))
    model.set_training_path(plan.training_path)
    copies = 0 if augment.noise_mode == "none" else augment.noise_copies
    # loaders yield host tensors of row numbers: the bank gathers on the device, and the augmenter's
    # per-row seeds are read on the host without waiting for the device
    make_loader = lambda items, size: accelerator.prepare_data_loader(
        torch.utils.data.DataLoader(
            items, batch_size=size, collate_fn=collate, shuffle=False, pin_memory=accelerator.device.type == "cuda"
        ),
        device_placement=False,
    )
    train_loader = make_loader(TrainingItems(split.train, copies, args.seed), args.batch_size)
    val_loader = make_loader(EvaluationItems(split.validation), args.eval_batch_size)
    test_loader = make_loader(EvaluationItems(split.test), args.eval_batch_size)
    calibration_loader = make_loader(
        EvaluationItems(spread(split.train, args.bn_recalibration_samples)), args.eval_batch_size
    )
    try:
        optimizer = make_optimizer(model, args, accelerator.device)
    except ValueError as error:
        raise TrainingArgumentError(str(error)) from None
    steps_per_epoch = len(train_loader)
    scheduler = get_scheduler(
        args.lr_scheduler,
        optimizer,
        num_warmup_steps=int(args.warmup_ratio * steps_per_epoch * args.epochs),
        num_training_steps=steps_per_epoch * args.epochs,
    )
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    ema = None
    if args.ema_decay > 0:  # evaluated and saved instead of the raw weights
        ema = WeightAverage(accelerator.unwrap_model(model), args.ema_decay)
        accelerator.register_for_checkpointing(ema)
    evaluated = ema.module if ema is not None else model
    step = TrainStep(
        model,
        optimizer,
        scheduler,
        accelerator,
        plan,
        args.label_smoothing,
        args.max_grad_norm,
        augment.mixup_alpha,
        ema,
    )
    cache = FeatureCache() if args.cache_features else None
    recalibrate = lambda: recalibrate_batchnorm(
        evaluated, calibration_loader, bank, extractor, accelerator, args.bn_recalibration_samples, cache
    )
    augmenter = WaveformAugmenter(augment, seed=args.seed, sampling_rate=extractor.sampling_rate)

    state = {
        "epoch": 0,
        "best_epoch": None,
        "best_metric": None,
        "epochs_without_gain": 0,
        "history": [],
        "train_seconds": 0.0,
    }
    if args.resume:
        state = restore_checkpoint(accelerator, output_dir, state)
    state.setdefault("identity", identity)  # the run's, saved with each checkpoint, checked on --resume
    state.setdefault("command", command)
    best_dir = output_dir / "checkpoints" / "best"
    if accelerator.is_main_process:
        accelerator.init_trackers("ser-hf", config=_flat_config(model_args, data_args, aug_args, args))
    accelerator.print(
        f"training path: {plan.training_path}, torch.compile: {plan.compile_mode or 'no'}, device: {accelerator.device}"
    )

    state.pop("stopped", None)  # a resumed run goes on under this command's budget and patience
    for epoch in range(state["epoch"], args.epochs):
        if _out_of_time(accelerator, state, args):  # resumed with a budget already spent
            state["stopped"] = (
                f"time budget: --max_train_seconds {args.max_train_seconds:g} spent before epoch {epoch + 1}"
            )
            accelerator.print(state["stopped"])
            break
        set_seed(args.seed + 1000 * (epoch + 1) + accelerator.process_index)
        train_loader.set_epoch(epoch)  # accelerate passes it to TrainingItems.set_epoch, also after a resume
        model.train()
        start, total_loss, seen = time.perf_counter(), torch.zeros((), device=accelerator.device), 0
        progress = tqdm(
            train_loader,
            desc=f"epoch {epoch + 1}/{args.epochs}",
            disable=not accelerator.is_local_main_process,
            leave=False,
        )
        sync_debug = accelerator.device.type == "cuda" and args.cuda_sync_debug != "off"
        if sync_debug:
            torch.cuda.set_sync_debug_mode(args.cuda_sync_debug)
        for batch in progress:
            features, labels = features_for(batch, bank, extractor, augmenter, epoch, cache)
            total_loss += step(features, labels)
            seen += len(labels)
        if sync_debug:
            torch.cuda.set_sync_debug_mode("default")
        train_loss = float(accelerator.reduce(total_loss, "sum")) / max(
            1, int(accelerator.reduce(torch.tensor(seen, device=accelerator.device), "sum"))
        )
        state["train_seconds"] += time.perf_counter() - start
        record = {"epoch": epoch + 1, "train_loss": train_loss, "lr": scheduler.get_last_lr()[0]}
        if split.validation or epoch + 1 == args.epochs:
            recalibrate()
        if split.validation:
            val = score(predict_rows(evaluated, val_loader, bank, extractor, accelerator, cache), len(label_names))
            record.update({f"val_{k}": val[k] for k in ("loss", "accuracy", "macro_f1", "uar")})
            current = val[args.metric_for_best_model]
        else:
            current = -float(epoch)  # no validation: the last epoch is the best
        improved = _is_better(args.metric_for_best_model, current, state["best_metric"]) if split.validation else True
        if improved:
            state.update(best_epoch=epoch + 1, best_metric=current, epochs_without_gain=0)
        else:
            state["epochs_without_gain"] += 1
        if improved or not args.load_best_model_at_end:  # the model tested and saved at the end
            save_best(accelerator, evaluated, extractor, best_dir)
        state["history"].append(record)
        state["epoch"] = epoch + 1
        accelerator.log(record, step=epoch + 1)
        accelerator.print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()))
        state["run_seconds"] = state.get("run_seconds", 0.0) + time.perf_counter() - start  # with evaluation
        if args.early_stopping_patience and state["epochs_without_gain"] >= args.early_stopping_patience:
            state["stopped"] = (
                f"early stopping: {args.early_stopping_patience} epochs without a better {args.metric_for_best_model}"
            )
        elif _out_of_time(accelerator, state, args):
            state["stopped"] = (
                f"time budget: {state['run_seconds']:.0f} s of training, --max_train_seconds {args.max_train_seconds:g}"
            )
        stop = "stopped" in state
        if (epoch + 1) % args.save_every == 0 or epoch + 1 == args.epochs or stop:
            save_checkpoint(accelerator, output_dir, epoch + 1, state)
        if stop:
            accelerator.print(f"{state['stopped']} (after epoch {epoch + 1} of {args.epochs})")
            break

    accelerator.wait_for_everyone()
    state.update(
        device=str(accelerator.device), training_path=plan.training_path, torch_compile=plan.compile_mode or "no"
    )
    if accelerator.device.type == "cuda":
        state["device_name"] = torch.cuda.get_device_name(accelerator.device)
        state["peak_device_memory_mb"] = round(torch.cuda.max_memory_allocated(accelerator.device) / 2**20, 1)
    load_best(accelerator, model, best_dir)
    outcomes = {
        part: predict_rows(model, loader, bank, extractor, accelerator, cache)
        for part, loader in (("validation", val_loader), ("test", test_loader))
        if len(getattr(split, part))
    }
    results = {"validation": None, "test": None, "calibration": None}
    if "validation" in outcomes:  # temperature scaling on validation logits; the labels do not change
        logits = {part: outcome["logits"] for part, outcome in outcomes.items()}
        references = {part: torch.tensor(outcome["references"]) for part, outcome in outcomes.items()}
        temperature = fit_temperature(logits["validation"], references["validation"])
        accelerator.unwrap_model(model).config.temperature = temperature
        results["calibration"] = {
            part: calibration_report(logits[part], references[part], temperature) for part in outcomes
        }
    for part, outcome in outcomes.items():
        results[part] = score(outcome, len(label_names))
        results[part]["ids"] = [ids[r] for r in outcome["rows"]]
        if results["calibration"]:
            results[part]["loss"] = results["calibration"][part]["after"]["nll"]
    if accelerator.is_main_process:
        from .report import write_outputs

        write_outputs(
            output_dir,
            accelerator.unwrap_model(model),
            extractor,
            results,
            state,
            split,
            label_names,
            arguments,
            command=command,
            num_processes=accelerator.num_processes,
            mixed_precision=accelerator.mixed_precision,
        )
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return {"results": results, "state": state, "split": split}


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
