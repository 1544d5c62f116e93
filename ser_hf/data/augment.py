"""Training-time augmentation on padded waveform batches, on the training device.

- AWGN at a random SNR in [snr_min, snr_max] dB with the paper's power-based scale
  K = sqrt(P_signal / (P_noise * 10^(SNR/10))) (torchaudio's `add_noise`, over each clip's real samples);
- uniform noise at the same SNRs (how the paper trained Model 1);
- random gain and circular time shift within each clip;
- a random onset crop: up to `onset_crop_seconds` of each noisy copy's start dropped, so the chunk grid
  falls elsewhere on the speech (as it does on a test clip whose trimmed start lands a little later);
- speed perturbation (tempo and pitch together, as Kaldi's 0.9 / 1.1 speed perturbation) by linear
  interpolation;
- channel variation: a random smooth equaliser curve, a random band limit (telephone to wide band) and
  a synthetic room (exponentially decaying noise as impulse response), applied as one FFT filter;
- SpecAugment-style frequency and time masks on the Mel chunks;
- random crops of a few consecutive chunks per clip per step;
- mixup of the chunks of two clips (`mixup_alpha`, applied in the training step).

Noise is drawn from a generator seeded per (seed, epoch, row, copy): a fixed set of noisy copies per
file (`copies`, as in the paper, epoch fixed to 0) or fresh noise every epoch (`fresh`), and the
same seeds give the same batches after a resume.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchaudio.functional as AF

NOISE_TYPES = ("awgn", "uniform")
NOISE_MODES = ("none", "copies", "fresh")


@dataclass
class AugmentConfig:
    noise_mode: str = "copies"
    noise_type: str = "awgn"
    noise_copies: int = 2
    snr_min: float = 15.0
    snr_max: float = 30.0
    gain_db: float = 0.0
    max_shift_seconds: float = 0.0
    onset_crop_seconds: float = 0.0
    freq_mask_param: int = 0
    time_mask_param: int = 0
    speed_perturb: float = 0.0
    channel_prob: float = 0.0
    crop_chunks: int = 0
    mixup_alpha: float = 0.0

    def __post_init__(self):
        if self.noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {self.noise_mode!r}")
        if self.noise_type not in NOISE_TYPES:
            raise ValueError(f"noise_type must be one of {NOISE_TYPES}, got {self.noise_type!r}")
        if not 0 <= self.snr_min <= self.snr_max:
            raise ValueError(f"need 0 <= snr_min <= snr_max, got {self.snr_min} and {self.snr_max}")
        if self.noise_mode != "none" and self.noise_copies < 1:
            raise ValueError("noise_copies must be at least 1 when noise is on")
        if not 0 <= self.speed_perturb < 0.5:
            raise ValueError(f"speed_perturb must be in [0, 0.5), got {self.speed_perturb}")
        if not 0 <= self.channel_prob <= 1:
            raise ValueError(f"channel_prob must be in [0, 1], got {self.channel_prob}")
        if self.mixup_alpha < 0:
            raise ValueError(f"mixup_alpha must be 0 (off) or positive, got {self.mixup_alpha}")
        if not self.onset_crop_seconds >= 0:  # NaN too
            raise ValueError(f"onset_crop_seconds must be 0 (off) or positive, got {self.onset_crop_seconds}")
        if self.crop_chunks < 0:
            raise ValueError(f"crop_chunks must be 0 (off) or positive, got {self.crop_chunks}")

    @property
    def max_stretch(self) -> float:
        """How many times longer than the original a clip can come out (slowed down by speed perturbation)."""
        return 1.0 if self.noise_mode == "none" else 1.0 / (1.0 - self.speed_perturb)


def _generator(device: torch.device, *key: int) -> torch.Generator:
    seed = 0
    for part in key:
        seed = (seed * 1_000_003 + int(part)) % (2**63 - 1)
    return torch.Generator(device=device).manual_seed(seed)


def add_noise(
    waveforms: torch.Tensor,
    lengths: torch.Tensor,
    snr_db: torch.Tensor,
    noise_type: str = "awgn",
    generators: list[torch.Generator] | None = None,
    fixed_width: bool = False,
) -> torch.Tensor:
    """Adds white noise (Gaussian or uniform) to each real sample at the given per-clip SNR in dB.

    With one generator per clip, each clip's noise is drawn at its own length, so that a copy's noise
    does not depend on the batch it comes in (random streams of other sizes differ); `fixed_width`
    (static shapes) draws the batch's width instead, without reading the lengths on the host."""
    if generators is None:
        noise = torch.randn_like(waveforms) if noise_type == "awgn" else torch.rand_like(waveforms) * 2 - 1
    else:
        draw = torch.randn if noise_type == "awgn" else lambda *s, **k: torch.rand(*s, **k) * 2 - 1
        width = waveforms.shape[1]
        sizes = [width] * len(generators) if fixed_width else lengths.tolist()
        noise = torch.stack(
            [
                torch.nn.functional.pad(draw(size, generator=g, device=waveforms.device), (0, width - size))
                for size, g in zip(sizes, generators)
            ]
        )
    mask = torch.arange(waveforms.shape[1], device=waveforms.device) < lengths[:, None]
    noisy = AF.add_noise(waveforms, noise * mask, snr_db.to(waveforms.dtype), lengths)
    return noisy * mask


