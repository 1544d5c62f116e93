"""The two models of Bhanbhro et al. (Signals 2025, 6(2), 22) as transformers `PreTrainedModel`s.

input_values (batch, chunks, mel bands, chunk frames) + chunk_mask (batch, chunks)
  -> time-distributed CNN: the same six conv blocks on every real chunk -> (batch, chunks, features)
  -> masked (bi)LSTM over the chunk sequence (optional)
  -> summary: additive attention (Model 2), last valid state (Model 1) or mean (no LSTM)
  -> dense -> logits over the 8 emotions.

Padded chunks never reach the CNN, the LSTM states of real chunks or the attention, so a clip's
logits do not depend on what it is batched with.

This file is Hub-facing: it imports only torch and transformers, and its siblings as `.sibling`.
"""

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutputWithPooling, SequenceClassifierOutput

from .configuration_ser import SerCnnBiLstmAttentionConfig, SerCnnLstmConfig, SerConfig


def _channel_moments(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Per-channel mean and biased variance of a channels-last map, and the count per channel.

    Sums of squares are taken over blocks of rows that stay in cache: one pass over the map, with
    pairwise-summation accuracy, where `var_mean` and `square().sum()` each cost several passes here.
    """
    rows = x.permute(0, 2, 3, 1).reshape(-1, x.shape[1])
    count = rows.shape[0]
    if count < 2:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(x.shape)}")
    shift = rows[0]  # sums of shifted values: no cancellation when a channel's mean is large against its spread
    total = squares = 0
    for block in rows.split(65536):
        block = block - shift
        total, squares = total + block.sum(0), squares + block.square().sum(0)
    mean = total / count
    return shift + mean, (squares / count - mean.square()).clamp_min_(0), count


@torch.no_grad()
def _update_running_stats(norm: nn.BatchNorm2d, mean: torch.Tensor, var: torch.Tensor, count) -> None:
    """What `nn.BatchNorm2d` does with a training batch's biased statistics over `count` values per channel:
    running averages (cumulative when momentum is None) of the mean and the unbiased variance."""
    if not norm.track_running_stats:
        return
    norm.num_batches_tracked.add_(1)
    momentum = norm.momentum if norm.momentum is not None else 1 / norm.num_batches_tracked
    norm.running_mean.lerp_(mean, momentum)
    denominator = (count - 1).clamp_min(1) if isinstance(count, torch.Tensor) else max(count - 1, 1)  # no host wait
    norm.running_var.lerp_(var * count / denominator, momentum)


class _NormPoolEluDropout(torch.autograd.Function):
    """Training-mode BatchNorm -> max-pool -> ELU -> dropout of one conv block, with a hand-written backward.

    Max-pooling commutes with BatchNorm's per-channel affine map where the scale gamma / std is positive
    (and turns into a min-pool where it is negative, handled by flipping the sign), so the map is pooled
    first and only the pooled values are normalised. The backward needs one scatter and one pass over
    the full-size map instead of the max-pool and BatchNorm backwards' several. Same values and
    gradients as the modules of the eager path, up to float rounding (tested).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, mean, invstd, keep_mask, kernel: tuple[int, int]):
        scale = weight * invstd
        sign = torch.where(scale < 0, -1.0, 1.0).to(x.dtype)[None, :, None, None]
        flipped = bool((scale < 0).any())
        pooled, index = nn.functional.max_pool2d(x * sign if flipped else x, kernel, kernel, return_indices=True)
        selected = pooled * sign if flipped else pooled  # the values of x at the pooled positions
        normed = torch.addcmul((bias - mean * scale)[None, :, None, None], selected, scale[None, :, None, None])
        # ELU(a) = max(a, exp(min(a, 0)) - 1): vectorised exp, about 3x faster than ELU's expm1 on the CPU
        activated = torch.maximum(normed, normed.clamp(max=0).exp_().sub_(1))
        ctx.save_for_backward(x, index, selected, activated, weight, mean, invstd, keep_mask)
        ctx.kernel = kernel
        return activated if keep_mask is None else activated * keep_mask

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output):
        x, index, selected, activated, weight, mean, invstd, keep_mask = ctx.saved_tensors
        grad = grad_output if keep_mask is None else grad_output * keep_mask
        grad = torch.ops.aten.elu_backward(grad, 1.0, 1.0, 1.0, True, activated)  # w.r.t. the normalised values
        count = x.numel() // x.shape[1]
        grad_bias = grad.sum((0, 2, 3))
        grad_weight = (grad * (selected - mean[None, :, None, None])).sum((0, 2, 3)) * invstd
        scale = weight * invstd
        grad_x = torch.ops.aten.max_pool2d_with_indices_backward(
            grad * scale[None, :, None, None], x, ctx.kernel, ctx.kernel, (0, 0), (1, 1), False, index
        )
        # BatchNorm's batch statistics depend on every element: grad_x += c1 * x + c0 per channel
        c1 = -scale * invstd * grad_weight / count
        c0 = -scale * grad_bias / count - c1 * mean
        grad_x.addcmul_(x, c1[None, :, None, None]).add_(c0[None, :, None, None])
        return grad_x, grad_weight, grad_bias, None, None, None, None


