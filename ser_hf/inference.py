"""From audio files to emotion probabilities with a saved model (a folder or a Hub repo id)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch
from safetensors import SafetensorError
from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification

from .audio import HOP_SECONDS, LONG_AUDIO_SECONDS, WINDOW_SECONDS, AudioError, audio_info, load_audio, speech_check
from .configuration_ser import SerConfig
from .longform import Timeline, predict_timeline


class ModelLoadError(RuntimeError):
    """The model folder or repo id could not be loaded; the message says which and why."""


BUNDLED_MODELS = {1: "ser-cnn-lstm-ravdess", 2: "ser-cnn-bilstm-attention-ravdess"}
"""The paper's model number -> the folder of the trained model in the repository's `models/`."""


def bundled_model_path(number: int = 2):
    """The bundled model folder of Model `number`, in the checkout this package runs from."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "models" / BUNDLED_MODELS[number]
    if not (path / "config.json").is_file():
        raise ModelLoadError(
            f"the bundled Model {number} is not beside this installation (it lives in the "
            f"repository's models/{BUNDLED_MODELS[number]}): pass --model with a folder or repo id"
        )
    return path


def load_model(model: str | os.PathLike, device: str | torch.device = "cpu"):
    """Loads (model in eval mode, feature extractor) from a folder or a Hub repo id.

    Both architectures are registered with the Auto classes first, so no remote code is executed here.
    """
    from . import register

    register()
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
        _check_extractor(name, config, extractor)
        network = AutoModelForAudioClassification.from_pretrained(
            name, config=config, use_safetensors=True
        )  # never unpickle weights
    except ModelLoadError:
        raise
    except SafetensorError as error:
        raise ModelLoadError(
            f"could not load the model {name!r}: its weights file is damaged or incomplete ({error})"
        ) from None
    except (OSError, ValueError, KeyError) as error:
        hint = "" if os.path.isdir(name) else " (neither a local folder nor a repo id available from the Hub cache)"
        raise ModelLoadError(f"could not load the model {name!r}{hint}: {error}") from None
    return network.to(device).eval(), extractor


def _check_extractor(name: str, config, extractor) -> None:
    """The feature extractor must make the input the model was trained on."""
    expected = {
        "sampling_rate": getattr(config, "sampling_rate", 16000),
        "feature_size": config.num_mel_bins,
        "chunk_length": config.chunk_length,
    }
    for key, value in expected.items():
        if getattr(extractor, key, None) != value:
            raise ModelLoadError(
                f"could not load the model {name!r}: its preprocessor_config.json has {key} = "
                f"{getattr(extractor, key, None)!r}, but the model was trained with {value!r}"
            )


@dataclass
class ClipAnalysis:
    """What the models see and weigh in one clip, for plots: the scores, the trimmed log-Mel (bands,
    frames) in dB (None unless asked for), each chunk's (start, end) seconds on the log-Mel's time base,
    and Model 2's attention weight per chunk (None for a model without attention)."""

    scores: dict[str, float]
    log_mel: np.ndarray | None
    chunk_times: list[tuple[float, float]]
    attention: np.ndarray | None

    @property
    def label(self) -> str:
        return max(self.scores, key=self.scores.get)


@dataclass
class Prediction:
    """One recording's result: the top label and every label's probability, or the error that stopped
    it. A short clip carries its `analysis`, a long recording its `timeline` of sliding windows."""

    source: str
    label: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    timeline: Timeline | None = None
    analysis: ClipAnalysis | None = None

    def as_dict(self) -> dict:
        if self.error is not None:
            return {"file": self.source, "error": self.error}
        result = {"file": self.source, "label": self.label, "scores": self.scores}
        if self.timeline is not None:
            result["timeline"] = self.timeline.as_dict()["segments"]
        return result


@torch.no_grad()
def analyse_clip(model, extractor, samples: np.ndarray, log_mel: bool = False) -> ClipAnalysis:
    """extractor -> model -> softmax for one mono clip at the extractor's sampling rate: the one place
    a clip becomes probabilities. Refuses audio without speech (`speech_check`) with an `AudioError`."""
    reason = speech_check(samples, extractor.sampling_rate) if len(samples) >= extractor.min_samples else None
    if reason is not None:  # (a clip shorter than one window gets the extractor's own message)
        raise AudioError(reason)
    inputs = extractor(samples, sampling_rate=extractor.sampling_rate, return_tensors="pt").to(model.device)
    outputs = model(**inputs)
    probs = outputs.logits.float().softmax(-1)[0].tolist()
    n_chunks = int(inputs["chunk_mask"][0].sum())
    attention = outputs.attentions[0][0, :n_chunks].float().cpu().numpy() if outputs.attentions else None
    return ClipAnalysis(
        scores={model.config.id2label[i]: p for i, p in enumerate(probs)},
        log_mel=extractor.log_mel_spectrogram(samples) if log_mel else None,
        chunk_times=[extractor.chunk_seconds(i) for i in range(n_chunks)],
        attention=attention,
    )


def predict_waveform(model, extractor, samples: np.ndarray) -> dict[str, float]:
    """Probabilities of every label for one mono clip at the extractor's sampling rate."""
    return analyse_clip(model, extractor, samples).scores


def predict_recording(
    model,
    extractor,
    source: str | os.PathLike | np.ndarray,
    long_audio_seconds: float = LONG_AUDIO_SECONDS,
    window_seconds: float = WINDOW_SECONDS,
    hop_seconds: float = HOP_SECONDS,
    log_mel: bool = False,
) -> Prediction:
    """One recording, a file path or a mono array at the extractor's rate: up to `long_audio_seconds`
    it is one clip, as in training; a longer one gets a timeline of windows (a file is read window by
    window, so memory stays bounded at any length) and the mean of its windows. Raises `ValueError`
    (`AudioError` and the extractor's checks) with the path in the message."""
    rate = extractor.sampling_rate
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "the audio"
    try:
        duration = audio_info(source).duration if isinstance(source, (str, os.PathLike)) else len(source) / rate
        if duration > long_audio_seconds:
            timeline = predict_timeline(
                model, extractor, source, window_seconds=window_seconds, hop_seconds=hop_seconds
            )
            return Prediction(name, label=timeline.label, scores=timeline.scores, timeline=timeline)
        samples = load_audio(source, rate)[0] if isinstance(source, (str, os.PathLike)) else source
        analysis = analyse_clip(model, extractor, samples, log_mel=log_mel)
    except ValueError as error:
        message = str(error)
        raise type(error)(message if name in message else f"{name}: {message}") from None
    return Prediction(name, label=analysis.label, scores=analysis.scores, analysis=analysis)


def predict_files(
    model,
    extractor,
    paths: list[str],
    long_audio_seconds: float = LONG_AUDIO_SECONDS,
    window_seconds: float = WINDOW_SECONDS,
    hop_seconds: float = HOP_SECONDS,
) -> list[Prediction]:
    """Predicts each file on its own (`predict_recording`): a missing, broken or speechless file gets
    its error, the others still run."""
    results = []
    for path in paths:
        try:
            results.append(predict_recording(model, extractor, path, long_audio_seconds, window_seconds, hop_seconds))
        except ValueError as error:  # AudioError and the extractor's input checks
            results.append(Prediction(path, error=str(error)))
    return results
