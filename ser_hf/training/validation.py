"""Evaluation during and after training, on the training device: predictions for a part of the split,
its metrics, and the re-estimation of BatchNorm statistics that precedes every evaluation."""

from __future__ import annotations

import torch

from ..metrics import compute_metrics
from .batches import features_for


@torch.no_grad()
def recalibrate_batchnorm(model, loader, bank, extractor, accelerator, max_samples: int, cache=None) -> None:
    """Re-estimates every BatchNorm's running statistics on clean training clips with dropout off.

    The paper puts dropout after each pool, right before the next block's BatchNorm: the statistics
    collected while training include dropout's extra variance, which eval mode (no dropout) does not
    have, and the deep blocks then see activations several times smaller than they were normalised
    for. One forward pass without dropout over training data gives the statistics inference needs.
    """
    norms = [
        m for m in accelerator.unwrap_model(model).modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    ]
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
        features, _ = features_for(batch, bank, extractor, cache=cache)
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
def predict_rows(model, loader, bank, extractor, accelerator, cache=None) -> dict:
    """Predictions (and logits) for every row of an evaluation loader, gathered across processes, each
    row once. Results stay on the device until the loader is done: one transfer per evaluation."""
    model.eval()
    logits, references, rows, losses = [], [], [], []
    for batch in loader:
        features, labels = features_for(batch, bank, extractor, cache=cache)
        outputs = model(**features)
        batch_rows = batch["rows"].to(labels.device)
        loss = torch.nn.functional.cross_entropy(outputs.logits.float(), labels, reduction="none")
        gathered = accelerator.gather_for_metrics((outputs.logits.float(), labels, batch_rows, loss))
        for store, value in zip((logits, references, rows, losses), gathered):
            store.append(value)
    if not rows:
        return {"predictions": [], "references": [], "rows": [], "loss": float("nan"), "logits": torch.zeros(0, 0)}
    logits, references, rows, losses = (torch.cat(store).cpu() for store in (logits, references, rows, losses))
    return {
        "predictions": logits.argmax(-1).tolist(),
        "references": references.tolist(),
        "rows": rows.tolist(),
        "loss": float(losses.mean()),
        "logits": logits,
    }


def score(result: dict, num_labels: int) -> dict:
    """Accuracy, macro-F1, UAR, per-class scores and confusion matrix (the shipped `evaluate` module),
    plus the mean cross-entropy."""
    metrics = compute_metrics(result["predictions"], result["references"], num_classes=num_labels)
    metrics["loss"] = result["loss"]
    return metrics


def spread(rows: list[int], count: int) -> list[int]:
    """About `count` rows taken evenly from `rows` (all of them when there are fewer)."""
    if count <= 0 or count >= len(rows):
        return list(rows)
    step = len(rows) / count
    return [rows[int(i * step)] for i in range(count)]
