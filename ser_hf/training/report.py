"""What a training run leaves behind: the Hub-ready folder with model, feature extractor, model card,
metrics JSON, the exact arguments, the confusion matrix and the training curves as PNG."""

from __future__ import annotations

import json
from pathlib import Path


def plot_confusion(matrix, label_names, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    matrix = np.asarray(matrix)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(label_names)), label_names, rotation=45, ha="right")
    ax.set_yticks(range(len(label_names)), label_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    color="white" if rates[i, j] > 0.5 else "black",
                    fontsize=8,
                )
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_curves(history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    loss_ax.plot(epochs, [h["train_loss"] for h in history], label="train")
    if history and "val_loss" in history[0]:
        loss_ax.plot(epochs, [h["val_loss"] for h in history], label="validation")
        acc_ax.plot(epochs, [h["val_accuracy"] for h in history], label="validation accuracy")
        acc_ax.plot(epochs, [h["val_macro_f1"] for h in history], label="validation macro-F1")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("cross-entropy")
    loss_ax.legend()
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylim(0, 1)
    if acc_ax.lines:
        acc_ax.legend()
    else:
        acc_ax.text(0.5, 0.5, "no validation set in this run", ha="center", va="center", transform=acc_ax.transAxes)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_outputs(
    output_dir: Path,
    model,
    extractor,
    results,
    state,
    split,
    label_names,
    arguments,
    command,
    num_processes,
    mixed_precision,
) -> dict:
    output_dir = Path(output_dir)
    model.save_pretrained(output_dir)
    extractor.save_pretrained(output_dir)
    summary = {
        "model": type(model).__name__,
        "split": split.description,
        "validation_actors": list(split.validation_actors),
        "test_actors": list(split.test_actors),
        "num_rows": {"train": len(split.train), "validation": len(split.validation), "test": len(split.test)},
        "best_epoch": state["best_epoch"],
        # the epoch tested and saved: the best on validation, or the last run (--load_best_model_at_end false)
        "kept_epoch": state["best_epoch"] if arguments["train"].get("load_best_model_at_end", True) else state["epoch"],
        "epochs_run": state["epoch"],
        "stopped": state.get("stopped"),  # why before the last epoch (early stopping, time budget), or None
        "train_seconds": round(state["train_seconds"], 1),
        "run_seconds": round(state.get("run_seconds", 0.0), 1),
        "device": state.get("device"),
        "device_name": state.get("device_name"),  # the GPU's name; None on the CPU
        "training_path": state.get("training_path"),
        "torch_compile": state.get("torch_compile"),
        "peak_device_memory_mb": state.get("peak_device_memory_mb"),
        "num_processes": num_processes,
        "mixed_precision": mixed_precision,
        "labels": label_names,
        "validation": results["validation"],
        "test": results["test"],
        "calibration": results.get("calibration"),
        "history": state["history"],
        "command": command,
    }
    (output_dir / "metrics.json").write_text(json.dumps(summary, indent=2))
    (output_dir / "training_args.json").write_text(json.dumps({**arguments, "command": command}, indent=2))
    try:
        for part in ("test", "validation"):
            if results[part]:
                plot_confusion(
                    results[part]["confusion_matrix"],
                    label_names,
                    output_dir / "confusion_matrix.png",
                    f"{part}: accuracy {results[part]['accuracy']:.3f}",
                )
                break
        plot_curves(state["history"], output_dir / "training_curves.png")
    except ImportError:
        print("matplotlib is not installed: no figures written (pip install 'ser-hf[train]')")
    from ..model_cards import write_model_card

    write_model_card(output_dir, summary, arguments)
    return summary
