"""Metrics through `evaluate`, from a module shipped in the package (works offline)."""

from __future__ import annotations

from pathlib import Path

METRIC_PATH = str(Path(__file__).parent / "ser_classification")


def load_metric():
    """The `ser_classification` evaluate module (accuracy, macro-F1, UAR, per-class, confusion matrix)."""
    import evaluate

    return evaluate.load(METRIC_PATH)


def compute_metrics(predictions, references, num_classes: int, labels=None) -> dict:
    return load_metric().compute(predictions=predictions, references=references, num_classes=num_classes, labels=labels)
