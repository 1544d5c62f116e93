"""From audio files to emotion probabilities with a saved model (a folder or a Hub repo id)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch
from safetensors import SafetensorError
from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification

from .audio import audio_duration, load_audio
from .configuration_ser import SerConfig
from .longform import HOP_SECONDS, WINDOW_SECONDS, Timeline, predict_timeline


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
        config = AutoConfig.from_pretrained(name)
        if not isinstance(config, SerConfig):
            raise ModelLoadError(
                f"{name!r} holds a {config.model_type!r} model, not a ser-hf model (ser-cnn-lstm or ser-cnn-bilstm-attention)"
            )
        extractor = AutoFeatureExtractor.from_pretrained(name)
        network = AutoModelForAudioClassification.from_pretrained(name, config=config, use_safetensors=True)  # never unpickle weights
    except ModelLoadError:
        raise
    except SafetensorError as error:
        raise ModelLoadError(f"could not load the model {name!r}: its weights file is damaged or incomplete ({error})") from None
    except (OSError, ValueError, KeyError) as error:
        hint = "" if os.path.isdir(name) else " (neither a local folder nor a repo id available from the Hub cache)"
        raise ModelLoadError(f"could not load the model {name!r}{hint}: {error}") from None
    return network.to(device).eval(), extractor


@dataclass
class Prediction:
    """One file's result: the top label and every label's probability, or the error that stopped it.
    A long recording also carries its timeline of sliding windows."""

    source: str
    label: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    timeline: Timeline | None = None

    def as_dict(self) -> dict:
        if self.error is not None:
            return {"file": self.source, "error": self.error}
        result = {"file": self.source, "label": self.label, "scores": self.scores}
        if self.timeline is not None:
            result["timeline"] = self.timeline.as_dict()["segments"]
        return result


@dataclass
class ClipAnalysis:
    """What the models see and weigh in one clip, for plots: the scores, the trimmed log-Mel (bands,
    frames) in dB, each chunk's (start, end) seconds on the log-Mel's time base, and Model 2's
    attention weight per chunk (None for a model without attention)."""

    scores: dict[str, float]
    log_mel: np.ndarray
    chunk_times: list[tuple[float, float]]
    attention: np.ndarray | None

    @property
    def label(self) -> str:
        return max(self.scores, key=self.scores.get)


@torch.no_grad()
def analyse_clip(model, extractor, samples: np.ndarray) -> ClipAnalysis:
    """Scores, log-Mel and attention of one mono clip at the extractor's sampling rate."""
    inputs = extractor(samples, sampling_rate=extractor.sampling_rate, return_tensors="pt").to(model.device)
    outputs = model(**inputs)
    probs = outputs.logits.float().softmax(-1)[0].tolist()
    n_chunks = int(inputs["chunk_mask"][0].sum())
    attention = outputs.attentions[0][0, :n_chunks].float().cpu().numpy() if outputs.attentions else None
    return ClipAnalysis(
        scores={model.config.id2label[i]: p for i, p in enumerate(probs)},
        log_mel=extractor.log_mel_spectrogram(samples),
        chunk_times=[extractor.chunk_seconds(i) for i in range(n_chunks)],
        attention=attention,
    )


@torch.no_grad()
def predict_waveform(model, extractor, samples: np.ndarray) -> dict[str, float]:
    """Probabilities of every label for one mono clip at the extractor's sampling rate."""
    inputs = extractor(samples, sampling_rate=extractor.sampling_rate, return_tensors="pt").to(model.device)
    probs = model(**inputs).logits.softmax(-1)[0].tolist()
    return {model.config.id2label[i]: p for i, p in enumerate(probs)}


LONG_AUDIO_SECONDS = 10.0
"""Files longer than this are predicted in sliding windows (a timeline) rather than as one clip."""


def predict_files(
    model,
    extractor,
    paths: list[str],
    long_audio_seconds: float = LONG_AUDIO_SECONDS,
    window_seconds: float = WINDOW_SECONDS,
    hop_seconds: float = HOP_SECONDS,
) -> list[Prediction]:
    """Predicts each file on its own: a missing or broken file gets its error, the others still run.

    A file up to `long_audio_seconds` is one clip, as in training; a longer one is read window by
    window (bounded memory at any length) and gets a timeline and the mean of its windows.
    """
    results = []
    for path in paths:
        try:
            if audio_duration(path) > long_audio_seconds:
                timeline = predict_timeline(model, extractor, path, window_seconds=window_seconds, hop_seconds=hop_seconds)
                results.append(Prediction(path, label=timeline.label, scores=timeline.scores, timeline=timeline))
                continue
            samples, _ = load_audio(path, extractor.sampling_rate)
            scores = predict_waveform(model, extractor, samples)
        except ValueError as error:  # AudioError and the extractor's input checks
            message = str(error)
            results.append(Prediction(path, error=message if path in message else f"{path}: {message}"))
            continue
        results.append(Prediction(path, label=max(scores, key=scores.get), scores=scores))
    return results
