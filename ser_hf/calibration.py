"""Calibrated probabilities: temperature scaling (Guo et al., 2017) fitted on validation logits, and
the expected calibration error (ECE) with its reliability table, to show what it changed.

A model's `config.temperature` divides its logits (see `SerForAudioClassification.forward`); the top
label never changes, only how confident the probabilities are.
"""

from __future__ import annotations

from itertools import pairwise

import torch

ECE_BINS = 10


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature T > 0 minimising the cross-entropy of softmax(logits / T) on `labels` (LBFGS on
    log T, so T stays positive). `logits` are uncalibrated (T = 1)."""
    logits, labels = logits.detach().double().cpu(), labels.detach().long().cpu()
    if len(labels) == 0:
        raise ValueError("fitting a temperature needs at least one labelled clip")
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp().clamp(0.05, 20.0))


def reliability(probs: torch.Tensor, labels: torch.Tensor, bins: int = ECE_BINS) -> dict:
    """Expected calibration error (the mean gap between confidence and accuracy over `bins` equal
    confidence bins, weighted by their share of clips) and the per-bin table behind it."""
    probs, labels = probs.detach().double().cpu(), labels.detach().long().cpu()
    confidence, predicted = probs.max(-1)
    correct = (predicted == labels).double()
    edges = torch.linspace(0, 1, bins + 1, dtype=torch.float64)
    table, ece = [], 0.0
    for low, high in pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        count = int(inside.sum())
        if count:
            gap = float((confidence[inside].mean() - correct[inside].mean()).abs())
            ece += gap * count / len(labels)
            table.append(
                {
                    "bin": [round(float(low), 2), round(float(high), 2)],
                    "count": count,
                    "confidence": round(float(confidence[inside].mean()), 4),
                    "accuracy": round(float(correct[inside].mean()), 4),
                }
            )
    return {"ece": round(ece, 4), "bins": table}


def calibration_report(logits: torch.Tensor, labels: torch.Tensor, temperature: float) -> dict:
    """ECE and negative log-likelihood of `logits` (uncalibrated) before and after dividing by `temperature`."""
    logits, labels = logits.detach().double().cpu(), labels.detach().long().cpu()
    report = {"temperature": round(temperature, 4), "num_samples": len(labels)}
    for name, scaled in (("before", logits), ("after", logits / temperature)):
        stats = reliability(scaled.softmax(-1), labels)
        report[name] = {
            "ece": stats["ece"],
            "nll": round(float(torch.nn.functional.cross_entropy(scaled, labels)), 4),
            "bins": stats["bins"],
        }
    return report