TRAINING_PATHS = ("fused", "eager", "static")
"""The implementations `SerPreTrainedModel.set_training_path` chooses between."""


class SerConvBlock(nn.Module):
    """Conv ("same" padding) -> BatchNorm -> ELU -> max-pool -> dropout, on one chunk.

    ELU is increasing, so it commutes with max-pooling: it runs after the pool, on 4-16x fewer values,
    with the same result. Two implementations of the same function:
    - eager (inference, and training with `fused_training = False`): the modules in order; the pool is
      two reshaped max reductions when the map divides evenly, the values of `nn.MaxPool2d`, several
      times faster on the CPU;
    - fused (training with gradients, the default): channels-last convolution, then
      `_NormPoolEluDropout`, whose backward avoids the full-size passes that dominate a CPU training step.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, pool: tuple[int, int], dropout: float):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.norm = nn.BatchNorm2d(out_channels)
        self.activation = nn.ELU()
        self.pool = nn.MaxPool2d(pool, stride=pool)
        self.dropout = nn.Dropout(dropout)
        self.fused_training = True

    def _max_pool(self, x: torch.Tensor) -> torch.Tensor:
        kh, kw = self.pool.kernel_size
        height, width = x.shape[-2:]
        if height % kh or width % kw or torch.onnx.is_in_onnx_export():  # ONNX Runtime's MaxPool is the fast one there
            return self.pool(x)
        return x.unflatten(3, (width // kw, kw)).amax(4).unflatten(2, (height // kh, kh)).amax(3)

    def dropout_mask(self, shape: tuple[int, ...], device: torch.device) -> torch.Tensor | None:
        """Dropout's multipliers for a channels-last map of `shape`: 0 or 1 / (1 - p), None when dropout is off.

        Each value is kept when a uniform 16-bit draw clears p (p rounded to 1/65536; the scale uses the
        rounded p, so the expectation is exact): four draws per 64-bit random word, about 3x faster than
        `bernoulli_` or `rand` on the CPU.
        """
        drop = round(self.dropout.p * 65536)
        if drop == 0:
            return None
        n, c, h, w = shape
        if drop >= 65536:
            return torch.zeros((n, c, h, w), device=device).contiguous(memory_format=torch.channels_last)
        count = n * c * h * w
        words = torch.randint(-(2**63), 2**63 - 1, ((count + 3) // 4,), dtype=torch.int64, device=device)
        draws = words.view(torch.int16)[:count].view(n, h, w, c).permute(0, 3, 1, 2)
        return (draws >= drop - 32768).to(torch.float32).mul_(65536 / (65536 - drop))

    def _fused_forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = self.norm
        if x.shape[1] == 1:  # one channel: strides that say channels-last, so the convolution picks that layout
            x = x.contiguous().as_strided(x.shape, (x.shape[2] * x.shape[3], 1, x.shape[3], 1))
        x = x.contiguous(memory_format=torch.channels_last)
        x = nn.functional.conv2d(
            x, self.conv.weight.contiguous(memory_format=torch.channels_last), self.conv.bias, padding=self.conv.padding
        )
        with torch.no_grad():  # batch statistics; their gradient is part of the Function's backward
            mean, var, count = _channel_moments(x.detach())
        _update_running_stats(norm, mean, var, count)
        invstd = (var + norm.eps).rsqrt()
        kernel = tuple(self.pool.kernel_size)
        keep = self.dropout_mask((x.shape[0], x.shape[1], x.shape[2] // kernel[0], x.shape[3] // kernel[1]), x.device)
        return _NormPoolEluDropout.apply(x, norm.weight, norm.bias, mean, invstd, keep, kernel)

    def _masked_norm(self, x: torch.Tensor, chunk_weights: torch.Tensor) -> torch.Tensor:
        """Training-mode BatchNorm whose batch statistics cover the chunks with weight 1 only: padded
        chunks pass through the CNN (static shapes) without changing what the real ones see."""
        norm = self.norm
        x = x.float()  # statistics in float32 also under autocast, as nn.BatchNorm2d computes them
        weights = chunk_weights.to(x.dtype)[:, None, None, None]
        count = weights.sum() * x.shape[2] * x.shape[3]
        mean = (x * weights).sum((0, 2, 3)) / count
        var = ((x - mean[None, :, None, None]).square() * weights).sum((0, 2, 3)) / count
        _update_running_stats(norm, mean.detach(), var.detach(), count)
        scale = norm.weight * (var + norm.eps).rsqrt()
        return x * scale[None, :, None, None] + (norm.bias - mean * scale)[None, :, None, None]

    def forward(self, x: torch.Tensor, chunk_weights: torch.Tensor | None = None) -> torch.Tensor:
        """`chunk_weights` (chunks,): 1 for real chunks, 0 for padding, which training-mode BatchNorm leaves
        out of its statistics; None when every chunk is real."""
        if chunk_weights is not None and self.norm.training:  # also BatchNorm re-estimation in eval mode
            return self.dropout(self.activation(self._max_pool(self._masked_norm(self.conv(x), chunk_weights))))
        fused = self.fused_training and self.training and self.norm.training and torch.is_grad_enabled()
        if fused and not torch.is_autocast_enabled(x.device.type):  # mixed precision: the eager modules
            return self._fused_forward(x)
        return self.dropout(self.activation(self._max_pool(self.norm(self.conv(x)))))


class SerChunkEncoder(nn.Module):
    """The time-distributed 2D CNN: (chunks, bands, frames) -> (chunks, `config.chunk_feature_size`).

    Pool windows are fixed here from the configured chunk size with the rule of `conv_output_size`: a
    window larger than the map it reads is clipped to the map, so no map collapses to zero size.
    """

    def __init__(self, config: SerConfig):
        super().__init__()
        height, width = config.num_mel_bins, config.chunk_length
        blocks = []
        in_channels = 1
        for channels, kernel, pool in zip(config.conv_channels, config.conv_kernel_sizes, config.pool_sizes):
            window = (min(pool, height), min(pool, width))
            blocks.append(SerConvBlock(in_channels, channels, kernel, window, config.cnn_dropout))
            height, width = height // window[0], width // window[1]
            in_channels = channels
        self.blocks = nn.Sequential(*blocks)

    def forward(self, chunks: torch.Tensor, chunk_weights: torch.Tensor | None = None) -> torch.Tensor:
        x = chunks.unsqueeze(1)
        for block in self.blocks:
            x = block(x, chunk_weights)
        return x.flatten(1)


def reverse_valid(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverses each sequence of (batch, steps, features) within its first `lengths[b]` steps.

    The padding stays in place, so a backward LSTM run on the result starts at each clip's own last
    chunk. The operation is its own inverse.
    """
    steps = torch.arange(x.shape[1], device=x.device)
    index = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)
    return x.gather(1, index[:, :, None].expand_as(x))


