"""From audio files to emotion probabilities with a saved model (a folder or a Hub repo id)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

from .audio import load_audio


class ModelLoadError(RuntimeError):
    """The model folder or repo id could not be loaded; the message says which and why."""


def load_model(model: str | os.PathLike, device: str | torch.device = "cpu"):
    """Loads (model in eval mode, feature extractor) from a folder or a Hub repo id.

    Importing `ser_hf` registered both architectures, so no remote code is executed here.
    """
    name = os.fspath(model)
    looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep in name.replace("/", "")
    if looks_like_path and not os.path.isdir(os.path.expanduser(name)):
        raise ModelLoadError(f"could not load the model {name!r}: no such folder")
    name = os.path.expanduser(name) if looks_like_path else name
    try:
        extractor = AutoFeatureExtractor.from_pretrained(name)
        network = AutoModelForAudioClassification.from_pretrained(name)
    except (OSError, ValueError, KeyError) as error:
        hint = "" if os.path.isdir(name) else " (neither a local folder nor a repo id available from the Hub cache)"
        raise ModelLoadError(f"could not load the model {name!r}{hint}: {error}") from None
    return network.to(device).eval(), extractor


@dataclass
class Prediction:
    """One file's result: the top label and every label's probability, or the error that stopped it."""

    source: str
    label: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict:
        if self.error is not None:
            return {"file": self.source, "error": self.error}
        return {"file": self.source, "label": self.label, "scores": self.scores}


@torch.no_grad()
def predict_waveform(model, extractor, samples: np.ndarray) -> dict[str, float]:
    """Probabilities of every label for one mono clip at the extractor's sampling rate."""
    inputs = extractor(samples, sampling_rate=extractor.sampling_rate, return_tensors="pt").to(model.device)
    probs = model(**inputs).logits.softmax(-1)[0].tolist()
    return {model.config.id2label[i]: p for i, p in enumerate(probs)}


def predict_files(model, extractor, paths: list[str]) -> list[Prediction]:
    """Predicts each file on its own: a missing or broken file gets its error, the others still run."""
    results = []
    for path in paths:
        try:
            samples, _ = load_audio(path, extractor.sampling_rate)
            scores = predict_waveform(model, extractor, samples)
        except ValueError as error:  # AudioError and the extractor's input checks
            message = str(error)
            results.append(Prediction(path, error=message if path in message else f"{path}: {message}"))
            continue
        results.append(Prediction(path, label=max(scores, key=scores.get), scores=scores))
    return results
