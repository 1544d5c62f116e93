"""Recordings of any length: an emotion timeline over sliding windows plus an overall label.

The models were trained on single utterances of 3-5 s, so a long recording is cut into windows of
about that length. A file is read window by window (soundfile blocks, resampled one window at a
time) and windows are predicted a batch at a time, so an hour of audio needs the memory of one batch
of windows, not of the hour. Windows without speech (`ser_hf.audio.speech_check`, the rule short clips
get too) are marked silent and left out of the overall scores, which are the mean of the other
windows' probabilities.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf
import torch

from .audio import HOP_SECONDS, WINDOW_SECONDS, AudioError, audio_info, resample, speech_check, to_mono, unreadable


@dataclass
class Segment:
    """One window: where it lies in the recording and its probabilities (None when it holds no speech,
    `reason` saying why)."""

    start: float
    end: float
    probs: np.ndarray | None = None
    reason: str | None = None

    def as_dict(self, labels: list[str]) -> dict:
        if self.probs is None:
            return {
                "start": round(self.start, 3),
                "end": round(self.end, 3),
                "label": None,
                "silent": True,
                "reason": self.reason,
            }
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "label": labels[int(self.probs.argmax())],
            "scores": dict(zip(labels, map(float, self.probs))),
        }


@dataclass
class Timeline:
    """A recording's windows in time order, and the overall label and scores over its non-silent windows."""

    labels: list[str]
    segments: list[Segment] = field(default_factory=list)

    @property
    def probs(self) -> np.ndarray | None:
        voiced = [s.probs for s in self.segments if s.probs is not None]
        return np.mean(voiced, axis=0) if voiced else None

    @property
    def scores(self) -> dict[str, float]:
        probs = self.probs
        return {} if probs is None else dict(zip(self.labels, map(float, probs)))

    @property
    def label(self) -> str | None:
        probs = self.probs
        return None if probs is None else self.labels[int(probs.argmax())]

    @property
    def duration(self) -> float:
        return max((s.end for s in self.segments), default=0.0)

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "scores": self.scores,
            "duration": round(self.duration, 3),
            "segments": [s.as_dict(self.labels) for s in self.segments],
        }


def iter_windows(
    audio: str | os.PathLike | np.ndarray,
    sampling_rate: int,
    window_seconds: float = WINDOW_SECONDS,
    hop_seconds: float = HOP_SECONDS,
    input_rate: int | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yields (start in seconds, mono float32 window at `sampling_rate`) every `hop_seconds`.

    `audio` is a file path (read block by block, never whole) or a mono array at `input_rate`
    (default `sampling_rate`). The last window ends at the end of the recording and may be shorter;
    a recording shorter than one window is a single window.
    """
    if not 0 < hop_seconds <= window_seconds:
        raise ValueError(f"need 0 < hop_seconds <= window_seconds, got hop {hop_seconds} and window {window_seconds}")
    if isinstance(audio, (str, os.PathLike)):
        yield from _file_windows(os.fspath(audio), sampling_rate, window_seconds, hop_seconds)
        return
    rate = input_rate or sampling_rate
    samples = np.asarray(audio)
    if samples.ndim != 1:
        raise ValueError(f"expected mono audio as a 1-D array, got shape {tuple(samples.shape)}")
    window, hop = max(1, round(window_seconds * rate)), max(1, round(hop_seconds * rate))
    start = 0
    while True:
        block = samples[start : start + window]
        yield start / rate, resample(np.asarray(block, dtype=np.float32), rate, sampling_rate)
        if start + window >= len(samples):
            return
        start += hop


def _file_windows(path: str, sampling_rate: int, window_seconds: float, hop_seconds: float):
    audio_info(path)  # a regular file with a plausible header, before reading a block
    try:
        handle = sf.SoundFile(path)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise unreadable(path, error) from None
    with handle:
        rate = handle.samplerate
        window, hop = max(1, round(window_seconds * rate)), max(1, round(hop_seconds * rate))
        start, empty = 0, True
        try:
            for block in handle.blocks(blocksize=window, overlap=window - hop, dtype="float32", always_2d=True):
                if len(block) == 0:
                    break
                empty = False
                samples = to_mono(block)
                if not np.isfinite(samples).all():
                    raise AudioError(f"{path}: NaN or Inf samples in the window at {start / rate:.1f} s")
                yield start / rate, resample(samples, rate, sampling_rate)
                start += hop
        except sf.LibsndfileError as error:
            raise AudioError(f"{path}: the file is damaged after {start / rate:.1f} s ({error})") from None
        if empty:
            raise AudioError(f"{path}: the file holds no audio samples")


@torch.no_grad()
def predict_timeline(
    model,
    extractor,
    audio: str | os.PathLike | np.ndarray,
    *,
    input_rate: int | None = None,
    window_seconds: float = WINDOW_SECONDS,
    hop_seconds: float = HOP_SECONDS,
    batch_size: int = 8,
) -> Timeline:
    """Predicts every window of `audio` (a path, or a mono array at `input_rate`) in batches.

    Batches of 8 windows keep the peak memory of an hour of audio under 1 GB with the CUDA build of
    torch (about 740 MB of which is torch itself) at the same speed as larger batches on a CPU."""
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    timeline, pending = Timeline(labels), []

    def flush() -> None:
        if not pending:
            return
        inputs = extractor([w for _, w in pending], sampling_rate=extractor.sampling_rate, return_tensors="pt")
        probs = model(**inputs.to(model.device)).logits.float().softmax(-1).cpu().numpy()
        for (segment, _), p in zip(pending, probs):
            segment.probs = p
        pending.clear()

    rate = extractor.sampling_rate
    for start, window in iter_windows(audio, rate, window_seconds, hop_seconds, input_rate=input_rate):
        segment = Segment(start, start + len(window) / rate)
        timeline.segments.append(segment)
        segment.reason = (
            "shorter than one analysis window" if len(window) < extractor.min_samples else speech_check(window, rate)
        )
        if segment.reason is None:
            pending.append((segment, window))
            if len(pending) == batch_size:
                flush()
    flush()
    if timeline.label is None:
        where = f"{os.fspath(audio)}: " if isinstance(audio, (str, os.PathLike)) else ""
        raise AudioError(
            f"{where}no speech found: every window is silent, too quiet, steady noise or a tone, "
            "or shorter than one analysis window"
        )
    return timeline


__all__ = ["Segment", "Timeline", "iter_windows", "predict_timeline"]