def measured_snr_db(clean: torch.Tensor, noisy: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """SNR actually achieved per clip: 10 log10(P_signal / P_noise) over the real samples."""
    mask = torch.arange(clean.shape[1], device=clean.device) < lengths[:, None]
    signal = (clean * mask).pow(2).sum(-1)
    noise = ((noisy - clean) * mask).pow(2).sum(-1)
    return 10 * torch.log10(signal / noise)


class WaveformAugmenter:
    """Applies an `AugmentConfig` to a batch; `copy == 0` rows stay clean (the original recordings)."""

    def __init__(self, config: AugmentConfig, seed: int = 0, sampling_rate: int = 16000):
        self.config = config
        self.seed = seed
        self.sampling_rate = sampling_rate  # the feature extractor's

    def __call__(
        self,
        waveforms: torch.Tensor,
        lengths: torch.Tensor,
        rows: torch.Tensor,
        copies: torch.Tensor,
        epoch: int,
        width: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The augmented batch and its lengths (speed perturbation changes them). A fixed `width` (static
        shapes) keeps the batch that wide and must cover the clips slowed the most (`max_stretch`); else
        the batch grows where a slowed clip needs it."""
        cfg = self.config
        noisy_rows = (copies > 0).nonzero().flatten().tolist()
        if cfg.noise_mode == "none" or not noisy_rows:
            return waveforms, lengths
        device = waveforms.device
        noise_epoch = 0 if cfg.noise_mode == "copies" else epoch
        out = waveforms.clone()
        index = _on_device(torch.tensor(noisy_rows), device)
        gens = [_generator(device, self.seed, noise_epoch, int(rows[i]), int(copies[i])) for i in noisy_rows]
        columns = 9 if cfg.onset_crop_seconds else 8 if cfg.speed_perturb or cfg.channel_prob else 3
        draws = torch.stack([torch.rand(columns, generator=g, device=device) for g in gens])
        # columns: snr, gain, shift (the only three drawn without speed or channel changes, so that
        # older runs' draws stay the same), speed, channel on/off, equaliser seed, band limit, room,
        # onset crop (drawn only when it is on, for the same reason).
        # (The noise samples of fresh noise changed on 2026-11-26, when they began to be drawn at each
        # clip's length; fixed copies computed by the feature cache were drawn so already.)
        wave, lens = waveforms[index], lengths[index]
        if cfg.onset_crop_seconds > 0:
            wave, lens = drop_onset(wave, lens, draws[:, 8] * cfg.onset_crop_seconds * self.sampling_rate)
        if cfg.speed_perturb > 0:
            wave, lens = change_speed(wave, lens, 1 + (draws[:, 3] * 2 - 1) * cfg.speed_perturb, width)
        if cfg.channel_prob > 0:
            wave = channel_filter(wave, lens, draws[:, 4] < cfg.channel_prob, draws[:, 5:8], self.sampling_rate)
        if cfg.max_shift_seconds > 0:
            wave = _circular_shift(wave, lens, (draws[:, 2] * 2 - 1) * cfg.max_shift_seconds * self.sampling_rate)
        if cfg.gain_db > 0:
            wave = wave * 10 ** (((draws[:, 1] * 2 - 1) * cfg.gain_db) / 20)[:, None]
        snr = cfg.snr_min + draws[:, 0] * (cfg.snr_max - cfg.snr_min)
        noisy = add_noise(wave, lens, snr, cfg.noise_type, gens, fixed_width=width is not None)
        if noisy.shape[1] != out.shape[1]:  # a slowed-down clip can outgrow the batch
            out = torch.nn.functional.pad(out, (0, max(0, noisy.shape[1] - out.shape[1])))
            noisy = torch.nn.functional.pad(noisy, (0, out.shape[1] - noisy.shape[1]))
        out[index] = noisy
        lengths = lengths.clone()
        lengths[index] = lens
        return out, lengths

    def is_fixed(self, copy: int) -> bool:
        """Whether copy `copy` of a recording is the same waveform in every epoch (clean, or fixed noise)."""
        return copy == 0 or self.config.noise_mode != "fresh"

    def spec_augment(self, input_values: torch.Tensor, copies: torch.Tensor) -> torch.Tensor:
        """Frequency and time masks on the chunks of augmented rows (each chunk its own masks)."""
        cfg = self.config
        if not (cfg.freq_mask_param or cfg.time_mask_param) or not bool((copies > 0).any()):
            return input_values
        out = input_values.clone()
        rows = _on_device((copies > 0).nonzero().flatten(), out.device)
        masked = out[rows]
        if cfg.freq_mask_param:
            masked = AF.mask_along_axis_iid(masked, cfg.freq_mask_param, 0.0, axis=2)
        if cfg.time_mask_param:
            masked = AF.mask_along_axis_iid(masked, cfg.time_mask_param, 0.0, axis=3)
        out[rows] = masked
        return out

    def crop(self, features: dict) -> dict:
        """A random window of at most `crop_chunks` consecutive chunks of every clip (a new one each
        step): the model sees parts of each recording in new company instead of the whole one each time."""
        size = self.config.crop_chunks
        values, mask = features["input_values"], features["chunk_mask"]
        if not size or values.shape[1] <= size:
            return features
        counts = mask.sum(1)
        starts = (torch.rand(len(counts), device=counts.device) * ((counts - size).clamp_min(0) + 1)).long()
        index = starts[:, None] + torch.arange(size, device=counts.device)
        keep = index < counts[:, None]
        index = index.clamp_max(values.shape[1] - 1)
        gathered = values[torch.arange(len(counts), device=counts.device)[:, None], index]
        return {**features, "input_values": gathered, "chunk_mask": keep.long()}


def change_speed(
    waveforms: torch.Tensor, lengths: torch.Tensor, factors: torch.Tensor, width: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Plays each clip `factors[i]` times faster (pitch and tempo together) by linear interpolation;
    returns the new batch, `width` samples wide (default: the longest new clip; a given width must cover
    it), and the new lengths. Speeding up by up to 1.5 folds at most the top third of the band back
    without an anti-alias filter: little speech energy lives there."""
    new_lengths = (lengths.to(factors.dtype) / factors).floor().long().clamp_min(1)
    width = int(new_lengths.max()) if width is None else width
    source = torch.arange(width, device=waveforms.device, dtype=factors.dtype)[None, :] * factors[:, None]
    left = source.floor().long()
    frac = (source - left).to(waveforms.dtype)
    last = (lengths - 1)[:, None]
    left, right = (
        left.clamp_max(last).clamp_max(waveforms.shape[1] - 1),
        (left + 1).clamp_max(last).clamp_max(waveforms.shape[1] - 1),
    )
    out = waveforms.gather(1, left) * (1 - frac) + waveforms.gather(1, right) * frac
    positions = torch.arange(width, device=waveforms.device)
    return out * (positions < new_lengths[:, None]), new_lengths


def drop_onset(
    waveforms: torch.Tensor, lengths: torch.Tensor, samples: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Drops the first `samples[i]` samples of each clip (at most half of it) and moves the rest to the
    start; returns the batch, as wide as before and zero beyond each clip, and the new lengths."""
    drop = samples.round().long().clamp(min=0).minimum(lengths // 2)
    positions = torch.arange(waveforms.shape[1], device=waveforms.device)
    source = (positions[None, :] + drop[:, None]).clamp_max(waveforms.shape[1] - 1)
    new_lengths = lengths - drop
    return waveforms.gather(1, source) * (positions < new_lengths[:, None]), new_lengths


def channel_filter(
    waveforms: torch.Tensor, lengths: torch.Tensor, active: torch.Tensor, draws: torch.Tensor, sample_rate: int = 16000
) -> torch.Tensor:
    """Another microphone and room for the `active` clips, from three uniform draws per clip:
    a smooth random equaliser (+-6 dB over a few bands), a band limit between 3.4 kHz (telephone) and
    the Nyquist frequency, and a synthetic room (decaying noise, RT60 0.1-0.6 s, mixed in at random
    strength). All three are one filter, applied by FFT; each clip keeps its level (RMS)."""
    if not bool(active.any()):
        return waveforms
    rows = active.nonzero().flatten()
    wave, lens, draws = waveforms[rows], lengths[rows], draws[rows]
    room_length = int(0.6 * sample_rate)
    size = 1 << (wave.shape[1] + room_length - 1).bit_length()
    spectrum = torch.fft.rfft(wave, n=size)
    hz = torch.fft.rfftfreq(size, 1 / sample_rate, device=wave.device)
    # each clip's equaliser and room come from its own seed (its first draw), so a fixed copy is the
    # same whichever clips share its batch
    generators = [torch.Generator(device=wave.device).manual_seed(int(seed * 2**31)) for seed in draws[:, 0].tolist()]
    # equaliser: random gains at 6 knots spaced on a log-frequency axis, interpolated
    knots = (torch.stack([torch.rand(6, generator=g, device=wave.device) for g in generators]) * 2 - 1) * 6.0
    position = (torch.log2(hz.clamp_min(50) / 50) / torch.log2(torch.tensor(sample_rate / 2 / 50)) * 5).clamp(0, 5)
    low = position.floor().long().clamp_max(4)
    t = position - low
    gain_db = knots[:, low] * (1 - t) + knots[:, low + 1] * t
    # band limit with a 500 Hz roll-off
    cutoff = 3400 + draws[:, 1:2] * (sample_rate / 2 - 3400)
    gain = 10 ** (gain_db / 20) * torch.sigmoid((cutoff - hz) / 100)
    # room: direct path plus an exponentially decaying noise tail, RT60 in [0.1, 0.6] s
    rt60 = 0.1 + draws[:, 2:3] * 0.5
    time = torch.arange(room_length, device=wave.device) / sample_rate
    noise = torch.stack([torch.randn(room_length, generator=g, device=wave.device) for g in generators])
    tail = noise * torch.exp(-6.9 * time / rt60)
    tail[:, 0] = 0
    wet = draws[:, 2:3] * 0.5 / tail.pow(2).sum(1, keepdim=True).sqrt()
    impulse = torch.zeros(len(rows), room_length, device=wave.device)
    impulse[:, 0] = 1
    impulse = impulse + tail * wet
    spectrum = spectrum * gain * torch.fft.rfft(impulse, n=size)
    filtered = torch.fft.irfft(spectrum, n=size)[:, : wave.shape[1]]
    mask = torch.arange(wave.shape[1], device=wave.device) < lens[:, None]
    filtered = filtered * mask
    level = (wave.pow(2).sum(1) / filtered.pow(2).sum(1).clamp_min(1e-20)).sqrt()
    out = waveforms.clone()
    out[rows] = filtered * level[:, None]
    return out


def _on_device(index: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A small host tensor on `device`; to a GPU through pinned memory, so the copy does not wait for it."""
    if device.type == "cuda":
        return index.pin_memory().to(device, non_blocking=True)
    return index.to(device)


def _circular_shift(waveforms: torch.Tensor, lengths: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Rolls each clip by `shifts[i]` samples within its own length (padding stays zero)."""
    positions = torch.arange(waveforms.shape[1], device=waveforms.device)
    source = (positions[None, :] - shifts.round().long()[:, None]) % lengths[:, None]
    rolled = waveforms.gather(1, source)
    return rolled * (positions < lengths[:, None])
