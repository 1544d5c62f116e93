"""The model card (README.md) of a trained model folder: metadata with a model-index of the measured
metrics, and text on the model, its data, split, training and results."""

from __future__ import annotations

from pathlib import Path

from .report import PAPER


def write_model_card(output_dir: Path, summary: dict, arguments: dict) -> None:
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    part = "test" if summary["test"] else "validation"
    measured = summary[part]
    model_name = Path(output_dir).name
    split_name = summary["split"]
    eval_results = []
    if measured:
        for metric, key in (("accuracy", "accuracy"), ("f1", "macro_f1")):
            eval_results.append(
                EvalResult(
                    task_type="audio-classification",
                    dataset_type="ravdess",
                    dataset_name=f"RAVDESS speech ({split_name})",
                    dataset_split=part,
                    metric_type=metric,
                    metric_name=f"{part} {key}",
                    metric_value=round(measured[key], 4),
                )
            )
    data = ModelCardData(
        library_name="transformers",
        pipeline_tag="audio-classification",
        license="cc-by-nc-sa-4.0",
        datasets=["ravdess"],
        language=["en"],
        tags=["speech-emotion-recognition", "audio-classification", "ser-hf", "custom_code"],
        model_name=model_name,
        eval_results=eval_results or None,
    )
    labels = summary["labels"]
    rows = ""
    if measured:
        per = measured["per_class"]
        rows = "\n".join(
            f"| {label} | {per['precision'][i]:.3f} | {per['recall'][i]:.3f} | {per['f1'][i]:.3f} | {per['support'][i]} |"
            for i, label in enumerate(labels)
        )
    train = arguments["train"]
    content = f"""---
{data.to_yaml()}
---

# {model_name}

Speech emotion recognition over 8 emotions ({", ".join(labels)}), a `{summary["model"]}` trained with
the ser-hf package, implementing {PAPER}.
Trained on RAVDESS speech (24 actors, acted English), {split_name}.

## Usage

```python
from transformers import pipeline
classifier = pipeline("audio-classification", model="{train.get("hub_model_id") or model_name}", trust_remote_code=True)
classifier("speech.wav", top_k=None)
```

## Results ({part} set)

Accuracy **{measured["accuracy"]:.4f}**, macro-F1 **{measured["macro_f1"]:.4f}**, UAR {measured["uar"]:.4f}
on {measured["num_samples"]} recordings (best epoch {summary["best_epoch"]} of {summary["epochs_run"]} on validation).

| emotion | precision | recall | F1 | support |
|---|---:|---:|---:|---:|
{rows}

![confusion matrix](confusion_matrix.png)
![training curves](training_curves.png)

## Training

- Split: {split_name}; rows train / validation / test: {summary["num_rows"]["train"]} / {summary["num_rows"]["validation"]} / {summary["num_rows"]["test"]}
- Augmentation: {arguments["augment"]}
- Optimiser {train["optimizer"]}, learning rate {train["learning_rate"]}, schedule {train["lr_scheduler"]}, batch {train["batch_size"]}, epochs {train["epochs"]}, seed {train["seed"]}
- Training time {summary["train_seconds"]} s on {summary["num_processes"]} process(es), mixed precision {summary["mixed_precision"]}
- Command: `{summary["command"]}`

## Limits

Acted English speech from 24 North-American actors, recorded in a studio: accuracy drops on
spontaneous speech, other languages, other microphones and other corpora. Not for decisions about people.
Licensed CC BY-NC-SA 4.0 like the RAVDESS recordings it was trained on.
""" if measured else f"---\n{data.to_yaml()}\n---\n\n# {model_name}\n\nNo evaluation part in this run.\n"
    ModelCard(content).save(Path(output_dir) / "README.md")
