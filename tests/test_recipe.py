"""The training recipe's ingredients (speed perturbation, channel simulation, chunk crops, mixup,
weight averaging) and `--recipe paper`: what each does, on small tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ser_hf.cli import parse_args
from ser_hf.data.augment import AugmentConfig, WaveformAugmenter, change_speed, channel_filter, drop_onset
from ser_hf.training.step import WeightAverage, mixup


def _tone(frequency: float, seconds: float = 1.0, rate: int = 16000) -> torch.Tensor:
    return torch.sin(2 * torch.pi * frequency * torch.arange(int(seconds * rate)) / rate)


def _peak_hz(wave: torch.Tensor, rate: int = 16000) -> float:
    spectrum = torch.fft.rfft(wave).abs()
    return float(torch.fft.rfftfreq(len(wave), 1 / rate)[spectrum.argmax()])


def test_speed_perturbation_changes_length_and_pitch_together():
    waves = torch.stack([_tone(500), _tone(500)])
    lengths = torch.tensor([16000, 12000])
    out, new_lengths = change_speed(waves * (torch.arange(16000) < lengths[:, None]), lengths, torch.tensor([1.1, 0.9]))
    assert new_lengths.tolist() == [14545, 13333]
    assert _peak_hz(out[0, :14545]) == pytest.approx(550, abs=3)
    assert _peak_hz(out[1, :13333]) == pytest.approx(450, abs=3)
    assert torch.all(out[0, 14545:] == 0) and torch.all(out[1, 13333:] == 0)
    same, _ = change_speed(waves, torch.tensor([16000, 16000]), torch.tensor([1.0, 1.0]))
    torch.testing.assert_close(same, waves)


def test_channel_simulation_keeps_level_and_padding_and_leaves_inactive_rows():
    generator = torch.Generator().manual_seed(0)
    waves = torch.randn(3, 16000, generator=generator) * 0.1
    lengths = torch.tensor([16000, 16000, 9000])
    waves = waves * (torch.arange(16000) < lengths[:, None])
    draws = torch.tensor([[0.3, 0.0, 0.8], [0.5, 0.5, 0.5], [0.9, 0.2, 0.1]])
    out = channel_filter(waves, lengths, torch.tensor([True, False, True]), draws)
    assert torch.equal(out[1], waves[1])
    for row in (0, 2):
        assert float(out[row].pow(2).sum() / waves[row].pow(2).sum()) == pytest.approx(1.0, rel=1e-3)
    assert torch.all(out[2, 9000:] == 0)
    # draws[0, 1] = 0: band-limited at 3.4 kHz (telephone): little energy is left above 4 kHz
    spectrum = torch.fft.rfft(out[0]).abs().pow(2)
    hz = torch.fft.rfftfreq(16000, 1 / 16000)
    assert float(spectrum[hz > 4000].sum() / spectrum.sum()) < 0.02


def test_fixed_copies_keep_their_speed_and_channel_across_epochs():
    augmenter = WaveformAugmenter(AugmentConfig(noise_mode="copies", speed_perturb=0.1, channel_prob=1.0), seed=0)
    waves, lengths = torch.randn(2, 8000) * 0.1, torch.tensor([8000, 8000])
    rows, copies = torch.tensor([3, 4]), torch.tensor([1, 2])
    a, la = augmenter(waves, lengths, rows, copies, epoch=0)
    b, lb = augmenter(waves, lengths, rows, copies, epoch=5)
    assert torch.equal(a, b) and torch.equal(la, lb) and not torch.equal(la, lengths)
    alone, _ = augmenter(waves[1:], lengths[1:], rows[1:], copies[1:], epoch=0)  # the same copy in another batch
    torch.testing.assert_close(alone[0, : int(la[1])], a[1, : int(la[1])])
    fresh = WaveformAugmenter(AugmentConfig(noise_mode="fresh", speed_perturb=0.1, channel_prob=1.0), seed=0)
    assert not torch.equal(fresh(waves, lengths, rows, copies, 0)[1], fresh(waves, lengths, rows, copies, 1)[1])


def test_onset_crops_drop_the_start_of_noisy_copies_only():
    waves = torch.arange(1, 11, dtype=torch.float32).repeat(3, 1)
    lengths = torch.tensor([10, 10, 6])
    out, new_lengths = drop_onset(waves * (torch.arange(10) < lengths[:, None]), lengths, torch.tensor([0.0, 3.2, 5.0]))
    assert new_lengths.tolist() == [10, 7, 3]  # at most half a clip goes
    assert out[0].tolist() == waves[0].tolist()
    assert out[1].tolist() == [4, 5, 6, 7, 8, 9, 10, 0, 0, 0]  # no wrap-around: the end is not moved to the start
    assert out[2].tolist() == [4, 5, 6, 0, 0, 0, 0, 0, 0, 0]
    augmenter = WaveformAugmenter(AugmentConfig(noise_mode="copies", onset_crop_seconds=0.25), seed=0)
    clips, lengths = torch.randn(3, 16000) * 0.1, torch.tensor([16000, 16000, 16000])
    rows, copies = torch.tensor([0, 0, 0]), torch.tensor([0, 1, 2])
    a, la = augmenter(clips, lengths, rows, copies, epoch=0)
    b, lb = augmenter(clips, lengths, rows, copies, epoch=3)
    assert torch.equal(a, b) and torch.equal(la, lb)  # fixed per copy, like its noise
    assert la[0] == 16000 and torch.equal(a[0], clips[0])  # the clean recording stays whole
    assert all(16000 - 4000 <= int(n) < 16000 for n in la[1:]) and la[1] != la[2]
    from dataclasses import asdict

    from ser_hf.model_cards import _augmentation

    card = _augmentation(asdict(augmenter.config), {"recipe": "ours"})  # the model card names it
    assert "up to 0.25 s of each noisy copy's start dropped" in card
    with pytest.raises(ValueError, match="onset_crop_seconds"):
        AugmentConfig(onset_crop_seconds=float("nan"))


def test_chunk_crops_are_windows_of_real_chunks():
    augmenter = WaveformAugmenter(AugmentConfig(crop_chunks=2), seed=0)
    values = torch.arange(3 * 5, dtype=torch.float32).view(3, 5, 1, 1)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])
    torch.manual_seed(0)
    for _ in range(20):
        out = augmenter.crop({"input_values": values, "chunk_mask": mask})
        assert out["input_values"].shape == (3, 2, 1, 1)
        firsts = out["input_values"][:, 0, 0, 0] - torch.tensor([0, 5, 10])
        assert torch.all(out["input_values"][:2, 1, 0, 0] == out["input_values"][:2, 0, 0, 0] + 1)  # consecutive
        assert 0 <= firsts[0] <= 3 and 0 <= firsts[1] <= 1 and firsts[2] == 0
        assert out["chunk_mask"].tolist()[2] == [1, 0]  # a one-chunk clip keeps its chunk, the rest is padding


def test_mixup_blends_two_clips_and_keeps_the_union_of_their_chunks():
    torch.manual_seed(0)
    features = {
        "input_values": torch.randn(4, 3, 2, 2),
        "chunk_mask": torch.tensor([[1, 1, 1], [1, 0, 0], [1, 1, 0], [1, 0, 0]]),
    }
    labels = torch.tensor([0, 1, 2, 3])
    mixed, partners, lam, order = mixup(features, labels, alpha=0.4)
    assert 0.5 <= float(lam) <= 1.0
    torch.testing.assert_close(
        mixed["input_values"], lam * features["input_values"] + (1 - lam) * features["input_values"][order]
    )
    assert torch.equal(partners, labels[order])
    assert torch.equal(mixed["chunk_mask"], torch.maximum(features["chunk_mask"], features["chunk_mask"][order]))


def test_weight_average_follows_the_ema_formula():
    model = torch.nn.Linear(3, 2)
    average = WeightAverage(model, decay=0.5)
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    average.update_parameters(model)  # warm-up: decay min(0.5, 1 / 10)
    torch.testing.assert_close(average.module.weight, 0.1 * start + 0.9 * (start + 1.0))
    for _ in range(20):
        average.update_parameters(model)
    before = average.module.weight.clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    average.update_parameters(model)  # past the warm-up: decay 0.5
    torch.testing.assert_close(average.module.weight, 0.5 * before + 0.5 * model.weight)
    assert not average.module.weight.requires_grad
    restored = WeightAverage(model, decay=0.5)
    restored.load_state_dict(average.state_dict())
    assert restored.updates == 22  # the warm-up position is part of the checkpoint


def parse(argv: list[str]) -> tuple:
    return parse_args(["train", *argv])[1]


def test_recipe_paper_sets_the_papers_values_except_what_the_user_typed():
    _, _, augment, train = parse(
        ["--output_dir", "/tmp/x", "--recipe", "paper", "--architecture", "1", "--mixup_alpha", "0.2"]
    )
    assert (augment.noise_mode, augment.noise_copies, augment.noise_type) == (
        "copies",
        2,
        "uniform",
    )  # Model 1: uniform noise
    assert (
        augment.crop_chunks == 0 and augment.speed_perturb == 0 and augment.channel_prob == 0 and train.ema_decay == 0
    )
    assert augment.mixup_alpha == 0.2  # typed by the user: kept
    assert train.epochs == 200 and train.weight_decay == 1e-3
    _, _, ours, ours_train = parse(["--output_dir", "/tmp/x"])  # the paper's, plus speed, channel and EMA
    assert (ours.noise_mode, ours.noise_copies, ours.mixup_alpha, ours.crop_chunks) == ("copies", 2, 0.0, 0)
    assert ours.speed_perturb > 0 and ours.channel_prob > 0 and ours_train.ema_decay > 0
    _, _, regularised, regularised_train = parse(["--output_dir", "/tmp/x", "--recipe", "regularised"])
    assert regularised.noise_mode == "fresh" and regularised.mixup_alpha > 0 and regularised.crop_chunks > 0
    assert regularised_train.weight_decay == 0.05 and regularised_train.ema_decay > 0
    assert np.isclose(parse(["--output_dir", "/tmp/x", "--architecture", "2", "--recipe", "paper"])[2].snr_min, 15.0)
    # --model, the old name of --architecture, still works
    assert parse(["--output_dir", "/tmp/x", "--model", "1", "--recipe", "paper"])[0].architecture == 1
    assert parse(["--output_dir", "/tmp/x", "--model", "2", "--recipe", "paper"])[2].noise_type == "awgn"


def test_the_registry_numbers_match_the_config_classes():
    from ser_hf.configuration_ser import PAPER_CONFIGS

    assert all(config.paper_model == number for number, config in PAPER_CONFIGS.items())
