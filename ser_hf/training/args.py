"""Command-line arguments of `ser-hf train` / `scripts/train.py`, as dataclasses for `HfArgumentParser`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

SCHEDULERS = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
)
"""The `transformers.SchedulerType` values that `get_scheduler` builds from a warm-up and a step count
alone (tested against transformers)."""


@dataclass
class ModelArguments:
    architecture: Literal[1, 2] = field(
        default=2,
        metadata={
            "help": "1: CNN-LSTM, 2: CNN-BiLSTM-attention (the paper's models); --model, its old name, still works",
            "aliases": ["--model"],
        },
    )
    use_lstm: bool = field(default=True, metadata={"help": "False: the 'no LSTM' ablation"})
    bidirectional: bool | None = field(default=None, metadata={"help": "override the model's LSTM direction"})
    use_attention: bool | None = field(default=None, metadata={"help": "override the model's attention"})
    no_dropout: bool = field(default=False, metadata={"help": "the 'no dropout' ablation: every dropout 0"})
    lstm_hidden_size: int = field(default=128)
    classifier_hidden_size: int = field(
        default=64,
        metadata={"help": "width of the dense layer before the output layer (0: none); stored with the model"},
    )
    chunk_stride: int = field(
        default=64,
        metadata={
            "help": "frames between the starts of the Mel chunks (64: half-overlapping); stored with the model; "
            "with --init_from, the loaded model's unless given (the weights do not fix it)"
        },
    )
    num_mel_bins: int = field(
        default=128,
        metadata={
            "help": "Mel bands, the height of each chunk (the paper: 128); stored with the model; "
            "with --init_from, the loaded model's (its weights fix it)"
        },
    )
    init_from: str | None = field(default=None, metadata={"help": "start from this saved model (folder or repo id)"})


@dataclass
class DataArguments:
    data: str | None = field(
        default=None,
        metadata={
            "help": "RAVDESS folder, its Zenodo zip, or a Hub dataset id; default $SER_HF_RAVDESS_DIR, else Zenodo"
        },
    )
    split: Literal["paper", "paper-strict", "speaker", "actor-kfold"] = field(
        default="speaker",
        metadata={
            "help": "paper: 80/10/10 by recording; paper-strict: repetitions of a sentence in one part; "
            "speaker: held-out actors; actor-kfold: 6 folds of 4 actors (--fold)"
        },
    )
    fold: int = field(default=0, metadata={"help": "test fold of actor-kfold"})
    num_folds: int = field(default=6)
    test_actors: str | None = field(default=None, metadata={"help": "comma-separated test actors (overrides --split)"})
    validation_actors: str | None = field(
        default=None, metadata={"help": "comma-separated validation actors with --test_actors ('' for none)"}
    )
    cache_dir: str | None = field(default=None, metadata={"help": "where decoded waveforms are cached"})


@dataclass
class AugmentArguments:
    noise_mode: Literal["none", "copies", "fresh"] = field(
        default="copies", metadata={"help": "none | copies (N fixed noisy copies) | fresh (new noise each epoch)"}
    )
    noise_type: Literal["awgn", "uniform"] = field(
        default="awgn", metadata={"help": "white noise: Gaussian (awgn) or uniform"}
    )
    noise_copies: int = field(default=2, metadata={"help": "noisy copies per training file, next to the clean one"})
    snr_min: float = field(default=15.0)
    snr_max: float = field(default=30.0)
    gain_db: float = field(default=0.0, metadata={"help": "random gain in +-dB on noisy copies"})
    max_shift_seconds: float = field(default=0.0, metadata={"help": "random circular time shift on noisy copies"})
    onset_crop_seconds: float = field(
        default=0.0,
        metadata={"help": "drop a random start of up to this many seconds from each noisy copy (0: off)"},
    )
    freq_mask_param: int = field(default=0, metadata={"help": "SpecAugment frequency mask width (0: off)"})
    time_mask_param: int = field(default=0, metadata={"help": "SpecAugment time mask width in frames (0: off)"})
    speed_perturb: float = field(
        default=0.1, metadata={"help": "noisy copies play up to this much faster or slower (0.1: x0.9-1.1)"}
    )
    channel_prob: float = field(
        default=0.5,
        metadata={"help": "share of noisy copies heard through another channel: random equaliser, band limit, room"},
    )
    crop_chunks: int = field(
        default=0, metadata={"help": "train on a random window of this many consecutive chunks per clip (0: all)"}
    )
    mixup_alpha: float = field(
        default=0.0, metadata={"help": "mixup of two clips' chunks, weight ~ Beta(alpha, alpha) (0: off)"}
    )


@dataclass
class TrainArguments:
    output_dir: str = field(metadata={"help": "the Hub-ready model folder to write"})
    recipe: Literal["ours", "paper", "regularised"] = field(
        default="ours",
        metadata={
            "help": "ours: the defaults shown here (the paper's settings plus speed and channel variation on its "
            "noisy copies and weight averaging); paper: the paper's literal settings; regularised: fresh noise, "
            "SpecAugment, chunk crops, mixup, weight decay 0.05 as well (see RECIPES); a recipe sets every option "
            "not given on the command line"
        },
    )
    epochs: int = field(default=200)
    batch_size: int = field(default=32)
    eval_batch_size: int = field(default=64)
    optimizer: Literal["adamw", "adam", "sgd"] = field(default="adamw")
    learning_rate: float = field(default=1e-3)
    momentum: float = field(default=0.9, metadata={"help": "SGD momentum"})
    weight_decay: float = field(default=1e-3)
    lr_scheduler: Literal[SCHEDULERS] = field(
        default="cosine", metadata={"help": "a transformers scheduler (`get_scheduler`) that needs no extra arguments"}
    )
    warmup_ratio: float = field(default=0.05)
    max_grad_norm: float = field(default=5.0)
    label_smoothing: float = field(default=0.0)
    ema_decay: float = field(
        default=0.998, metadata={"help": "evaluate and save an exponential moving average of the weights (0: off)"}
    )
    seed: int = field(default=42)
    normalization: Literal["utterance", "band", "global"] = field(
        default="utterance",
        metadata={
            "help": "utterance (each clip on its own) | band (each Mel band's own mean over the clip, then one variance) | global "
            "(training-set statistics stored with the model)"
        },
    )
    bn_recalibration_samples: int = field(
        default=1024,
        metadata={
            "help": "clean training clips used to re-estimate BatchNorm statistics without dropout before each evaluation (0: off)"
        },
    )
    early_stopping_patience: int = field(
        default=0, metadata={"help": "epochs without validation gain before stopping (0: off)"}
    )
    max_train_seconds: float = field(
        default=0.0,
        metadata={
            "help": "stop after the epoch that takes training (with evaluation, resumes included) past this many "
            "seconds, then test the best epoch so far, as at the end of the schedule (0: off)"
        },
    )
    metric_for_best_model: Literal["accuracy", "macro_f1", "uar", "loss"] = field(default="accuracy")
    load_best_model_at_end: bool = field(
        default=True,
        metadata={
            "help": "test and save the epoch with the best --metric_for_best_model on validation (the first of tied "
            "ones; unlike transformers' Trainer, true by default); false: the last epoch run, with early stopping "
            "the one it stopped at (measured on 30-40 epoch CPU runs: reports/recipe-ablation.md)"
        },
    )
    resume: bool = field(default=False, metadata={"help": "continue the run saved in output_dir"})
    overwrite_output_dir: bool = field(default=False)
    save_every: int = field(default=1, metadata={"help": "save a resumable state every N epochs"})
    hub_model_id: str | None = field(default=None, metadata={"help": "repo id named in the model card"})
    training_path: Literal["auto", "fused", "eager", "static"] = field(
        default="auto",
        metadata={
            "help": "how training steps run (the same model and recipe; random draws differ between paths): "
            "fused kernels (CPU), eager modules (reference), "
            "static shapes (compiled, GPU); auto: fused on the CPU, static on a GPU"
        },
    )
    cache_features: bool = field(
        default=True,
        metadata={
            "help": "compute the Mel chunks of clean recordings and of fixed noisy copies once and keep them "
            "(on the training device; about 0.6 GB for the paper split with 2 copies)"
        },
    )
    cuda_sync_debug: Literal["off", "warn", "error"] = field(
        default="off",
        metadata={
            "help": "torch.cuda.set_sync_debug_mode during training steps: warn or fail on every host synchronisation"
        },
    )
    torch_compile: Literal["auto", "no", "default", "reduce-overhead", "max-autotune"] = field(
        default="auto",
        metadata={
            "help": "torch.compile mode of the training forward (needs static shapes); auto: "
            "reduce-overhead (CUDA graphs) on a GPU, no on the CPU"
        },
    )


RECIPES: dict[str, dict[str, object]] = {
    "ours": {},  # the dataclass defaults
    "paper": {  # what the paper states (200 epochs, batch 32, fixed AWGN copies at 15-30 dB) and nothing more
        "epochs": 200,
        "batch_size": 32,
        "noise_mode": "copies",
        "noise_copies": 2,
        "noise_type": "awgn",
        "gain_db": 0.0,
        "max_shift_seconds": 0.0,
        "onset_crop_seconds": 0.0,
        "freq_mask_param": 0,
        "time_mask_param": 0,
        "speed_perturb": 0.0,
        "channel_prob": 0.0,
        "crop_chunks": 0,
        "mixup_alpha": 0.0,
        "label_smoothing": 0.0,
        "ema_decay": 0.0,
        "weight_decay": 1e-3,
    },
    "regularised": {  # against memorisation in long schedules; slower to learn (measured: reports/recipe-ablation.md)
        "noise_mode": "fresh",
        "noise_copies": 1,
        "freq_mask_param": 16,
        "time_mask_param": 24,
        "crop_chunks": 3,
        "mixup_alpha": 0.4,
        "weight_decay": 0.05,
    },
}
"""Option values of each `--recipe`; the paper trained Model 1 with uniform noise (`PAPER_NOISE_TYPE`)."""

PAPER_NOISE_TYPE = {1: "uniform", 2: "awgn"}


def apply_recipe(groups: tuple, given: set[str]) -> None:
    """Sets the chosen recipe's values on the argument dataclasses, except options in `given` (those
    the user typed)."""
    train_args = next(g for g in groups if isinstance(g, TrainArguments))
    model_args = next(g for g in groups if isinstance(g, ModelArguments))
    values = dict(RECIPES[train_args.recipe])
    if train_args.recipe == "paper":
        values["noise_type"] = PAPER_NOISE_TYPE.get(model_args.architecture, "awgn")
    for group in groups:
        for name, value in values.items():
            if hasattr(group, name) and name not in given:
                setattr(group, name, value)


def inherit_from_init_model(model_args: ModelArguments, train_args: TrainArguments, given: set[str]) -> None:
    """With `--init_from`: reads the saved model there before any work starts (ValueError when none can be
    read, or when it lies inside `--output_dir`, which training would overwrite), refuses typed options its
    weights contradict, and gives the options the user did not type (`given`) the values it was trained with:
    its architecture and widths, Mel bands, chunk stride and normalization kind (global statistics are
    measured again on the new training set)."""
    if not model_args.init_from:
        return
    from pathlib import Path

    from .. import MODEL_CLASSES
    from ..inference import ModelLoadError, load_model

    source = Path(model_args.init_from).expanduser().resolve()
    if source.is_dir() and source.is_relative_to(Path(train_args.output_dir).resolve()):
        raise ValueError(
            f"--init_from {model_args.init_from} is inside --output_dir {train_args.output_dir}: training would overwrite "
            "the model it starts from; choose another --output_dir"
        )
    try:
        model, extractor = load_model(model_args.init_from)
    except ModelLoadError as error:
        raise ValueError(f"--init_from: {error}") from None
    config = model.config
    saved = {
        "architecture": next(number for number, cls in MODEL_CLASSES.items() if isinstance(model, cls)),
        "lstm_hidden_size": config.lstm_hidden_size,
        "classifier_hidden_size": config.classifier_hidden_size,
        "num_mel_bins": config.num_mel_bins,
    }
    for name, value in saved.items():
        if name in given and getattr(model_args, name) != value:
            raise ValueError(
                f"--{name} {getattr(model_args, name)}: the --init_from model has {value}, fixed by its weights"
            )
        setattr(model_args, name, value)
    if "chunk_stride" not in given:
        model_args.chunk_stride = extractor.chunk_stride
    if "normalization" not in given and extractor.normalization in ("utterance", "band", "global"):
        train_args.normalization = extractor.normalization


def check_arguments(
    model_args: ModelArguments, data_args: DataArguments, aug_args: AugmentArguments, train_args: TrainArguments
) -> None:
    """Raises ValueError for option values that cannot work, before any work starts (no folder is
    created, no data read)."""
    from dataclasses import asdict

    from ..paths import check_output_path

    at_least = {
        "epochs": 1,
        "batch_size": 1,
        "eval_batch_size": 1,
        "save_every": 1,
        "bn_recalibration_samples": 0,
        "early_stopping_patience": 0,
    }
    for name, low in at_least.items():
        if getattr(train_args, name) < low:
            raise ValueError(f"--{name} must be at least {low}, got {getattr(train_args, name)}")
    if not train_args.learning_rate > 0:
        raise ValueError(f"--learning_rate must be positive, got {train_args.learning_rate}")
    for name in ("warmup_ratio", "label_smoothing", "ema_decay"):
        if not 0 <= getattr(train_args, name) < 1:
            raise ValueError(f"--{name} must be in [0, 1), got {getattr(train_args, name)}")
    for name in ("weight_decay", "max_grad_norm", "max_train_seconds"):
        if getattr(train_args, name) < 0:
            raise ValueError(f"--{name} must not be negative, got {getattr(train_args, name)}")
    if data_args.num_folds < 2 or not 0 <= data_args.fold < data_args.num_folds:
        raise ValueError(
            f"need --num_folds >= 2 and 0 <= --fold < --num_folds, got fold {data_args.fold} of {data_args.num_folds}"
        )
    for name in ("lstm_hidden_size", "chunk_stride", "num_mel_bins"):
        if getattr(model_args, name) < 1:
            raise ValueError(f"--{name} must be at least 1, got {getattr(model_args, name)}")
    if model_args.classifier_hidden_size < 0:
        raise ValueError(f"--classifier_hidden_size must not be negative, got {model_args.classifier_hidden_size}")
    check_output_path(train_args.output_dir, "--output_dir", folder=True)
    from ..data.augment import AugmentConfig  # (imports torch)

    AugmentConfig(**asdict(aug_args))  # its own checks (SNR range, copies, probabilities)
    from ..feature_extraction_ser import SerFeatureExtractor

    try:  # its own checks: more bands than the FFT resolves leave empty Mel filters
        with warnings.catch_warnings():  # transformers warns of them too; the error below says it once
            warnings.simplefilter("ignore", UserWarning)
            SerFeatureExtractor(feature_size=model_args.num_mel_bins, chunk_stride=model_args.chunk_stride)
    except ValueError as error:
        raise ValueError(f"--num_mel_bins {model_args.num_mel_bins}: {error}") from None
