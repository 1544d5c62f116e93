"""The optimised training paths compute what the eager modules compute.

On a real RAVDESS batch with AWGN (the training recipe's augmentation), one training step of the
fused CPU path and of the static-shape path (the GPU path, run here on the CPU) gives the eager
path's loss, gradients and BatchNorm running statistics to float tolerance, with dropout on (the
same dropout masks are replayed in every path). Inference never takes an optimised path.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

import ser_hf
from ser_hf.data.augment import AugmentConfig, WaveformAugmenter
from ser_hf.modeling_ser import SerConvBlock
from ser_hf.training.batches import WaveformBank, features_for


class ReplayedDropout(nn.Module):
    """Multiplies by a recorded dropout mask, so that two implementations drop the same values."""

    def __init__(self, mask: torch.Tensor):
        super().__init__()
        self.mask = mask

    def forward(self, x):
        return x * self.mask


def real_batch(decoded, static_shapes: bool = False, size: int = 12):
    """A training batch of real clips of different lengths, half of them with AWGN, as the loop makes it."""
    rows = [(i * 127) % len(decoded) for i in range(size)]  # several actors, emotions and lengths
    table = decoded.select(rows).select_columns(["waveform", "label"]).with_format("numpy")
    # a longer clip elsewhere in the bank, never in the batch: static batches are as wide as it
    bank = WaveformBank([*table["waveform"], np.zeros(8 * 16000, np.float32)], [*map(int, table["label"]), 0])
    bank.static_shapes = static_shapes
    batch = {"rows": torch.arange(size), "copies": torch.arange(size) % 2}
    augmenter = WaveformAugmenter(AugmentConfig(noise_mode="copies", noise_type="awgn", noise_copies=1), seed=0)
    return features_for(batch, bank, ser_hf.SerFeatureExtractor(), augmenter, epoch=0)


def one_step(model, features, labels):
    loss = nn.functional.cross_entropy(model(**features).logits, labels)
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}, dict(model.named_buffers())


@pytest.mark.real_data
@pytest.mark.parametrize("number", [1, 2])
def test_fused_and_static_steps_match_the_eager_step_on_a_real_batch(number, ravdess_decoded, monkeypatch):
    cls = ser_hf.MODEL_CLASSES[number]
    torch.manual_seed(0)
    # dropout of the CNN on; the classifier's dropouts off, as they draw from the global generator in
    # an order that differs between paths (they are the same modules in every path)
    reference = cls(cls.config_class(summary_dropout=0.0, classifier_dropout=0.0)).train()
    with torch.no_grad():  # BatchNorm scales of both signs: where gamma < 0 the fused pool picks minima
        for module in reference.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(-2, 2)
    features, labels = real_batch(ravdess_decoded)
    mask = features["chunk_mask"].bool()
    assert not bool(mask.all()), "the batch should mix clip lengths, so padding is exercised"
    assert len(labels.unique()) > 1

    masks = []
    draw = SerConvBlock.dropout_mask
    monkeypatch.setattr(SerConvBlock, "dropout_mask", lambda self, *a: masks.append(draw(self, *a)) or masks[-1])
    fused = copy.deepcopy(reference)
    fused.set_training_path("fused")
    fused_loss, fused_grads, fused_buffers = one_step(fused, features, labels)
    assert len(masks) == len(fused.ser.chunk_encoder.blocks)

    eager = copy.deepcopy(reference)
    eager.set_training_path("eager")
    for block, kept in zip(eager.ser.chunk_encoder.blocks, masks):
        block.dropout = ReplayedDropout(kept)
    eager_loss, eager_grads, eager_buffers = one_step(eager, features, labels)

    static_features, _ = real_batch(ravdess_decoded, static_shapes=True)
    assert static_features["input_values"].shape[1] > features["input_values"].shape[1]  # the bank's chunk count
    static_mask = static_features["chunk_mask"].bool()
    static = copy.deepcopy(reference)
    static.set_training_path("static")
    for block, kept in zip(static.ser.chunk_encoder.blocks, masks):  # padded chunks: any mask, they are zeroed
        full = torch.ones((static_mask.numel(), *kept.shape[1:]))
        full[static_mask.flatten()] = kept
        block.dropout = ReplayedDropout(full)
    static_loss, static_grads, static_buffers = one_step(static, static_features, labels)

    scale = max(g.abs().max() for g in eager_grads.values())
    for loss, grads, buffers in ((fused_loss, fused_grads, fused_buffers), (static_loss, static_grads, static_buffers)):
        torch.testing.assert_close(loss, eager_loss, rtol=1e-5, atol=1e-6)
        for name, grad in eager_grads.items():
            if name.endswith("conv.bias"):  # before training-mode BatchNorm: zero up to the rounding of a large sum
                assert float(grads[name].abs().max()) < 1e-3 * scale and float(grad.abs().max()) < 1e-3 * scale, name
            else:
                torch.testing.assert_close(
                    grads[name], grad, rtol=2e-3, atol=1e-4 * scale, msg=lambda m, name=name: f"{name}: {m}"
                )
        for name, buffer in eager_buffers.items():
            torch.testing.assert_close(buffers[name], buffer, rtol=1e-4, atol=1e-5, msg=name)


def test_dropout_masks_of_the_fused_path_keep_the_expected_share():
    block = SerConvBlock(1, 8, 5, (2, 2), dropout=0.2)
    torch.manual_seed(0)
    kept = block.dropout_mask((64, 8, 32, 32), torch.device("cpu"))
    assert kept.is_contiguous(memory_format=torch.channels_last)
    values = kept.unique().tolist()
    assert values[0] == 0 and values[1] == pytest.approx(1 / 0.8, rel=1e-4) and len(values) == 2
    assert float((kept == 0).float().mean()) == pytest.approx(0.2, abs=0.003)
    assert float(kept.mean()) == pytest.approx(1.0, abs=0.005)  # an unbiased estimate of the input
    assert SerConvBlock(1, 8, 5, (2, 2), dropout=0.0).dropout_mask((2, 8, 4, 4), torch.device("cpu")) is None


@pytest.mark.parametrize("number", [1, 2])
def test_inference_is_the_same_whatever_the_training_path(number):
    cls = ser_hf.MODEL_CLASSES[number]
    torch.manual_seed(1)
    model = cls(cls.config_class()).eval()
    x = torch.randn(3, 4, 128, 128)
    chunk_mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]])
    with torch.no_grad():
        reference = model(x, chunk_mask=chunk_mask).logits
        for path in ("fused", "eager"):
            model.set_training_path(path)
            assert torch.equal(model(x, chunk_mask=chunk_mask).logits, reference)
        model.set_training_path("static")  # padded chunks computed then zeroed: the same up to rounding
        torch.testing.assert_close(model(x, chunk_mask=chunk_mask).logits, reference, rtol=1e-5, atol=1e-6)
    model.train()  # a training-mode forward without gradients (BatchNorm re-estimation) is eager too
    with torch.no_grad():
        model.set_training_path("fused")
        torch.manual_seed(2)
        fused = model(x, chunk_mask=chunk_mask).logits
        model.set_training_path("eager")
        torch.manual_seed(2)
        assert torch.equal(model(x, chunk_mask=chunk_mask).logits, fused)
    with pytest.raises(ValueError, match="training path must be one of"):
        model.set_training_path("compiled")


def test_static_batches_have_one_shape_and_the_same_features():
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(n).astype(np.float32) * 0.1 for n in (20000, 36000, 52000, 41000)]
    bank = WaveformBank(waves, [0, 1, 2, 3])
    extractor = ser_hf.SerFeatureExtractor()
    batch = {"rows": torch.tensor([0, 1]), "copies": torch.tensor([0, 0])}
    dynamic, _ = features_for(batch, bank, extractor)
    bank.static_shapes = True
    static, _ = features_for(batch, bank, extractor)
    other, _ = features_for({"rows": torch.tensor([2, 3]), "copies": torch.tensor([0, 0])}, bank, extractor)
    assert static["input_values"].shape == other["input_values"].shape
    steps = dynamic["input_values"].shape[1]
    assert torch.equal(static["chunk_mask"][:, :steps], dynamic["chunk_mask"])
    assert not static["chunk_mask"][:, steps:].any()
    real = dynamic["chunk_mask"].bool()
    torch.testing.assert_close(static["input_values"][:, :steps][real], dynamic["input_values"][real])


@pytest.mark.parametrize("speed_perturb", [0.0, 0.3])
@pytest.mark.parametrize("noise_mode", ["copies", "fresh"])
def test_the_feature_cache_keeps_fixed_items_and_gives_their_features(noise_mode, speed_perturb):
    from ser_hf.training.batches import FeatureCache

    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(n).astype(np.float32) * 0.1 for n in (20000, 36000, 52000, 41000)]
    bank = WaveformBank(waves, [0, 1, 2, 3])
    extractor = ser_hf.SerFeatureExtractor()
    channel = 0.5 if speed_perturb else 0.0  # `ours`: its filters are drawn on an FFT grid of the batch's width
    config = AugmentConfig(noise_mode=noise_mode, noise_copies=1, speed_perturb=speed_perturb, channel_prob=channel)
    tolerance = 5e-3 if channel else 1e-5
    augmenter = WaveformAugmenter(config, seed=0)
    bank.headroom = config.max_stretch  # as the training loop sets it
    batch = {"rows": torch.tensor([0, 1, 2, 3]), "copies": torch.tensor([0, 1, 1, 0])}
    for static_shapes in (False, True):  # a cache per run: static shapes draw noise at the static width
        bank.static_shapes = static_shapes
        cache = FeatureCache()
        for epoch in (0, 1):
            reference, labels = features_for(batch, bank, extractor, augmenter, epoch)
            cached, cached_labels = features_for(batch, bank, extractor, augmenter, epoch, cache)
            if static_shapes:  # one shape whatever the speed draws; the longest clip slowed the most fits
                steps = int(extractor.num_chunks(torch.tensor(bank.static_width // extractor.hop_length + 1)))
                assert cached["input_values"].shape[1] == reference["input_values"].shape[1] == steps
                assert steps >= int(extractor.num_chunks(torch.tensor(int(52000 * config.max_stretch) // 160 + 1)))
            assert torch.equal(cached["chunk_mask"], reference["chunk_mask"]) and torch.equal(cached_labels, labels)
            real = reference["chunk_mask"].bool()  # padded chunk slots are never read by the model
            torch.testing.assert_close(
                cached["input_values"][real], reference["input_values"][real], atol=tolerance, rtol=tolerance
            )
    # clean rows always, noisy copies only when their noise is the same every epoch
    assert set(cache.chunks) == ({(0, 0), (3, 0), (1, 1), (2, 1)} if noise_mode == "copies" else {(0, 0), (3, 0)})
    again, _ = features_for(batch, bank, extractor, augmenter, 1, cache)
    assert torch.equal(again["input_values"][again["chunk_mask"].bool()][:1], cache.chunks[0, 0][:1])
