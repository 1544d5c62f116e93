"""Command-line arguments of `ser-hf train` / `scripts/train.py`, as dataclasses for `HfArgumentParser`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class ModelArguments:
    model: int = field(default=2, metadata={"help": "1: CNN-LSTM, 2: CNN-BiLSTM-attention (the paper's models)"})
    use_lstm: bool = field(default=True, metadata={"help": "False: the 'no LSTM' ablation"})
    bidirectional: bool | None = field(default=None, metadata={"help": "override the model's LSTM direction"})
    use_attention: bool | None = field(default=None, metadata={"help": "override the model's attention"})
    no_dropout: bool = field(default=False, metadata={"help": "the 'no dropout' ablation: every dropout 0"})
    lstm_hidden_size: int = field(default=128)
    init_from: str | None = field(default=None, metadata={"help": "start from this saved model (folder or repo id)"})


@dataclass
class DataArguments:
    data: str | None = field(
        default=None,
        metadata={"help": "RAVDESS folder, its Zenodo zip, or a Hub dataset id; default $SER_HF_RAVDESS_DIR, else Zenodo"},
    )
    split: Literal["paper", "paper-strict", "speaker", "actor-kfold"] = field(
        default="speaker",
        metadata={"help": "paper: 80/10/10 by recording; paper-strict: repetitions of a sentence in one part; "
                          "speaker: held-out actors; actor-kfold: 6 folds of 4 actors (--fold)"},
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
    noise_mode: str = field(default="copies", metadata={"help": "none | copies (N fixed noisy copies) | fresh (new noise each epoch)"})
    noise_type: str = field(default="awgn", metadata={"help": "awgn | uniform"})
    noise_copies: int = field(default=2, metadata={"help": "noisy copies per training file, next to the clean one"})
    snr_min: float = field(default=15.0)
    snr_max: float = field(default=30.0)
    gain_db: float = field(default=0.0, metadata={"help": "random gain in +-dB on noisy copies"})
    max_shift_seconds: float = field(default=0.0, metadata={"help": "random circular time shift on noisy copies"})
    freq_mask_param: int = field(default=0, metadata={"help": "SpecAugment frequency mask width (0: off)"})
    time_mask_param: int = field(default=0, metadata={"help": "SpecAugment time mask width in frames (0: off)"})


@dataclass
class TrainArguments:
    output_dir: str = field(metadata={"help": "the Hub-ready model folder to write"})
    epochs: int = field(default=200)
    batch_size: int = field(default=32)
    eval_batch_size: int = field(default=64)
    optimizer: str = field(default="adamw", metadata={"help": "adamw | adam | sgd"})
    learning_rate: float = field(default=1e-3)
    momentum: float = field(default=0.9, metadata={"help": "SGD momentum"})
    weight_decay: float = field(default=1e-3)
    lr_scheduler: str = field(default="cosine", metadata={"help": "a transformers scheduler name: cosine, linear, constant, ..."})
    warmup_ratio: float = field(default=0.05)
    max_grad_norm: float = field(default=5.0)
    label_smoothing: float = field(default=0.0)
    seed: int = field(default=42)
    normalization: str = field(
        default="utterance", metadata={"help": "utterance (each clip on its own) | global (training-set statistics stored with the model)"}
    )
    bn_recalibration_samples: int = field(
        default=1024,
        metadata={"help": "clean training clips used to re-estimate BatchNorm statistics without dropout before each evaluation (0: off)"},
    )
    early_stopping_patience: int = field(default=0, metadata={"help": "epochs without validation gain before stopping (0: off)"})
    metric_for_best_model: str = field(default="accuracy", metadata={"help": "accuracy | macro_f1 | uar | loss"})
    resume: bool = field(default=False, metadata={"help": "continue the run saved in output_dir"})
    overwrite_output_dir: bool = field(default=False)
    save_every: int = field(default=1, metadata={"help": "save a resumable state every N epochs"})
    hub_model_id: str | None = field(default=None, metadata={"help": "repo id named in the model card"})
    training_path: Literal["auto", "fused", "eager", "static"] = field(
        default="auto",
        metadata={"help": "how training steps run (same results): fused kernels (CPU), eager modules (reference), "
                          "static shapes (compiled, GPU); auto: fused on the CPU, static on a GPU"},
    )
    cache_features: bool = field(
        default=True,
        metadata={"help": "compute the Mel chunks of clean recordings and of fixed noisy copies once and keep them "
                          "(on the training device; about 0.6 GB for the paper split with 2 copies)"},
    )
    cuda_sync_debug: Literal["off", "warn", "error"] = field(
        default="off",
        metadata={"help": "torch.cuda.set_sync_debug_mode during training steps: warn or fail on every host synchronisation"},
    )
    torch_compile: Literal["auto", "no", "default", "reduce-overhead", "max-autotune"] = field(
        default="auto",
        metadata={"help": "torch.compile mode of the training forward (needs static shapes); auto: "
                          "reduce-overhead (CUDA graphs) on a GPU, no on the CPU"},
    )
