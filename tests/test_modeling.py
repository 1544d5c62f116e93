"""Both paper models: architecture, pool rule, masking, attention, ablation switches, save/load."""

import pytest
import torch
from torch import nn

import ser_hf
from ser_hf import (
    EMOTIONS,
    SerCnnBiLstmAttentionConfig,
    SerCnnBiLstmAttentionForAudioClassification,
    SerCnnLstmConfig,
    SerCnnLstmForAudioClassification,
)
from ser_hf.configuration_ser import conv_output_size


def make(model_class, seed=0, **overrides):
    torch.manual_seed(seed)
    return model_class(model_class.config_class(**overrides)).eval()


def test_paper_defaults():
    for config in (SerCnnLstmConfig(), SerCnnBiLstmAttentionConfig()):
        assert config.conv_channels == [8, 16, 32, 64, 128, 256]
        assert config.conv_kernel_sizes == [5, 5, 3, 3, 3, 3]
        assert config.pool_sizes == [2, 2, 2, 4, 4, 4]
        assert config.cnn_dropout == 0.2
        assert [config.id2label[i] for i in range(8)] == EMOTIONS
        assert config.label2id["surprised"] == 7
    assert not SerCnnLstmConfig().bidirectional and not SerCnnLstmConfig().use_attention
    assert SerCnnBiLstmAttentionConfig().bidirectional and SerCnnBiLstmAttentionConfig().use_attention


def test_conv_blocks_follow_the_paper():
    blocks = make(SerCnnLstmForAudioClassification).ser.chunk_encoder.blocks
    assert len(blocks) == 6
    for block, channels, kernel, pool in zip(blocks, [8, 16, 32, 64, 128, 256], [5, 5, 3, 3, 3, 3], [2, 2, 2, 4, 4, 4]):
        assert block.conv.out_channels == channels
        assert block.conv.kernel_size == (kernel, kernel) and block.conv.padding == (kernel // 2, kernel // 2)
        assert isinstance(block.norm, nn.BatchNorm2d) and isinstance(block.activation, nn.ELU)
        assert block.dropout.p == 0.2
        assert block.pool.kernel_size[0] <= pool


def test_pool_rule_never_collapses_a_map():
    # 128 -> 64 -> 32 -> 16 -> 4 -> 1 -> (4x4 pool on a 1x1 map) 1, where plain pooling gives 0
    assert conv_output_size(128, [2, 2, 2, 4, 4, 4]) == 1
    assert conv_output_size(16, [2, 2, 2, 4, 4, 4]) == 1
    encoder = make(SerCnnLstmForAudioClassification).ser.chunk_encoder
    assert [b.pool.kernel_size for b in encoder.blocks][-2:] == [(4, 4), (1, 1)]
    assert encoder(torch.randn(3, 128, 128)).shape == (3, 256)
    small = make(SerCnnLstmForAudioClassification, num_mel_bins=64, chunk_length=48)
    assert small.ser.chunk_encoder(torch.randn(2, 64, 48)).shape == (2, small.config.chunk_feature_size)


@pytest.mark.parametrize("model_class", [SerCnnLstmForAudioClassification, SerCnnBiLstmAttentionForAudioClassification])
def test_forward_outputs_and_loss(model_class):
    model = make(model_class)
    x = torch.randn(2, 3, 128, 128)
    out = model(x, chunk_mask=torch.ones(2, 3, dtype=torch.long), labels=torch.tensor([0, 7]))
    assert out.logits.shape == (2, 8)
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)
    out.loss.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    if model.config.use_attention:
        (weights,) = out.attentions
        assert weights.shape == (2, 3)
        torch.testing.assert_close(weights.sum(-1), torch.ones(2))
    else:
        assert out.attentions is None


@pytest.mark.parametrize("model_class", [SerCnnLstmForAudioClassification, SerCnnBiLstmAttentionForAudioClassification])
def test_logits_do_not_change_when_batched_with_longer_clips(model_class):
    model = make(model_class)
    x = torch.randn(3, 5, 128, 128)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
    x_garbage = x.clone()
    x_garbage[mask == 0] = 1e3  # whatever sits in padded chunks must not matter
    batched = model(x_garbage, chunk_mask=mask)
    for i in range(3):
        n = int(mask[i].sum())
        alone = model(x[i : i + 1, :n])
        torch.testing.assert_close(batched.logits[i], alone.logits[0], atol=1e-5, rtol=1e-5)
        if model.config.use_attention:
            assert torch.all(batched.attentions[0][i, n:] == 0)
            torch.testing.assert_close(batched.attentions[0][i, :n], alone.attentions[0][0], atol=1e-6, rtol=1e-5)


