"""Model and dataset cards: the Jinja templates beside this file (installed with the package as
`ser_hf.model_cards`) and the code that renders a trained model's card from its metrics and arguments."""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

from ..configuration_ser import display_name

PAPER = "Bhanbhro et al., Speech Emotion Recognition: Comparative Analysis of CNN-LSTM and Attention-Enhanced CNN-LSTM Models, Signals 2025, 6(2), 22"
"""The paper the models implement, as the cards cite it."""


def template_text(name: str) -> str:
    """A card template from the `model_cards/` folder (installed as the `ser_hf.model_cards` package)."""
    return resources.files("ser_hf.model_cards").joinpath(name).read_text(encoding="utf-8")


def _sequence_model(config: dict) -> str:
    if not config.get("use_lstm", True):
        return "mean pooling over chunks (the 'no LSTM' ablation)"
    kind = "a bidirectional LSTM" if config.get("bidirectional") else "an LSTM"
    size = config.get("lstm_hidden_size", 128)
    attention = " with additive attention over the chunks" if config.get("use_attention") else " (its last state)"
    return f"{kind} of {size} units{attention}"


def _parameters(output_dir: Path) -> str:
    """Trainable parameters in the saved weights (BatchNorm running statistics are not parameters)."""
    from safetensors import safe_open

    with safe_open(Path(output_dir) / "model.safetensors", "pt") as handle:
        total = sum(
            math.prod(handle.get_slice(k).get_shape())
            for k in handle.keys()  # noqa: SIM118 (a safetensors handle, not a dict)
            if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))
        )
    return f"{total:,}"


def _evaluate_split_args(summary: dict, arguments: dict) -> str:
    if summary.get("test_actors"):
        validation = ",".join(map(str, summary.get("validation_actors") or []))
        return f"speaker --test_actors {','.join(map(str, summary['test_actors']))} --validation_actors '{validation}'"
    data = arguments["data"]
    split = data["split"]
    extra = f" --fold {data['fold']} --num_folds {data['num_folds']}" if split == "actor-kfold" else ""
    return f"{split} --seed {arguments['train']['seed']}{extra}"


def _calibration(reports: dict | None) -> dict | None:
    """The card's calibration table: ECE and NLL before and after temperature scaling, per set."""
    if not reports:
        return None
    from ..calibration import ECE_BINS

    rows = [{"part": part, **report} for part, report in reports.items()]
    return {"temperature": rows[0]["temperature"], "bins": ECE_BINS, "rows": rows}


def _augmentation(augment: dict, train: dict) -> str:
    """The training recipe in one line: noise, then each other ingredient that was on."""
    if augment["noise_mode"] == "none":
        parts = ["no noise"]
    else:
        copies = (
            f"{augment['noise_copies']} noisy copies per file"
            if augment["noise_mode"] == "copies"
            else "fresh every epoch"
        )
        parts = [f"{augment['noise_type']} noise at {augment['snr_min']:g}-{augment['snr_max']:g} dB SNR, {copies}"]
    if augment.get("speed_perturb"):
        parts.append(f"speed x{1 - augment['speed_perturb']:g}-{1 + augment['speed_perturb']:g}")
    if augment.get("channel_prob"):
        parts.append(
            f"another channel (equaliser, band limit, room) for {augment['channel_prob']:.0%} of the noisy copies"
        )
    if augment.get("gain_db"):
        parts.append(f"gain +-{augment['gain_db']:g} dB")
    if augment.get("max_shift_seconds"):
        parts.append(f"circular shift up to +-{augment['max_shift_seconds']:g} s")
    if augment.get("onset_crop_seconds"):
        parts.append(f"up to {augment['onset_crop_seconds']:g} s of each noisy copy's start dropped")
    if augment.get("freq_mask_param") or augment.get("time_mask_param"):
        parts.append(f"SpecAugment ({augment['freq_mask_param']} bands, {augment['time_mask_param']} frames)")
    if augment.get("crop_chunks"):
        parts.append(f"random windows of {augment['crop_chunks']} chunks")
    if augment.get("mixup_alpha"):
        parts.append(f"mixup (alpha {augment['mixup_alpha']:g})")
    if train.get("ema_decay"):
        parts.append(f"weights averaged (EMA {train['ema_decay']:g})")
    recipe = f"`{train['recipe']}`: " if train.get("recipe") else ""
    return recipe + "; ".join(parts)


def write_model_card(output_dir: Path, summary: dict, arguments: dict) -> None:
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    output_dir = Path(output_dir)
    part = "test" if summary["test"] else "validation"
    measured = summary[part]
    model_name = output_dir.name
    split_name = summary["split"]
    repo_id = arguments["train"].get("hub_model_id") or model_name
    eval_results = (
        [
            EvalResult(
                task_type="audio-classification",
                dataset_type="ravdess",
                dataset_name=f"RAVDESS speech ({split_name})",
                dataset_split=part,
                metric_type=metric,
                metric_name=f"{part} {key}",
                metric_value=round(measured[key], 4),
            )
            for metric, key in (("accuracy", "accuracy"), ("f1", "macro_f1"))
        ]
        if measured
        else None
    )
    data = ModelCardData(
        library_name="transformers",
        pipeline_tag="audio-classification",
        license="cc-by-nc-sa-4.0",
        datasets=["ravdess"],
        language=["en"],
        tags=["speech-emotion-recognition", "audio-classification", "ser-hf", "custom_code"],
        model_name=model_name,
        eval_results=eval_results,
    )
    config_path = output_dir / "config.json"
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    labels = summary["labels"]
    per = measured["per_class"] if measured else None
    per_class = (
        [
            {
                "label": label,
                "precision": per["precision"][i],
                "recall": per["recall"][i],
                "f1": per["f1"][i],
                "support": per["support"][i],
            }
            for i, label in enumerate(labels)
        ]
        if per
        else []
    )
    noise = _augmentation(arguments["augment"], arguments["train"])
    held_out = (
        f"actors {', '.join(map(str, summary['test_actors']))}, never heard in training"
        if summary.get("test_actors")
        else split_name
    )
    card = ModelCard.from_template(
        data,
        template_str=template_text("ser_model_card.md"),
        model_name=model_name,
        repo_id=repo_id,
        architecture=display_name(config.get("model_type", summary["model"])),
        model_class=summary["model"],
        paper=PAPER,
        labels=labels,
        sequence_model=_sequence_model(config),
        parameters=_parameters(output_dir),
        split_name=split_name,
        split_arg=_evaluate_split_args(summary, arguments),
        num_rows=summary["num_rows"],
        epochs_run=summary["epochs_run"],
        best_epoch=summary["best_epoch"],
        kept_epoch=summary.get("kept_epoch", summary["best_epoch"]),
        train=arguments["train"],
        augmentation=noise,
        device=summary.get("device_name") or summary.get("device") or "unknown device",
        num_processes=summary["num_processes"],
        mixed_precision=summary["mixed_precision"],
        train_seconds=summary["train_seconds"],
        command=summary["command"],
        part=part,
        held_out=held_out,
        measured=measured
        or {"accuracy": float("nan"), "macro_f1": float("nan"), "uar": float("nan"), "num_samples": 0},
        per_class=per_class,
        calibration=_calibration(summary.get("calibration")),
    )
    card.save(output_dir / "README.md")