class SerMaskedLSTM(nn.Module):
    """A (bi)LSTM over left-aligned padded sequences whose outputs at real steps ignore the padding.

    The forward direction reads left to right, so padding after the last real step cannot reach it.
    The backward direction runs forward over each sequence reversed within its length.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, bidirectional: bool):
        super().__init__()
        self.bidirectional = bidirectional
        self.forward_layers = nn.ModuleList(
            nn.LSTM(input_size if i == 0 else hidden_size * (2 if bidirectional else 1), hidden_size, batch_first=True)
            for i in range(num_layers)
        )
        self.backward_layers = nn.ModuleList(
            nn.LSTM(input_size if i == 0 else hidden_size * 2, hidden_size, batch_first=True)
            for i in range(num_layers if bidirectional else 0)
        )

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns the outputs (batch, steps, hidden x directions), zero at padded steps, and the summary:
        the forward state at each clip's last real step, concatenated with the backward state at its first.
        """
        for i, forward_lstm in enumerate(self.forward_layers):
            outputs = forward_lstm(x)[0]
            if self.bidirectional:
                backward = reverse_valid(self.backward_layers[i](reverse_valid(x, lengths))[0], lengths)
                outputs = torch.cat([outputs, backward], dim=-1)
            x = outputs
        rows = torch.arange(x.shape[0], device=x.device)
        hidden = self.forward_layers[-1].hidden_size
        summary = x[rows, lengths - 1, :hidden]
        if self.bidirectional:
            summary = torch.cat([summary, x[:, 0, hidden:]], dim=-1)
        mask = torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]
        return x * mask[:, :, None], summary


