"""Training-time augmentation on padded waveform batches, on the training device.

- AWGN at a random SNR in [snr_min, snr_max] dB with the paper's power-based scale
  K = sqrt(P_signal / (P_noise * 10^(SNR/10))) (torchaudio's `add_noise`, over each clip's real samples);
- uniform noise at the same SNRs (how the paper trained Model 1);
- random gain and circular time shift within each clip;
- SpecAugment-style frequency and time masks on the Mel chunks.

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
    freq_mask_param: int = 0
    time_mask_param: int = 0

    def __post_init__(self):
        if self.noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {self.noise_mode!r}")
        if self.noise_type not in NOISE_TYPES:
            raise ValueError(f"noise_type must be one of {NOISE_TYPES}, got {self.noise_type!r}")
        if not 0 <= self.snr_min <= self.snr_max:
            raise ValueError(f"need 0 <= snr_min <= snr_max, got {self.snr_min} and {self.snr_max}")
        if self.noise_mode != "none" and self.noise_copies < 1:
            raise ValueError("noise_copies must be at least 1 when noise is on")


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
) -> torch.Tensor:
    """Adds white noise (Gaussian or uniform) to each real sample at the given per-clip SNR in dB."""
    if generators is None:
        noise = torch.randn_like(waveforms) if noise_type == "awgn" else torch.rand_like(waveforms) * 2 - 1
    else:
        draw = torch.randn if noise_type == "awgn" else lambda *s, **k: torch.rand(*s, **k) * 2 - 1
        noise = torch.stack(
            [draw(waveforms.shape[1], generator=g, device=waveforms.device) for g in generators]
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

    def __init__(self, config: AugmentConfig, seed: int = 0):
        self.config = config
        self.seed = seed

    def __call__(
        self, waveforms: torch.Tensor, lengths: torch.Tensor, rows: torch.Tensor, copies: torch.Tensor, epoch: int
    ) -> torch.Tensor:
        cfg = self.config
        noisy_rows = (copies > 0).nonzero().flatten().tolist()
        if cfg.noise_mode == "none" or not noisy_rows:
            return waveforms
        device = waveforms.device
        noise_epoch = 0 if cfg.noise_mode == "copies" else epoch
        out = waveforms.clone()
        index = _on_device(torch.tensor(noisy_rows), device)
        gens = [_generator(device, self.seed, noise_epoch, int(rows[i]), int(copies[i])) for i in noisy_rows]
        draws = torch.stack([torch.rand(3, generator=g, device=device) for g in gens])  # snr, gain, shift
        wave, lens = waveforms[index], lengths[index]
        if cfg.max_shift_seconds > 0:
            wave = _circular_shift(wave, lens, (draws[:, 2] * 2 - 1) * cfg.max_shift_seconds * 16000)
        if cfg.gain_db > 0:
            wave = wave * 10 ** (((draws[:, 1] * 2 - 1) * cfg.gain_db) / 20)[:, None]
        snr = cfg.snr_min + draws[:, 0] * (cfg.snr_max - cfg.snr_min)
        out[index] = add_noise(wave, lens, snr, cfg.noise_type, gens)
        return out

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
