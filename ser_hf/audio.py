"""Reading audio files: soundfile decodes (WAV, FLAC, OGG, MP3; no FFmpeg), soxr resamples.

Everything that turns a file into the model's input starts here, for `predict`, the data loaders
and the Space alike, so all of them treat stereo, odd rates, broken files and recordings without
speech the same way: the path is checked (`check_audio_path`), the header read and checked before
any decoding (`audio_info`), and the samples checked for speech (`speech_check`).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

import numpy as np
import soundfile as sf


class AudioError(ValueError):
    """A file that cannot be used as audio; the message names the file and the problem."""


# Containers soundfile (libsndfile) cannot decode, which phones and browsers produce.
NEEDS_CONVERSION = (".m4a", ".aac", ".mp4", ".webm", ".wma", ".amr", ".3gp", ".caf")


def unreadable(path: str, error: Exception) -> AudioError:
    """The error for a file soundfile cannot open, with a conversion hint for known containers."""
    hint = ""
    if path.lower().endswith(NEEDS_CONVERSION):
        hint = f"; {os.path.splitext(path)[1]} is not supported: convert it to WAV or FLAC first (ffmpeg -i IN OUT.wav)"
    detail = str(error).replace(f" {path!r}", "").replace(f" '{path}'", "")  # the path is named once, in front
    return AudioError(f"{path}: not a readable audio file ({detail}){hint}")


def to_mono(samples: np.ndarray) -> np.ndarray:
    """(frames,) or (frames, channels) -> (frames,) by averaging the channels."""
    return samples if samples.ndim == 1 else samples.mean(axis=1)


AUDIO_SUFFIXES = (".wav", ".flac")
"""File types the corpus loaders collect (RAVDESS and the other corpora are distributed as these)."""

LONG_AUDIO_SECONDS = 10.0
"""Recordings longer than this are predicted in sliding windows (a timeline) rather than as one clip."""
WINDOW_SECONDS, HOP_SECONDS = 3.0, 1.5
"""The timeline's windows: about one training utterance long, half-overlapping."""

MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 4_000, 384_000
"""Sample rates a speech recording can have (telephone 8 kHz down to 4 kHz; studio up to 384 kHz).
A header outside them is damaged or synthetic, and trusting it would make seconds of samples look
like hours of audio."""

MAX_CLIP_SECONDS = 600.0
"""The longest recording decoded whole (short-clip path); longer ones are read window by window."""


