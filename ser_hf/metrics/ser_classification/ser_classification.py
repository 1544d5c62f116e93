"""Classification metrics for speech emotion recognition, as a local `evaluate` module.

Hub metrics (`evaluate.load("accuracy")`) need the network; this module ships with ser_hf and is
loaded with `evaluate.load(path)`. It returns accuracy, macro-F1, unweighted average recall (UAR),
per-class precision / recall / F1 / support and the confusion matrix (rows: true, columns: predicted).
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = __doc__
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted class ids.
    references (list of int): true class ids.
    num_classes (int): number of classes (defaults to 1 + the largest id seen).
    labels (list of int, optional): score only these classes (e.g. those two corpora share); rows whose
        reference is outside them are dropped, predictions outside them count as errors.
Returns:
    accuracy, macro_f1, uar, per_class (precision, recall, f1, support lists), confusion_matrix.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SerClassification(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references, num_classes=None, labels=None):
        predictions = np.asarray(predictions, dtype=np.int64)
        references = np.asarray(references, dtype=np.int64)
        if num_classes is None:
            num_classes = int(max(predictions.max(initial=0), references.max(initial=0))) + 1
        if labels is not None:
            keep = np.isin(references, labels)
            predictions, references = predictions[keep], references[keep]
        scored = np.arange(num_classes) if labels is None else np.asarray(sorted(labels))
        matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
        np.add.at(matrix, (references, predictions), 1)
        true_positive = np.diag(matrix).astype(float)
        predicted = matrix.sum(axis=0).astype(float)
        support = matrix.sum(axis=1).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(predicted > 0, true_positive / predicted, 0.0)
            recall = np.where(support > 0, true_positive / support, 0.0)
            f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
        present = scored[support[scored] > 0]
        return {
            "accuracy": float(true_positive.sum() / max(len(references), 1)),
            "macro_f1": float(f1[present].mean()) if present.size else 0.0,
            "uar": float(recall[present].mean()) if present.size else 0.0,
            "per_class": {
                "precision": precision.tolist(),
                "recall": recall.tolist(),
                "f1": f1.tolist(),
                "support": support.astype(int).tolist(),
            },
            "confusion_matrix": matrix.tolist(),
            "num_samples": len(references),
        }