def test_attention_is_bounded_by_tanh():
    model = make(SerCnnBiLstmAttentionForAudioClassification)
    with torch.no_grad():
        model.ser.attention.score.weight.mul_(1e4)  # saturate the scores
    weights = model(torch.randn(1, 6, 128, 128)).attentions[0][0]
    assert weights.max() / weights.min() <= torch.exp(torch.tensor(2.0)) + 1e-4


@pytest.mark.parametrize(
    "overrides, summary",
    [
        ({"use_lstm": False}, 256),  # no LSTM: CNN -> attention (Model 2) or mean (Model 1)
        ({"bidirectional": False}, 128),  # unidirectional instead of bidirectional
        ({"use_attention": False}, 256),  # attention off: last forward + first backward state
        ({"cnn_dropout": 0.0, "summary_dropout": 0.0, "classifier_dropout": 0.0}, 256),  # no dropout
    ],
    ids=["no-lstm", "unidirectional", "no-attention", "no-dropout"],
)
def test_ablation_switches(overrides, summary):
    model = make(SerCnnBiLstmAttentionForAudioClassification, **overrides)
    assert model.config.summary_size == summary
    out = model(torch.randn(2, 3, 128, 128), chunk_mask=torch.tensor([[1, 1, 1], [1, 1, 0]]))
    assert out.logits.shape == (2, 8)
    assert (model.ser.lstm is None) == (not model.config.use_lstm)
    assert (model.ser.attention is None) == (not model.config.use_attention)
    if overrides.get("cnn_dropout") == 0.0:
        assert all(m.p == 0.0 for m in model.modules() if isinstance(m, nn.Dropout))


def test_no_lstm_ablation_of_model_1_is_masked_mean():
    model = make(SerCnnLstmForAudioClassification, use_lstm=False)
    x = torch.randn(1, 4, 128, 128)
    out = model.ser(x, chunk_mask=torch.tensor([[1, 1, 0, 0]]))
    features = model.ser.chunk_encoder(x[0, :2])
    torch.testing.assert_close(out.pooler_output[0], features.mean(0), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("model_class", [SerCnnLstmForAudioClassification, SerCnnBiLstmAttentionForAudioClassification])
def test_save_load_round_trip_gives_identical_logits(model_class, tmp_path):
    model = make(model_class, seed=3)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    assert {"configuration_ser.py", "modeling_ser.py"} <= {p.name for p in tmp_path.iterdir()}
    loaded = model_class.from_pretrained(tmp_path).eval()
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[name]), name
    x = torch.randn(2, 3, 128, 128)
    with (
        torch.no_grad()
    ):  # same weights; loaded ones may be memory-mapped at another alignment, which changes BLAS rounding
        torch.testing.assert_close(model(x).logits, loaded(x).logits, atol=1e-6, rtol=0)


def test_bad_model_inputs_are_named():
    model = make(SerCnnLstmForAudioClassification)
    with pytest.raises(ValueError, match="batch, chunks, mel bands, chunk frames"):
        model(torch.randn(2, 128, 128))
    with pytest.raises(ValueError, match="this model reads"):
        model(torch.randn(1, 2, 64, 128))
    with pytest.raises(ValueError, match="all zeros"):
        model(torch.randn(2, 2, 128, 128), chunk_mask=torch.tensor([[1, 1], [0, 0]]))
    with pytest.raises(ValueError, match="one entry per conv block"):
        SerCnnLstmConfig(pool_sizes=[2, 2])


def test_parameter_counts_are_small():
    """A few MB of float32 weights each, as the paper's models."""
    counts = {n: sum(p.numel() for p in make(c).parameters()) for n, c in ser_hf.MODEL_CLASSES.items()}
    assert 100_000 < counts[1] < counts[2] < 2_000_000


def test_elu_after_pool_is_the_papers_elu_then_pool():
    """The block pools before ELU for speed; ELU is increasing, so the output is the paper's order's."""
    from ser_hf.modeling_ser import SerConvBlock

    torch.manual_seed(0)
    block = SerConvBlock(3, 8, 3, (4, 4), 0.2).eval()
    with torch.no_grad():
        block.norm.weight.uniform_(-2, 2)  # negative BN scales too
        block.norm.running_mean.normal_()
        x = torch.randn(5, 3, 32, 32)
        paper_order = block.pool(block.activation(block.norm(block.conv(x))))
        # equal up to ELU's rounding, which differs between vectorised and scalar lanes (a value's position)
        torch.testing.assert_close(block(x), paper_order, rtol=0, atol=1e-6)
        odd = torch.randn(2, 3, 30, 30)  # 30 is not a multiple of 4: nn.MaxPool2d's floor behaviour
        paper_order = block.pool(block.activation(block.norm(block.conv(odd))))
        torch.testing.assert_close(block(odd), paper_order, rtol=0, atol=1e-6)