def resample(samples: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """Band-limited resampling with soxr (very high quality); a no-op when the rates agree.

    soxr handles any rate pair at the same cost: torchaudio's polyphase kernel grows with the reduced
    ratio (24,414 -> 16,000 Hz shares only a factor of 2: a 390 MB kernel and seconds per file)."""
    if orig_rate == target_rate:
        return samples
    import soxr

    return soxr.resample(np.ascontiguousarray(samples, dtype=np.float32), orig_rate, target_rate, quality="VHQ")


def check_audio_path(path: str | os.PathLike) -> str:
    """`path` as a string if it names a regular file (or a link to one), else `AudioError` saying what
    it is: missing, a folder, a FIFO or device, a dangling link or a loop of links."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            raise AudioError(f"{path}: a symbolic link to a missing file ({os.readlink(path)})") from None
        raise AudioError(f"{path}: no such file") from None
    except OSError as error:
        if error.errno == 40:  # ELOOP
            raise AudioError(f"{path}: a loop of symbolic links, not an audio file") from None
        raise AudioError(f"{path}: cannot be read ({error.strerror})") from None
    if stat.S_ISDIR(mode):
        raise AudioError(f"{path}: is a folder, not an audio file")
    if stat.S_ISFIFO(mode):
        raise AudioError(f"{path}: is a FIFO (named pipe), not an audio file: save the audio to a file first")
    if not stat.S_ISREG(mode):
        raise AudioError(f"{path}: is a device or socket, not an audio file")
    return path


@dataclass(frozen=True)
class AudioInfo:
    """What the header of an audio file says, checked before any decoding."""

    frames: int
    sample_rate: int
    channels: int
    subtype: str

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """The header of `path`; `AudioError` when it is unreadable or claims a sample rate no speech
    recording has (see `MIN_SAMPLE_RATE`)."""
    path = check_audio_path(path)
    try:
        info = sf.info(path)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise unreadable(path, error) from None
    if not MIN_SAMPLE_RATE <= info.samplerate <= MAX_SAMPLE_RATE:
        raise AudioError(
            f"{path}: the header gives a sample rate of {info.samplerate} Hz, outside the {MIN_SAMPLE_RATE}-"
            f"{MAX_SAMPLE_RATE} Hz of audio recordings: the file is damaged or not a recording"
        )
    return AudioInfo(info.frames, info.samplerate, info.channels, info.subtype)


def audio_duration(path: str | os.PathLike) -> float:
    """Seconds of audio in `path`, read from the header without decoding; `AudioError` if unreadable."""
    return audio_info(path).duration


def load_audio(
    path: str | os.PathLike, sampling_rate: int | None = 16000, max_seconds: float = MAX_CLIP_SECONDS
) -> tuple[np.ndarray, int]:
    """Reads `path` as mono float32, resampled to `sampling_rate` (None keeps the file's rate).

    Raises `AudioError` naming the file when it is missing, not a regular file, not decodable, longer
    than `max_seconds` (by its header, before decoding), empty or not finite.
    """
    info = audio_info(path)
    path = os.fspath(path)
    if info.duration > max_seconds:
        raise AudioError(
            f"{path}: {info.duration:.0f} s of audio is more than the {max_seconds:.0f} s decoded at once: "
            "predict long recordings window by window (ser-hf predict does so beyond --long_audio_seconds)"
        )
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


SILENCE_DBFS = -60.0
"""A recording (or a window of a long one) whose loudest 25 ms frame is below this level holds no
speech. The quietest of the 1440 RAVDESS recordings peaks at -54.6 dBFS."""

MIN_LEVEL_RANGE_DB = 10.0
"""Speech rises and falls with its syllables and pauses: the 10th to 95th percentile of its 25 ms
frame levels spans 37-148 dB in RAVDESS. Steady noise, a hum or a flat synthetic sound spans a few dB."""

MAX_TONE_SHARE = 0.95
"""A pure tone puts nearly all its energy in 3 FFT bins (0.98); RAVDESS speech at most 0.85."""


def speech_check(samples: np.ndarray, sampling_rate: int) -> str | None:
    """None when `samples` (mono) may hold speech; otherwise why not, as a short phrase.

    One rule for every entry point (a short clip, each window of a long recording, the Space,
    `evaluate`), on 25 ms frames every 10 ms after removing any DC offset: the loudest frame reaches
    `SILENCE_DBFS`, frame levels vary as speech does (`MIN_LEVEL_RANGE_DB`), and the sound is not a
    pure tone (`MAX_TONE_SHARE`). Every RAVDESS recording passes (tested).
    """
    x = np.asarray(samples, dtype=np.float64)
    if not x.size or not np.any(x):
        return "the audio is silent (every sample is zero)"
    x = x - x.mean()
    win, hop = max(1, int(0.025 * sampling_rate)), max(1, int(0.010 * sampling_rate))
    if len(x) < win:
        x = np.pad(x, (0, win - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, win)[::hop]
    levels = 10 * np.log10(np.maximum(np.mean(frames**2, axis=1), 1e-24))
    peak = float(levels.max())
    if peak < SILENCE_DBFS:
        return f"no speech found: the audio is too quiet (loudest 25 ms at {peak:.0f} dBFS, below {SILENCE_DBFS:.0f})"
    spread = float(np.percentile(levels, 95) - np.percentile(levels, 10))
    if spread < MIN_LEVEL_RANGE_DB:
        return (
            f"no speech found: the level is steady (a {spread:.1f} dB range, speech varies by "
            f"{MIN_LEVEL_RANGE_DB:.0f} dB or more), as in noise, a hum or a flat synthetic sound"
        )
    active = frames[levels >= peak - 30]
    spectrum = np.abs(np.fft.rfft(active * np.hanning(win), n=max(512, win))) ** 2
    share = float(np.median(np.sort(spectrum, axis=1)[:, -3:].sum(1) / np.maximum(spectrum.sum(1), 1e-30)))
    if share > MAX_TONE_SHARE:
        return f"no speech found: the audio is a pure tone ({100 * share:.0f} % of its energy at one frequency)"
    return None