class SerAdditiveAttention(nn.Module):
    """Model 2's attention: e_t = tanh(W_a h_t + b_a), alpha = softmax(e) over real chunks, c = sum alpha_t h_t.

    tanh bounds the scores to [-1, 1], so no chunk weighs more than e^2 (about 7.4) times another.
    """

    def __init__(self, hidden_size: int):
        super().__init__()
        self.score = nn.Linear(hidden_size, 1)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = torch.tanh(self.score(hidden)).squeeze(-1)
        weights = scores.masked_fill(~mask, -torch.inf).softmax(dim=-1)
        return torch.einsum("bt,bth->bh", weights, hidden), weights


class SerPreTrainedModel(PreTrainedModel):
    """Weight initialisation and loading conventions shared by both models."""

    config_class = SerConfig
    base_model_prefix = "ser"
    main_input_name = "input_values"
    _auto_class = "AutoModel"  # save_pretrained copies this file and its siblings next to the weights

    def save_pretrained(self, save_directory, *args, **kwargs):
        """Saves weights and config with an `auto_map` covering AutoConfig, AutoModel and
        AutoModelForAudioClassification, and copies the code, so the folder loads with `trust_remote_code`."""
        config_name = type(self.config).__name__
        base, head = MODEL_CLASSES_BY_CONFIG.get(config_name, (SerModel, SerForAudioClassification))
        self.config.auto_map = {
            "AutoConfig": f"configuration_ser.{config_name}",
            "AutoModel": f"modeling_ser.{base.__name__}",
            "AutoModelForAudioClassification": f"modeling_ser.{head.__name__}",
        }
        return super().save_pretrained(save_directory, *args, **kwargs)

    def set_training_path(self, path: str) -> None:
        """How training-mode forwards with gradients run; every path computes the same function (tested):
        - "fused" (default): padded chunks skipped, each conv block a channels-last convolution plus a
          fused BatchNorm / max-pool / ELU / dropout with its own backward: the fastest on the CPU;
        - "eager": padded chunks skipped, the plain modules (the reference);
        - "static": no shape or branch depends on the data (padded chunks go through the CNN and are left
          out of BatchNorm's statistics, nothing waits for the device), for `torch.compile` and CUDA graphs.
        Inference (eval mode or no gradients) always runs the eager modules, or static shapes under "static".
        """
        if path not in TRAINING_PATHS:
            raise ValueError(f"training path must be one of {TRAINING_PATHS}, got {path!r}")
        for module in self.modules():
            if isinstance(module, SerConvBlock):
                module.fused_training = path == "fused"
            elif isinstance(module, SerModel):
                module.static_shapes = path == "static"

    def _init_weights(self, module):
        """He init for the ELU convolutions, Xavier for LSTM and dense layers, LSTM forget-gate bias 1."""
        if isinstance(module, nn.Conv2d):
            init.kaiming_normal_(module.weight, nonlinearity="relu")
            init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            init.xavier_uniform_(module.weight)
            init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            init.ones_(module.weight)
            init.zeros_(module.bias)
            init.zeros_(module.running_mean)
            init.ones_(module.running_var)
            init.zeros_(module.num_batches_tracked)
        elif isinstance(module, nn.LSTM):
            for name, param in module.named_parameters():
                if "weight" in name:
                    init.xavier_uniform_(param)
                else:
                    init.zeros_(param)
                    if name.startswith("bias_ih"):
                        hidden = module.hidden_size
                        init.ones_(param[hidden : 2 * hidden])


