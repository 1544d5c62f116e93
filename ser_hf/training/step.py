"""One optimisation step, and how steps run on the device at hand.

- CPU: the models' fused training path (channels-last convolutions, BatchNorm / max-pool / ELU /
  dropout fused with a hand-written backward), eager PyTorch: `torch.compile` does not pay there.
- CUDA: static shapes (every batch as wide as the longest clip, a fixed chunk count, padded chunks
  left out of BatchNorm's statistics), `torch.compile` (CUDA graphs with "reduce-overhead"), a fused
  AdamW; nothing in a step waits for the device, so several runs can share one GPU.
All paths compute the same function (tests compare their losses and gradients).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .args import TrainArguments


@dataclass(frozen=True)
class StepPlan:
    """How the training steps of a run execute: the model's training path and the compile mode."""

    training_path: str  # "fused" | "eager" | "static" (see SerPreTrainedModel.set_training_path)
    compile_mode: str | None  # a torch.compile mode, None: eager

    @property
    def static_shapes(self) -> bool:
        return self.training_path == "static"


def plan_steps(args: TrainArguments, device: torch.device) -> StepPlan:
    """Resolves "auto": fused eager kernels on the CPU, static shapes compiled with CUDA graphs on a GPU."""
    cuda = device.type == "cuda"
    path = (
        args.training_path
        if args.training_path != "auto"
        else ("static" if cuda else "fused" if device.type == "cpu" else "eager")
    )
    mode = args.torch_compile if args.torch_compile != "auto" else ("reduce-overhead" if cuda else "no")
    if mode != "no" and path != "static":
        raise ValueError(f"--torch_compile {mode} needs --training_path static (or auto on a GPU), got {path}")
    return StepPlan(path, None if mode == "no" else mode)


def keep_cpu_memory_mapped() -> bool:
    """Has glibc's malloc serve every block from its heap and keep freed memory mapped (True if set).

    PyTorch's CPU tensors come from malloc. By default glibc maps blocks over 32 MB afresh and unmaps
    them when they are freed, so every training step page-faults its largest maps (the first conv
    blocks' activations and gradients) in again: a fifth of a fused CPU step here. This is the effect
    PyTorch's CPU tuning guide gets from jemalloc or TCMalloc; it changes no result. No-op without glibc.
    """
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # malloc.h
    return bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1))


def make_optimizer(model: torch.nn.Module, args: TrainArguments, device: torch.device) -> torch.optim.Optimizer:
    """AdamW, Adam or SGD with weight decay on matrices and kernels only; fused kernels on a GPU."""
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    fused = {"fused": True} if device.type == "cuda" else {}
    if args.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=args.learning_rate, momentum=args.momentum, **fused)
    if args.optimizer == "adam":
        return torch.optim.Adam(groups, lr=args.learning_rate, **fused)
    if args.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=args.learning_rate, **fused)
    raise ValueError(f"--optimizer must be adamw, adam or sgd, got {args.optimizer!r}")


def mixup(features: dict, labels: torch.Tensor, alpha: float) -> tuple[dict, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mixup (Zhang et al., 2018) on the Mel chunks: each clip blended with another of the batch with
    a weight lambda ~ Beta(alpha, alpha), one per batch (kept >= 0.5 so the first clip leads). Returns
    the mixed features, the partner labels, lambda (a device tensor: no host synchronisation) and the
    partner order. A chunk is real when it is real in either clip."""
    lam = torch.distributions.Beta(alpha, alpha).sample().to(labels.device)
    lam = torch.maximum(lam, 1 - lam)
    order = torch.randperm(len(labels), device=labels.device)
    values, mask = features["input_values"], features["chunk_mask"]
    mixed = {
        **features,
        "input_values": values * lam + values[order] * (1 - lam),
        "chunk_mask": torch.maximum(mask, mask[order]),
    }
    return mixed, labels[order], lam, order


class WeightAverage(torch.nn.Module):
    """An exponential moving average of the model's weights (torch's EMA update,
    `torch.optim.swa_utils.get_ema_multi_avg_fn`), kept in a copy of the model that evaluation and the
    saved model use. The decay warms up as min(decay, (1 + n) / (10 + n)) after n updates, so a short
    run is not dominated by its first weights. BatchNorm buffers are copied, not averaged: they are
    re-estimated before each evaluation anyway. Unlike `AveragedModel`, an update never reads a device
    value on the host (the update count lives on the host and in the checkpoint)."""

    def __init__(self, model: torch.nn.Module, decay: float):
        import copy

        super().__init__()
        self.module = copy.deepcopy(model)
        self.module.requires_grad_(False)
        self.decay = decay
        self.updates = 0

    @torch.no_grad()
    def update_parameters(self, model: torch.nn.Module) -> None:
        from torch.optim.swa_utils import get_ema_multi_avg_fn

        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        get_ema_multi_avg_fn(decay)(list(self.module.parameters()), [p.detach() for p in model.parameters()], None)
        for average, current in zip(self.module.buffers(), model.buffers()):
            average.copy_(current)
        self.updates += 1

    def get_extra_state(self) -> dict:
        return {"updates": self.updates}

    def set_extra_state(self, state: dict) -> None:
        self.updates = int(state["updates"])


class TrainStep:
    """forward -> cross-entropy (label smoothing, mixup) -> backward -> gradient clipping -> optimizer
    and scheduler step -> weight average (EMA). Returns the batch's summed loss as a device tensor (no
    host synchronisation)."""

    def __init__(
        self,
        model,
        optimizer,
        scheduler,
        accelerator,
        plan: StepPlan,
        label_smoothing: float = 0.0,
        max_grad_norm: float = 0.0,
        mixup_alpha: float = 0.0,
        ema=None,
    ):
        self.model = model
        if plan.compile_mode:  # the CNN, where the work and the kernel launches are; compiled in place, so
            # the state dict and evaluation see the same module (the LSTMs stay eager: dynamo does not trace RNNs)
            accelerator.unwrap_model(model).ser.chunk_encoder.compile(mode=plan.compile_mode)
        self.optimizer, self.scheduler, self.accelerator = optimizer, scheduler, accelerator
        self.label_smoothing, self.max_grad_norm = label_smoothing, max_grad_norm
        self.mixup_alpha, self.ema = mixup_alpha, ema

    def __call__(self, features: dict, labels: torch.Tensor) -> torch.Tensor:
        loss_of = lambda logits, target: torch.nn.functional.cross_entropy(
            logits.float(), target, label_smoothing=self.label_smoothing
        )
        if self.mixup_alpha > 0:
            features, partners, lam, _ = mixup(features, labels, self.mixup_alpha)
            logits = self.model(**features).logits
            loss = lam * loss_of(logits, labels) + (1 - lam) * loss_of(logits, partners)
        else:
            loss = loss_of(self.model(**features).logits, labels)
        self.accelerator.backward(loss)
        if self.max_grad_norm:
            self.accelerator.clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.ema is not None:
            self.ema.update_parameters(self.accelerator.unwrap_model(self.model))
        return loss.detach() * len(labels)
