"""Configurations of the two speech emotion recognition models of Bhanbhro et al. (Signals 2025, 6(2), 22).

Model 1 (`SerCnnLstmConfig`): a time-distributed 2D CNN over log-Mel chunks followed by an LSTM.
Model 2 (`SerCnnBiLstmAttentionConfig`): the same CNN followed by a bidirectional LSTM with additive
attention. Every default is the paper's where the paper gives one; the rest is documented here.

This file is Hub-facing: it imports nothing beyond transformers so that `trust_remote_code=True`
works for a user who only has torch, numpy and transformers.
"""

from transformers import PreTrainedConfig

EMOTIONS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
"""The eight RAVDESS emotions, in the order of RAVDESS emotion codes 01..08."""


def conv_output_size(size: int, pool_sizes: list[int]) -> int:
    """Size of one map axis after the CNN's pools.

    The pool rule: a pool whose window is larger than the map it reads is clipped to the map, so a map
    smaller than the pool becomes 1, never 0. The paper's 2-2-2-4-4-4 pools take a 128x128 chunk
    128 -> 64 -> 32 -> 16 -> 4 -> 1 and then, by this rule, 1 -> 1 (plain pooling would give 0).
    Convolutions keep the size ("same" padding).
    """
    for pool in pool_sizes:
        size = size // min(pool, size)
    return size


class SerConfig(PreTrainedConfig):
    r"""
    Shared configuration of both models; the two subclasses below only change the defaults.

    num_mel_bins: Mel bands of one chunk (its height); must match the feature extractor.
    chunk_length: frames of one chunk (its width); must match the feature extractor.
    conv_channels: filters of the six time-distributed conv blocks (paper: 8, 16, 32, 64, 128, 256).
    conv_kernel_sizes: square kernel of each block (paper: 5, 5, 3, 3, 3, 3); padding is kernel // 2.
    pool_sizes: square max-pool window (= stride) of each block (paper: 2, 2, 2, 4, 4, 4), clipped to the
        map size (see `conv_output_size`).
    cnn_dropout: dropout after each pool (paper: 0.2); 0 gives the "no dropout" ablation.
    use_lstm: run an LSTM over the chunk sequence; False gives the "no LSTM" ablation, where the chunk
        features go straight to the pooling (mean, or attention).
    lstm_hidden_size: hidden units per direction (not given by the paper).
    lstm_num_layers: stacked LSTM layers.
    bidirectional: a bidirectional LSTM (Model 2) or a forward one (Model 1, Model 2's ablation).
    use_attention: additive attention over chunks (Model 2). Without it the sequence is summarised by the
        last valid LSTM state (forward) concatenated with the first (backward), or by the mean of the chunk
        features when there is no LSTM.
    summary_dropout: dropout on the utterance summary before the classifier.
    classifier_hidden_size: width of the dense layer before the output layer (0: none).
    classifier_dropout: dropout after that dense layer.
    sampling_rate: the audio rate the model was trained at (its feature extractor must use the same).
    temperature: the logits are divided by it (temperature scaling, fitted on validation data after
        training), so that the probabilities are calibrated; the top label does not change. 1: none.
    """

    model_type = "ser"

    num_mel_bins: int = 128
    chunk_length: int = 128
    conv_channels: list[int] | tuple[int, ...] = (8, 16, 32, 64, 128, 256)
    conv_kernel_sizes: list[int] | tuple[int, ...] = (5, 5, 3, 3, 3, 3)
    pool_sizes: list[int] | tuple[int, ...] = (2, 2, 2, 4, 4, 4)
    cnn_dropout: float = 0.2
    use_lstm: bool = True
    lstm_hidden_size: int = 128
    lstm_num_layers: int = 1
    bidirectional: bool = False
    use_attention: bool = False
    summary_dropout: float = 0.2
    classifier_hidden_size: int = 64
    classifier_dropout: float = 0.2
    sampling_rate: int = 16000
    temperature: float = 1.0

    id2label: dict[int, str] | dict[str, str] | None = None
    label2id: dict[str, int] | dict[str, str] | None = None

    def __post_init__(self, **kwargs):
        if self.id2label is None and kwargs.get("num_labels") is None:
            self.id2label = dict(enumerate(EMOTIONS))
            self.label2id = {label: i for i, label in enumerate(EMOTIONS)}
        self.conv_channels = list(self.conv_channels)
        self.conv_kernel_sizes = list(self.conv_kernel_sizes)
        self.pool_sizes = list(self.pool_sizes)
        self._check_conv_blocks()
        super().__post_init__(**kwargs)

    def _check_conv_blocks(self):
        """One kernel and one pool per conv block; odd kernels so that padding keeps the map size."""
        if not len(self.conv_channels) == len(self.conv_kernel_sizes) == len(self.pool_sizes):
            raise ValueError(
                "conv_channels, conv_kernel_sizes and pool_sizes need one entry per conv block, got "
                f"{len(self.conv_channels)}, {len(self.conv_kernel_sizes)} and {len(self.pool_sizes)}"
            )
        if any(k % 2 == 0 for k in self.conv_kernel_sizes):
            raise ValueError(f"conv_kernel_sizes must be odd to keep the map size, got {self.conv_kernel_sizes}")

    @classmethod
    def from_dict(cls, config_dict: dict, **kwargs):
        """Refuses a config saved by another architecture (e.g. wav2vec2), which would otherwise load as
        randomly initialised weights with only a warning."""
        model_type = config_dict.get("model_type")
        if model_type and not str(model_type).startswith("ser"):
            raise ValueError(
                f"this is the config of a {model_type!r} model, not of a ser-hf model (ser-cnn-lstm or "
                f"ser-cnn-bilstm-attention): load it with the classes of {model_type!r}"
            )
        return super().from_dict(config_dict, **kwargs)

    @property
    def chunk_feature_size(self) -> int:
        """Size of one chunk's CNN feature vector (channels x remaining height x remaining width)."""
        height = conv_output_size(self.num_mel_bins, self.pool_sizes)
        width = conv_output_size(self.chunk_length, self.pool_sizes)
        return self.conv_channels[-1] * height * width

    @property
    def summary_size(self) -> int:
        """Size of the utterance vector that reaches the classifier."""
        if not self.use_lstm:
            return self.chunk_feature_size
        return self.lstm_hidden_size * (2 if self.bidirectional else 1)


class SerCnnLstmConfig(SerConfig):
    """Model 1: time-distributed CNN -> LSTM -> dense -> 8 emotions."""

    model_type = "ser-cnn-lstm"
    paper_model = 1  # the paper's model number (`ser-hf train --architecture 1`)
    display_name = "Model 1 (CNN-LSTM)"


class SerCnnBiLstmAttentionConfig(SerConfig):
    """Model 2: time-distributed CNN -> bidirectional LSTM -> additive attention -> dense -> 8 emotions."""

    model_type = "ser-cnn-bilstm-attention"
    paper_model = 2
    display_name = "Model 2 (CNN-BiLSTM-attention)"

    bidirectional: bool = True
    use_attention: bool = True


PAPER_CONFIGS = {1: SerCnnLstmConfig, 2: SerCnnBiLstmAttentionConfig}
"""The paper's model number -> its config class (each also holds its number as `paper_model`): the one
registry of the two architectures; their `model_type`, `display_name` and model classes are found from
here. A literal, as remote code may only define things at import."""


def display_name(model_type: str) -> str:
    """'Model 1 (CNN-LSTM)' for 'ser-cnn-lstm'; the model type itself for anything else."""
    return next((c.display_name for c in PAPER_CONFIGS.values() if c.model_type == model_type), model_type)
