"""Gradio Space: speech emotion recognition with ser-hf's two models (Bhanbhro et al., Signals 2025).

    python spaces_app/app.py [--host 127.0.0.1] [--port 7860]

Environment:
    SER_MODEL_ID     one or more comma-separated Hub repo ids or model folders (default: the two
                     bundled models in models/, which need no network)
    SER_MAX_SECONDS  the longest recording accepted (default 120)

A clip up to 10 s is scored as one utterance, as the models were trained; a longer recording gets an
emotion timeline over 3 s windows every 1.5 s and the mean of the windows as its overall scores.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:
    import ser_hf
except ImportError:  # running from a checkout without installing: the package is one folder up
    sys.path.insert(0, str(HERE.parent))
    import ser_hf  # noqa: F401

import gradio as gr
import numpy as np
from matplotlib.figure import Figure

from ser_hf.audio import AudioError, audio_duration, load_audio
from ser_hf.configuration_ser import display_name
from ser_hf.inference import BUNDLED_MODELS, LONG_AUDIO_SECONDS, ModelLoadError, load_model, predict_recording
from ser_hf.longform import HOP_SECONDS, WINDOW_SECONDS

BUNDLED = tuple(BUNDLED_MODELS[number] for number in (2, 1))  # Model 2 first: the page's default
MAX_SECONDS = float(os.environ.get("SER_MAX_SECONDS", "120"))
MAX_FILE_SIZE = "50mb"


def default_sources() -> list[str]:
    """The bundled model folders: models/ beside app.py (a deployed Space) or in the checkout."""
    for root in (HERE / "models", HERE.parent / "models"):
        found = [str(root / name) for name in BUNDLED if (root / name / "config.json").is_file()]
        if found:
            return found
    raise ModelLoadError("no model to serve: set SER_MODEL_ID to a Hub repo id or a model folder")


def load_models(spec: str | None = None) -> dict[str, tuple]:
    """{display name: (model, feature extractor)} for every comma-separated source in `spec`."""
    from ser_hf.cli import quiet_loading

    quiet_loading()  # no weight-loading progress bars in the Space's log
    sources = [s.strip() for s in spec.split(",") if s.strip()] if spec else default_sources()
    models = {}
    for source in sources:
        model, extractor = load_model(source)
        name = display_name(model.config.model_type)
        if name in models:
            name = f"{name}: {Path(source).name}"
        models[name] = (model, extractor)
    return models


def _mel_figure(log_mel: np.ndarray, hop_seconds: float, title: str) -> Figure:
    figure = Figure(figsize=(8, 3), layout="constrained")
    axes = figure.subplots()
    image = axes.imshow(
        log_mel,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=(0, log_mel.shape[1] * hop_seconds, 0, log_mel.shape[0]),
    )
    axes.set(xlabel="time (s, after trimming silence)", ylabel="Mel band", title=title)
    figure.colorbar(image, ax=axes, label="dB")
    return figure


def _attention_figure(chunk_times: list[tuple[float, float]], weights: np.ndarray, duration: float) -> Figure:
    figure = Figure(figsize=(8, 2.2), layout="constrained")
    axes = figure.subplots()
    for (start, end), weight in zip(chunk_times, weights):
        axes.plot([start, min(end, duration)], [weight, weight], lw=3, color="tab:blue")
    centres = [(s + min(e, duration)) / 2 for s, e in chunk_times]
    axes.plot(centres, weights, "o", color="tab:blue")
    axes.set(
        xlim=(0, duration),
        ylim=(0, max(1.0, float(weights.max()) * 1.1)),
        xlabel="time (s, after trimming silence)",
        ylabel="weight",
        title="Model 2's attention over the 1.28 s chunks (bars span each chunk)",
    )
    return figure


def _timeline_figure(timeline) -> Figure:
    figure = Figure(figsize=(8, 3), layout="constrained")
    axes = figure.subplots()
    centres = np.array([(s.start + s.end) / 2 for s in timeline.segments])
    probs = np.array(
        [s.probs if s.probs is not None else np.full(len(timeline.labels), np.nan) for s in timeline.segments]
    )
    stacked = np.nan_to_num(probs)
    axes.stackplot(centres, stacked.T, labels=timeline.labels, alpha=0.85)
    for segment in timeline.segments:
        if segment.probs is None:
            axes.axvspan(segment.start, segment.end, color="lightgrey", alpha=0.5, lw=0)
    axes.set(
        xlim=(0, timeline.duration),
        ylim=(0, 1),
        xlabel="time (s)",
        ylabel="probability",
        title=f"Emotion timeline: {WINDOW_SECONDS:g} s windows every {HOP_SECONDS:g} s (grey: silent)",
    )
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    return figure


def friendly_name(path: str) -> str:
    return Path(path).name


# A user's mistake is shown to the user; the server's log keeps no traceback for it (print_exception=False)
def _unusable(name: str, audio_path: str, error: ValueError) -> gr.Error:
    """The message for a file that cannot be analysed, naming the upload but not the server's paths."""
    reason = str(error).replace(audio_path, name).removeprefix(f"{name}: ").removeprefix("the audio: ").rstrip(".")
    hint = " Try WAV, FLAC, OGG or MP3." if isinstance(error, AudioError) and "readable" in reason else ""
    return gr.Error(f"Cannot use {name}: {reason}.{hint}", print_exception=False)


