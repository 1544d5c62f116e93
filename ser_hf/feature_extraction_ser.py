"""Log-Mel chunk features for the time-distributed CNN of both models.

audio (16 kHz mono) -> optional silence trim -> log-Mel (25 ms window, 10 ms step) -> normalisation
-> fixed-width overlapping chunks + `chunk_mask`.

All the numerical work is `SerFeatureExtractor.extract_batch`, a torch function of a padded batch of
waveforms that runs on any device. `__call__` (used by the pipeline and at inference) validates the
input and calls it on the CPU; training calls it on the training device. There is one feature
definition, not two.

This file is Hub-facing: it imports only numpy, torch and transformers.
"""

import numpy as np
import torch
from transformers import BatchFeature, SequenceFeatureExtractor
from transformers.audio_utils import mel_filter_bank
from transformers.utils import TensorType, logging

logger = logging.get_logger(__name__)


class SerFeatureExtractor(SequenceFeatureExtractor):
    r"""
    Turns raw speech into the Mel-spectrogram chunks read by the time-distributed CNN.

    Args:
        feature_size: Mel bands (the chunk height). 128 bands on a 512-point FFT leave no filter empty.
        sampling_rate: rate the models expect; other rates are refused (the pipeline resamples for you).
        padding_value: value of padded frames, after normalisation (0 = the mean).
        n_fft: FFT size; the 25 ms window is zero-padded to it.
        win_length: analysis window in samples (paper: 25 ms).
        hop_length: step in samples (paper: 10 ms).
        f_min, f_max: band edges of the Mel filters in Hz (`f_max=None`: Nyquist).
        log_floor_db: log-Mel values more than this many dB below the clip's peak are clipped to it, so
            digital silence does not dominate the statistics (as librosa's `power_to_db(top_db=80)`).
        chunk_length: frames per chunk (128 frames = 1.28 s).
        chunk_stride: frames between chunk starts (64: half-overlapping chunks).
        trim_silence: cut leading and trailing silence before the features (paper: yes).
        trim_top_db: a 25 ms frame is silence when its RMS is more than this many dB below the loudest
            frame. The loudest frame always stays, so trimming never empties a clip.
        normalization: "utterance" (zero mean, unit variance over each clip), "band" (each Mel band's
            mean over the clip removed, then unit variance over the clip: a fixed spectral envelope, such
            as a microphone's response or a speaker's timbre, largely drops out), "global" (per-band `mean` and
            `std` of a training set, stored here) or "none".
        mean, std: per-band statistics for `normalization="global"`.
    """

    model_input_names = ["input_values", "chunk_mask"]  # noqa: RUF012 (transformers' convention)
    _auto_class = "AutoFeatureExtractor"  # save_pretrained copies this file next to preprocessor_config.json

    def __init__(
        self,
        feature_size: int = 128,
        sampling_rate: int = 16000,
        padding_value: float = 0.0,
        n_fft: int = 512,
        win_length: int = 400,
        hop_length: int = 160,
        f_min: float = 0.0,
        f_max: float | None = None,
        log_floor_db: float = 80.0,
        chunk_length: int = 128,
        chunk_stride: int = 64,
        trim_silence: bool = True,
        trim_top_db: float = 40.0,
        normalization: str = "utterance",
        mean: list[float] | None = None,
        std: list[float] | None = None,
        **kwargs,
    ):
        super().__init__(feature_size=feature_size, sampling_rate=sampling_rate, padding_value=padding_value, **kwargs)
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.f_min = f_min
        self.f_max = f_max
        self.log_floor_db = log_floor_db
        self.chunk_length = chunk_length
        self.chunk_stride = chunk_stride
        self.trim_silence = trim_silence
        self.trim_top_db = trim_top_db
        self.normalization = normalization
        self.mean = None if mean is None else [float(v) for v in mean]
        self.std = None if std is None else [float(v) for v in std]
        if not isinstance(sampling_rate, int) or sampling_rate <= 0:
            raise ValueError(f"sampling_rate must be a positive number of samples per second, got {sampling_rate!r}")
        if min(n_fft, win_length, hop_length, chunk_length, chunk_stride, feature_size) <= 0:
            raise ValueError(
                "n_fft, win_length, hop_length, chunk_length, chunk_stride and feature_size must be positive"
            )
        if win_length > n_fft:
            raise ValueError(f"win_length ({win_length}) must not exceed n_fft ({n_fft})")
        if normalization not in ("utterance", "band", "global", "none"):
            raise ValueError(f"normalization must be 'utterance', 'band', 'global' or 'none', got {normalization!r}")
        if normalization == "global" and (
            self.mean is None or self.std is None or len(self.mean) != feature_size or len(self.std) != feature_size
        ):
            raise ValueError(f"normalization='global' needs `mean` and `std` with {feature_size} values each")
        self.mel_filters = mel_filter_bank(
            num_frequency_bins=n_fft // 2 + 1,
            num_mel_filters=feature_size,
            min_frequency=f_min,
            max_frequency=f_max if f_max is not None else sampling_rate / 2,
            sampling_rate=sampling_rate,
            norm="slaney",
            mel_scale="slaney",
        ).astype(np.float32)
        empty = np.flatnonzero(self.mel_filters.max(axis=0) == 0)
        if empty.size:
            raise ValueError(
                f"Mel filters {empty.tolist()} are empty with n_fft={n_fft} and {feature_size} bands: "
                "raise n_fft or lower feature_size"
            )

    def to_dict(self):
        output = super().to_dict()
        output.pop("mel_filters", None)  # derived from the other fields
        output.pop("_device_constants", None)
        return output

    def _constant(self, name: str, device: torch.device) -> torch.Tensor:
        """The Mel filters (`mel_filters`) or the global `mean` / `std` as a tensor on `device`, made once per
        device: copying them to a GPU for every batch would make each batch wait for the device."""
        cache = self.__dict__.setdefault("_device_constants", {})
        key = (name, str(device))
        if key not in cache:
            value = torch.from_numpy(self.mel_filters) if name == "mel_filters" else torch.tensor(getattr(self, name))
            cache[key] = value.to(device)
        return cache[key]

    @property
    def min_samples(self) -> int:
        """The shortest clip that fills one analysis window."""
        return self.win_length

    # ------------------------------------------------------------------ validation

    def _to_waveforms(self, raw_speech) -> list[np.ndarray]:
        """Validates a clip or a list of clips and returns them as float32 mono arrays."""
        if isinstance(raw_speech, torch.Tensor):
            raw_speech = raw_speech.detach().cpu().numpy()
        if isinstance(raw_speech, np.ndarray):
            if raw_speech.ndim != 1:
                raise ValueError(
                    f"Expected mono audio as a 1-D array, got an array of shape {tuple(raw_speech.shape)}: a 2-D "
                    "array is ambiguous (channels or a batch?). Pass a list of 1-D arrays for a batch and "
                    "average the channels of multi-channel audio first."
                )
            clips = [raw_speech]
        elif isinstance(raw_speech, (list, tuple)) and raw_speech and not np.isscalar(raw_speech[0]):
            clips = [c.detach().cpu().numpy() if isinstance(c, torch.Tensor) else np.asarray(c) for c in raw_speech]
        elif isinstance(raw_speech, (list, tuple)):
            clips = [np.asarray(raw_speech)]
        else:
            raise TypeError(
                f"Expected audio as a numpy array, a torch tensor or a list of them, got {type(raw_speech)}"
            )
        waveforms = []
        for index, clip in enumerate(clips):
            where = f"clip {index} of {len(clips)}" if len(clips) > 1 else "the audio"
            if clip.ndim != 1:
                raise ValueError(
                    f"Expected {where} to be mono (1-D), got shape {tuple(clip.shape)}: average the channels first"
                )
            if np.issubdtype(clip.dtype, np.unsignedinteger):  # e.g. 8-bit WAV: silence is the mid-point
                middle = (float(np.iinfo(clip.dtype).max) + 1) / 2
                clip = (clip.astype(np.float64) - middle) / middle
            elif np.issubdtype(clip.dtype, np.integer):
                clip = clip.astype(np.float32) / float(np.iinfo(clip.dtype).max)
            elif not np.issubdtype(clip.dtype, np.floating):
                raise TypeError(f"Expected {where} to hold numbers, got dtype {clip.dtype}")
            clip = clip.astype(np.float32, copy=False)
            if clip.size == 0:
                raise ValueError(f"{where.capitalize()} is empty (0 samples)")
            if not np.isfinite(clip).all():
                raise ValueError(f"{where.capitalize()} contains NaN or Inf samples")
            if clip.size < self.min_samples:
                raise ValueError(
                    f"{where.capitalize()} is too short: {clip.size} samples, at least {self.min_samples} "
                    f"({1000 * self.min_samples / self.sampling_rate:.0f} ms at {self.sampling_rate} Hz) are needed"
                )
            if not np.any(clip):
                raise ValueError(f"{where.capitalize()} is silent: every sample is zero")
            waveforms.append(clip)
        return waveforms

    def __call__(
        self,
        raw_speech: np.ndarray | list[float] | list[np.ndarray] | torch.Tensor,
        sampling_rate: int | None = None,
        return_tensors: str | TensorType | None = None,
        trim_silence: bool | None = None,
        **kwargs,
    ) -> BatchFeature:
        """Features of one clip (1-D array) or a batch (list of 1-D arrays) at `self.sampling_rate`.

        Returns `input_values` (batch, chunks, mel bands, chunk frames) and `chunk_mask` (batch, chunks),
        1 for real chunks and 0 for the padding of clips shorter than the longest one.
        """
        if sampling_rate is None:
            logger.warning(
                f"No sampling_rate was passed to {self.__class__.__name__}: the audio is assumed to be at "
                f"{self.sampling_rate} Hz. Pass `sampling_rate` to catch silent errors."
            )
        elif sampling_rate != self.sampling_rate:
            raise ValueError(
                f"The model corresponding to this feature extractor was trained with audio sampled at "
                f"{self.sampling_rate} Hz, but the audio was given at {sampling_rate} Hz. Resample it to "
                f"{self.sampling_rate} Hz first (the pipeline and `ser-hf predict` do that for you)."
            )
        waveforms = self._to_waveforms(raw_speech)
        lengths = [len(w) for w in waveforms]
        batch = np.zeros((len(waveforms), max(lengths)), dtype=np.float32)
        for row, waveform in enumerate(waveforms):
            batch[row, : len(waveform)] = waveform
        features = self.extract_batch(torch.from_numpy(batch), torch.tensor(lengths), trim_silence=trim_silence)
        if not bool(torch.isfinite(features["input_values"]).all()):
            raise ValueError("The features of the audio are not finite: the samples are out of any audio range")
        if return_tensors in ("pt", TensorType.PYTORCH):
            return BatchFeature(features, tensor_type="pt")
        return BatchFeature({k: v.numpy() for k, v in features.items()}, tensor_type=return_tensors)

    # ------------------------------------------------------------------ the features

    @torch.no_grad()
    def extract_batch(
        self,
        waveforms: torch.Tensor,
        lengths: torch.Tensor | None = None,
        trim_silence: bool | None = None,
        num_chunks: int | None = None,
    ) -> dict[str, torch.Tensor]:
        """Features of a zero-padded batch of waveforms (batch, samples) on their own device.

        A clip's features depend only on its own `lengths[i]` samples: the same clip alone or batched
        with longer ones gives the same values. Returns `input_values` and `chunk_mask`.
        `num_chunks` fixes the chunk axis (static shapes for compiled training: no shape then depends on
        the data, and nothing waits for the device); it must cover the longest clip, which is not checked.
        """
        if waveforms.ndim != 2:
            raise ValueError(f"extract_batch expects (batch, samples), got shape {tuple(waveforms.shape)}")
        waveforms = waveforms.float()
        device = waveforms.device
        if lengths is None:
            lengths = torch.full((waveforms.shape[0],), waveforms.shape[1], device=device)
        lengths = lengths.to(device=device, dtype=torch.long)
        if num_chunks is None and bool((lengths < self.min_samples).any()):
            raise ValueError(f"Every clip needs at least {self.min_samples} samples, got lengths {lengths.tolist()}")
        positions = torch.arange(waveforms.shape[1], device=device)
        waveforms = waveforms * (positions < lengths[:, None])
        # a clip beyond full scale is brought back to it: its power spectrum would overflow float32 (NaN
        # features). With utterance or band normalisation the features do not depend on the level at all.
        waveforms = waveforms / waveforms.abs().amax(-1, keepdim=True).clamp_min(1.0)
        if self.trim_silence if trim_silence is None else trim_silence:
            waveforms, lengths = self.trim_batch(waveforms, lengths)
        log_mel, frames = self._log_mel(waveforms, lengths)
        log_mel = self._normalize(log_mel, frames)
        return self._chunk(log_mel, frames, num_chunks)

    def _frame_rms_db(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """RMS in dB of non-overlapping-hop analysis frames, and how many frames each clip fills."""
        if waveforms.shape[1] < self.win_length:
            waveforms = torch.nn.functional.pad(waveforms, (0, self.win_length - waveforms.shape[1]))
        frames = waveforms.unfold(-1, self.win_length, self.hop_length)
        rms_db = 10 * torch.log10(frames.pow(2).mean(-1).clamp_min(1e-20))
        n_frames = (lengths - self.win_length) // self.hop_length + 1
        return rms_db, n_frames

    def trim_batch(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Cuts leading and trailing frames quieter than `trim_top_db` below each clip's loudest frame."""
        rms_db, n_frames = self._frame_rms_db(waveforms, lengths)
        index = torch.arange(rms_db.shape[1], device=waveforms.device)
        valid = index < n_frames[:, None]
        rms_db = rms_db.masked_fill(~valid, -torch.inf)
        loud = (rms_db >= rms_db.amax(-1, keepdim=True) - self.trim_top_db) & valid
        first = torch.where(loud, index, rms_db.shape[1]).amin(-1)
        last = torch.where(loud, index, -1).amax(-1)
        starts = first * self.hop_length
        ends = torch.minimum(last * self.hop_length + self.win_length, lengths)
        # a clip shorter than a window at its edge keeps at least one window
        new_lengths = ends - starts
        positions = torch.arange(waveforms.shape[1], device=waveforms.device)
        gather = (starts[:, None] + positions).clamp_max(waveforms.shape[1] - 1)
        trimmed = waveforms.gather(1, gather) * (positions < new_lengths[:, None])
        return trimmed[:, : int(new_lengths.max())], new_lengths

    def band_statistics(
        self, waveforms: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-band sum, sum of squares and frame count of the log-Mel of real frames, to accumulate the
        training-set statistics that `normalization="global"` stores in `mean` and `std`."""
        log_mel, frames = self._log_mel(waveforms.float(), lengths.to(waveforms.device))
        valid = (torch.arange(log_mel.shape[-1], device=log_mel.device) < frames[:, None])[:, None, :]
        log_mel = log_mel.double() * valid
        return log_mel.sum(dim=(0, 2)), log_mel.pow(2).sum(dim=(0, 2)), frames.sum().double()

    def _log_mel(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-Mel (batch, bands, frames) in dB, one frame every `hop_length` samples centred on it."""
        half = self.n_fft // 2
        padded = torch.nn.functional.pad(waveforms, (half, half))
        window = torch.hann_window(self.win_length, device=waveforms.device)
        spectrum = torch.stft(
            padded,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=window,
            center=False,
            return_complex=True,
        )
        power = spectrum.real.pow(2) + spectrum.imag.pow(2)
        filters = self._constant("mel_filters", waveforms.device)
        mel = torch.matmul(filters.T, power)
        log_mel = 10 * torch.log10(mel.clamp_min(1e-10))
        frames = lengths // self.hop_length + 1
        valid = torch.arange(log_mel.shape[-1], device=waveforms.device) < frames[:, None]
        peak = log_mel.masked_fill(~valid[:, None, :], -torch.inf).amax(dim=(1, 2), keepdim=True)
        log_mel = torch.maximum(log_mel, peak - self.log_floor_db)
        return log_mel, frames

    def _normalize(self, log_mel: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
        """Zero mean, unit variance per clip over its real frames ("band": the mean taken per band), or per
        band with stored statistics."""
        if self.normalization == "none":
            return log_mel
        if self.normalization == "global":
            mean = self._constant("mean", log_mel.device)[None, :, None]
            std = self._constant("std", log_mel.device)[None, :, None]
            return (log_mel - mean) / std.clamp_min(1e-5)
        valid = (torch.arange(log_mel.shape[-1], device=log_mel.device) < frames[:, None])[:, None, :]
        count = valid.sum(dim=(1, 2), keepdim=True) * log_mel.shape[1]
        if self.normalization == "band":  # cepstral mean normalisation in the log-Mel domain
            mean = (log_mel * valid).sum(dim=2, keepdim=True) / valid.sum(dim=2, keepdim=True)
        else:
            mean = (log_mel * valid).sum(dim=(1, 2), keepdim=True) / count
        var = ((log_mel - mean).pow(2) * valid).sum(dim=(1, 2), keepdim=True) / count
        return (log_mel - mean) / var.sqrt().clamp_min(1e-5)

    def num_chunks(self, frames: torch.Tensor) -> torch.Tensor:
        """Chunks needed to cover `frames` frames: one, plus one per stride beyond the first chunk."""
        extra = (frames - self.chunk_length).clamp_min(0)
        return 1 + torch.div(extra + self.chunk_stride - 1, self.chunk_stride, rounding_mode="floor")

    def _chunk(
        self, log_mel: torch.Tensor, frames: torch.Tensor, max_chunks: int | None = None
    ) -> dict[str, torch.Tensor]:
        """Cuts (batch, bands, frames) into (batch, chunks, bands, chunk_length) with a chunk mask."""
        n_chunks = self.num_chunks(frames)
        max_chunks = int(n_chunks.max()) if max_chunks is None else max_chunks
        total = self.chunk_length + (max_chunks - 1) * self.chunk_stride
        valid = (torch.arange(log_mel.shape[-1], device=log_mel.device) < frames[:, None])[:, None, :]
        log_mel = log_mel.masked_fill(~valid, self.padding_value)
        if log_mel.shape[-1] < total:
            log_mel = torch.nn.functional.pad(log_mel, (0, total - log_mel.shape[-1]), value=self.padding_value)
        chunks = log_mel[..., :total].unfold(-1, self.chunk_length, self.chunk_stride).transpose(1, 2)
        chunk_mask = (torch.arange(max_chunks, device=log_mel.device) < n_chunks[:, None]).long()
        return {"input_values": chunks.contiguous(), "chunk_mask": chunk_mask}

    @torch.no_grad()
    def log_mel_spectrogram(
        self, raw_speech: np.ndarray | torch.Tensor, trim_silence: bool | None = None
    ) -> np.ndarray:
        """The log-Mel in dB (bands, frames) that one clip's chunks are cut from: trimmed, floored, not yet
        normalised. For plots; its frame `i` is at `i * hop_length / sampling_rate` seconds, the time base
        of `chunk_seconds`."""
        waveform = torch.from_numpy(self._to_waveforms(raw_speech)[0])[None]
        lengths = torch.tensor([waveform.shape[1]])
        if self.trim_silence if trim_silence is None else trim_silence:
            waveform, lengths = self.trim_batch(waveform, lengths)
        log_mel, frames = self._log_mel(waveform, lengths)
        return log_mel[0, :, : int(frames[0])].numpy()

    def chunk_seconds(self, index: int) -> tuple[float, float]:
        """Start and end time in seconds (after trimming) of chunk `index`, for timelines and attention plots."""
        start = index * self.chunk_stride * self.hop_length / self.sampling_rate
        return start, start + self.chunk_length * self.hop_length / self.sampling_rate


__all__ = ["SerFeatureExtractor"]
