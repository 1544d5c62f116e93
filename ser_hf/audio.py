"""Reading audio files: soundfile decodes (WAV, FLAC, OGG, MP3; no FFmpeg), torchaudio resamples.

Everything that turns a file into the model's input starts here, for `predict`, the data loaders
and the Space alike, so all of them treat stereo, odd rates and broken files the same way.
"""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF


class AudioError(ValueError):
    """A file that cannot be used as audio; the message names the file and the problem."""


# Containers soundfile (libsndfile) cannot decode, which phones and browsers produce.
NEEDS_CONVERSION = (".m4a", ".aac", ".mp4", ".webm", ".wma", ".amr", ".3gp", ".caf")


def unreadable(path: str, error: Exception) -> AudioError:
    """The error for a file soundfile cannot open, with a conversion hint for known containers."""
    hint = ""
    if path.lower().endswith(NEEDS_CONVERSION):
        hint = f"; {os.path.splitext(path)[1]} is not supported: convert it to WAV or FLAC first (ffmpeg -i IN OUT.wav)"
    return AudioError(f"{path}: not a readable audio file ({error}){hint}")


def to_mono(samples: np.ndarray) -> np.ndarray:
    """(frames,) or (frames, channels) -> (frames,) by averaging the channels."""
    return samples if samples.ndim == 1 else samples.mean(axis=1)


def resample(samples: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """Band-limited (sinc) resampling with torchaudio; a no-op when the rates agree."""
    if orig_rate == target_rate:
        return samples
    return AF.resample(torch.from_numpy(np.ascontiguousarray(samples)), orig_rate, target_rate).numpy()


def audio_duration(path: str | os.PathLike) -> float:
    """Seconds of audio in `path`, read from the header without decoding; `AudioError` if unreadable."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise AudioError(f"{path}: no such file" if not os.path.isdir(path) else f"{path}: is a folder, not an audio file")
    try:
        info = sf.info(path)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise unreadable(path, error) from None
    return info.frames / info.samplerate if info.samplerate else 0.0


def load_audio(path: str | os.PathLike, sampling_rate: int | None = 16000) -> tuple[np.ndarray, int]:
    """Reads `path` as mono float32, resampled to `sampling_rate` (None keeps the file's rate).

    Raises `AudioError` naming the file when it is missing, not decodable, empty or not finite.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioError(f"{path}: no such file")
    if os.path.isdir(path):
        raise AudioError(f"{path}: is a folder, not an audio file")
    try:
        samples, rate = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise unreadable(path, error) from None
    if samples.size == 0:
        raise AudioError(f"{path}: the file holds no audio samples")
    samples = to_mono(samples)
    if not np.isfinite(samples).all():
        raise AudioError(f"{path}: the audio contains NaN or Inf samples")
    if sampling_rate is not None:
        samples, rate = resample(samples, rate, sampling_rate), sampling_rate
    return samples.astype(np.float32, copy=False), rate