def _chunk_lengths(
    input_values: torch.Tensor, chunk_mask: torch.Tensor | None, check_empty: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean chunk mask and the number of real chunks per clip; real chunks must come first.
    `check_empty=False` skips the check for clips without chunks, which waits for the device."""
    if input_values.ndim != 4:
        raise ValueError(
            "input_values must be (batch, chunks, mel bands, chunk frames) as made by SerFeatureExtractor, got "
            f"shape {tuple(input_values.shape)}"
        )
    if chunk_mask is None:
        mask = torch.ones(input_values.shape[:2], dtype=torch.bool, device=input_values.device)
    else:
        mask = chunk_mask.to(device=input_values.device).bool()
        if mask.shape != input_values.shape[:2]:
            raise ValueError(
                f"chunk_mask shape {tuple(mask.shape)} does not match input_values {tuple(input_values.shape[:2])}"
            )
    lengths = mask.sum(-1)
    if check_empty and bool((lengths == 0).any()):
        raise ValueError("every clip needs at least one real chunk (a row of chunk_mask is all zeros)")
    return mask, lengths


class SerModel(SerPreTrainedModel):
    """CNN + sequence model + pooling: the utterance embedding of either model (no classifier).

    `last_hidden_state` holds one vector per chunk (LSTM outputs, or CNN features without LSTM),
    `pooler_output` the utterance vector, `attentions` Model 2's chunk weights as a 1-tuple.
    """

    def __init__(self, config: SerConfig):
        super().__init__(config)
        self.chunk_encoder = SerChunkEncoder(config)
        self.lstm = (
            SerMaskedLSTM(
                config.chunk_feature_size, config.lstm_hidden_size, config.lstm_num_layers, config.bidirectional
            )
            if config.use_lstm
            else None
        )
        self.attention = SerAdditiveAttention(config.summary_size) if config.use_attention else None
        self.static_shapes = False
        self.post_init()

    def forward(
        self,
        input_values: torch.Tensor,
        chunk_mask: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> BaseModelOutputWithPooling:
        expected = (self.config.num_mel_bins, self.config.chunk_length)
        if input_values.ndim == 4 and tuple(input_values.shape[2:]) != expected:
            raise ValueError(
                f"input_values chunks are {tuple(input_values.shape[2:])} (bands, frames) but this model reads "
                f"{expected}: use the feature extractor saved with the model"
            )
        mask, lengths = _chunk_lengths(input_values, chunk_mask, check_empty=not self.static_shapes)
        batch, steps = mask.shape
        if self.static_shapes:  # no shape depends on the mask: padded chunks are encoded, left out of BatchNorm, zeroed
            features = self.chunk_encoder(input_values.flatten(0, 1), mask.flatten()).view(batch, steps, -1)
            features = features * mask[:, :, None]
        elif torch.onnx.is_in_onnx_export():  # one graph for every batch: padded chunks are encoded, then zeroed
            features = self.chunk_encoder(input_values.flatten(0, 1)).view(batch, steps, -1) * mask[:, :, None]
        elif bool(mask.all()):
            features = self.chunk_encoder(input_values.flatten(0, 1)).view(batch, steps, -1)
        else:  # padded chunks never reach the CNN (nor its BatchNorm statistics)
            features = input_values.new_zeros(batch, steps, self.config.chunk_feature_size)
            features[mask] = self.chunk_encoder(input_values[mask])
        if self.lstm is not None:
            sequence, last = self.lstm(features, lengths)
        else:
            sequence, last = features * mask[:, :, None], None
        weights = None
        if self.attention is not None:
            pooled, weights = self.attention(sequence, mask)
        elif last is not None:
            pooled = last
        else:
            pooled = sequence.sum(1) / lengths[:, None]
        return BaseModelOutputWithPooling(
            last_hidden_state=sequence,
            pooler_output=pooled,
            hidden_states=(features, sequence) if output_hidden_states else None,
            attentions=(weights,) if weights is not None else None,
        )


class SerForAudioClassification(SerPreTrainedModel):
    """`SerModel` + dropout + dense (ELU) + output layer; softmax of the logits gives the 8 emotions."""

    _auto_class = "AutoModelForAudioClassification"

    def __init__(self, config: SerConfig):
        super().__init__(config)
        self.ser = SerModel(config)
        layers: list[nn.Module] = [nn.Dropout(config.summary_dropout)]
        width = config.summary_size
        if config.classifier_hidden_size:
            layers += [nn.Linear(width, config.classifier_hidden_size), nn.ELU(), nn.Dropout(config.classifier_dropout)]
            width = config.classifier_hidden_size
        layers.append(nn.Linear(width, config.num_labels))
        self.classifier = nn.Sequential(*layers)
        self.post_init()

    def forward(
        self,
        input_values: torch.Tensor,
        chunk_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SequenceClassifierOutput:
        """`labels` (batch,) of class ids give the cross-entropy `loss`. The logits are divided by the
        config's calibration `temperature` (1 until one is fitted)."""
        outputs = self.ser(input_values, chunk_mask=chunk_mask, output_hidden_states=output_hidden_states)
        logits = self.classifier(outputs.pooler_output)
        if self.config.temperature != 1.0:
            logits = logits / self.config.temperature
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits, labels.to(logits.device).long())
        return SequenceClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )


