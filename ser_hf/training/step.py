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
    path = args.training_path if args.training_path != "auto" else ("static" if cuda else "fused")
    mode = args.torch_compile if args.torch_compile != "auto" else ("reduce-overhead" if cuda else "no")
    if mode != "no" and path != "static":
        raise ValueError(f"--torch_compile {mode} needs --training_path static (or auto on a GPU), got {path}")
    return StepPlan(path, None if mode == "no" else mode)


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
    return torch.optim.AdamW(groups, lr=args.learning_rate, **fused)


class TrainStep:
    """forward -> cross-entropy (label smoothing) -> backward -> gradient clipping -> optimizer and
    scheduler step. Returns the batch's summed loss as a device tensor (no host synchronisation)."""

    def __init__(self, model, optimizer, scheduler, accelerator, plan: StepPlan, label_smoothing: float = 0.0,
                 max_grad_norm: float = 0.0):
        self.model = model
        self.forward = torch.compile(model, mode=plan.compile_mode) if plan.compile_mode else model
        self.optimizer, self.scheduler, self.accelerator = optimizer, scheduler, accelerator
        self.label_smoothing, self.max_grad_norm = label_smoothing, max_grad_norm

    def __call__(self, features: dict, labels: torch.Tensor) -> torch.Tensor:
        logits = self.forward(**features).logits
        loss = torch.nn.functional.cross_entropy(logits.float(), labels, label_smoothing=self.label_smoothing)
        self.accelerator.backward(loss)
        if self.max_grad_norm:
            self.accelerator.clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.detach() * len(labels)