LOW_CONFIDENCE = 0.5
"""Below this top probability (calibrated, see the model card) the page says the model is unsure."""


def _shown(figure: Figure | None):
    """A plot box with its figure, or hidden when there is nothing to draw (no empty boxes)."""
    return gr.update(value=figure, visible=figure is not None)


def analyse(audio_path: str | None, model_name: str, models: dict) -> tuple:
    """The page's one action: (8 probabilities, Mel plot, attention plot, timeline plot, summary)."""
    if not audio_path:
        raise gr.Error("Upload an audio file or record from the microphone first.", print_exception=False)
    if model_name not in models:
        raise gr.Error(f"Unknown model {model_name!r}; choose one of: {', '.join(models)}.", print_exception=False)
    model, extractor = models[model_name]
    name = friendly_name(audio_path)
    try:
        duration = audio_duration(audio_path)
    except AudioError as error:
        raise _unusable(name, audio_path, error) from None
    if duration > MAX_SECONDS:
        raise gr.Error(
            f"{name} is {duration:.0f} s long; this demo takes recordings up to {MAX_SECONDS:.0f} s. "
            "Cut it shorter, or run `ser-hf predict` locally, which handles any length.",
            print_exception=False,
        )
    try:
        samples, _ = load_audio(audio_path, extractor.sampling_rate)
        prediction = predict_recording(model, extractor, samples, log_mel=True)  # one clip, or a timeline
    except ValueError as error:  # unreadable, empty, no speech, too short
        raise _unusable(name, audio_path, error) from None
    hop = extractor.hop_length / extractor.sampling_rate
    attention_plot = timeline_plot = None
    if prediction.timeline is None:
        result = prediction.analysis
        log_mel, how = result.log_mel, f"one clip of {duration:.1f} s"
        if result.attention is not None:
            attention_plot = _attention_figure(result.chunk_times, result.attention, log_mel.shape[1] * hop)
    else:
        log_mel, timeline_plot = extractor.log_mel_spectrogram(samples), _timeline_figure(prediction.timeline)
        voiced = sum(s.probs is not None for s in prediction.timeline.segments)
        how = f"mean of {voiced} windows over {duration:.1f} s (timeline below)"
    mel_plot = _mel_figure(log_mel, hop, "log-Mel spectrogram (model input)")
    scores, top = prediction.scores, prediction.label
    summary = f"**{top}** ({scores[top]:.0%}) · {model_name} · {how}"
    if scores[top] < LOW_CONFIDENCE:
        summary += (
            f"\n\nThe model is unsure: no emotion reaches {LOW_CONFIDENCE:.0%}. The voice may mix emotions, "
            "or differ from the acted studio speech the model learnt from."
        )
    if attention_plot is None and prediction.timeline is None:
        summary += " · attention is shown for Model 2"
    return scores, _shown(mel_plot), _shown(attention_plot), _shown(timeline_plot), summary


def build_demo(models: dict | None = None) -> gr.Blocks:
    """The page; `models` defaults to `load_models()` (SER_MODEL_ID or the bundled models)."""
    models = load_models(os.environ.get("SER_MODEL_ID")) if models is None else models
    names = list(models)
    with gr.Blocks(title="Speech emotion recognition (ser-hf)") as demo:
        gr.Markdown(
            "# Speech emotion recognition\n"
            "Eight emotions (neutral, calm, happy, sad, angry, fearful, disgust, surprised) with the CNN-LSTM "
            "(Model 1) and CNN-BiLSTM-attention (Model 2) of Bhanbhro et al., *Signals* 2025, trained on RAVDESS "
            "(acted North-American English). Expect lower accuracy on spontaneous speech, other languages and "
            f"noisy microphones. Recordings up to {MAX_SECONDS:.0f} s; longer than {LONG_AUDIO_SECONDS:.0f} s "
            "get a timeline."
        )
        with gr.Row():
            with gr.Column():
                audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Speech")
                model_name = gr.Radio(names, value=names[0], label="Model")
                button = gr.Button("Recognise emotion", variant="primary")
            with gr.Column():
                summary = gr.Markdown()
                probabilities = gr.Label(num_top_classes=8, label="Probabilities of the 8 emotions")
        examples = sorted((HERE / "examples").glob("*.flac"))
        if examples:  # a visitor without a microphone can try these
            gr.Examples(
                [[str(path)] for path in examples],
                inputs=[audio],
                label="Example clips: a synthetic voice (espeak-ng) at three pitches and rates, not acted emotions",
            )
        mel = gr.Plot(label="Mel spectrogram", visible=False)  # shown once there is something to draw
        attention = gr.Plot(label="Attention over time (Model 2)", visible=False)
        timeline = gr.Plot(label="Emotion timeline (recordings longer than a clip)", visible=False)
        button.click(
            lambda path, name: analyse(path, name, models),
            [audio, model_name],
            [probabilities, mel, attention, timeline, summary],
            api_name="predict",
        )
    demo.queue(max_size=64, default_concurrency_limit=2)
    return demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=None, help="default: $GRADIO_SERVER_NAME or 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: $GRADIO_SERVER_PORT or 7860")
    args = parser.parse_args(argv)
    build_demo().launch(server_name=args.host, server_port=args.port, max_file_size=MAX_FILE_SIZE)


if __name__ == "__main__":
    main()