class SerCnnLstmModel(SerModel):
    """Model 1 without its classifier: time-distributed CNN -> LSTM."""

    config_class = SerCnnLstmConfig


class SerCnnBiLstmAttentionModel(SerModel):
    """Model 2 without its classifier: time-distributed CNN -> bidirectional LSTM -> attention."""

    config_class = SerCnnBiLstmAttentionConfig


class SerCnnLstmForAudioClassification(SerForAudioClassification):
    """Model 1: time-distributed CNN -> LSTM -> dense -> 8 emotions."""

    config_class = SerCnnLstmConfig


class SerCnnBiLstmAttentionForAudioClassification(SerForAudioClassification):
    """Model 2: time-distributed CNN -> bidirectional LSTM -> additive attention -> dense -> 8 emotions."""

    config_class = SerCnnBiLstmAttentionConfig


MODEL_CLASSES_BY_CONFIG = {
    "SerCnnLstmConfig": (SerCnnLstmModel, SerCnnLstmForAudioClassification),
    "SerCnnBiLstmAttentionConfig": (SerCnnBiLstmAttentionModel, SerCnnBiLstmAttentionForAudioClassification),
}
"""Config class name -> (AutoModel class, AutoModelForAudioClassification class): for `auto_map` and
the Auto registration (`ser_hf.register`)."""
