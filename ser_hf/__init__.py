"""ser-hf: speech emotion recognition with the CNN-LSTM and CNN-BiLSTM-attention models of
Bhanbhro et al. (Signals 2025, 6(2), 22), as Hugging Face transformers classes.

Importing the package registers both models with AutoConfig, AutoModel,
AutoModelForAudioClassification and AutoFeatureExtractor.
"""

from transformers import AutoConfig, AutoFeatureExtractor, AutoModel, AutoModelForAudioClassification

from .configuration_ser import EMOTIONS, SerCnnBiLstmAttentionConfig, SerCnnLstmConfig, SerConfig
from .feature_extraction_ser import SerFeatureExtractor
from .modeling_ser import (
    SerCnnBiLstmAttentionForAudioClassification,
    SerCnnBiLstmAttentionModel,
    SerCnnLstmForAudioClassification,
    SerCnnLstmModel,
    SerForAudioClassification,
    SerModel,
)

__version__ = "0.1.0"

for _config, _base, _head in (
    (SerCnnLstmConfig, SerCnnLstmModel, SerCnnLstmForAudioClassification),
    (SerCnnBiLstmAttentionConfig, SerCnnBiLstmAttentionModel, SerCnnBiLstmAttentionForAudioClassification),
):
    AutoConfig.register(_config.model_type, _config, exist_ok=True)
    AutoModel.register(_config, _base, exist_ok=True)
    AutoModelForAudioClassification.register(_config, _head, exist_ok=True)
    AutoFeatureExtractor.register(_config, SerFeatureExtractor, exist_ok=True)

MODEL_CLASSES = {1: SerCnnLstmForAudioClassification, 2: SerCnnBiLstmAttentionForAudioClassification}
"""The paper's model numbers."""

__all__ = [
    "EMOTIONS",
    "MODEL_CLASSES",
    "SerConfig",
    "SerCnnLstmConfig",
    "SerCnnBiLstmAttentionConfig",
    "SerFeatureExtractor",
    "SerModel",
    "SerForAudioClassification",
    "SerCnnLstmModel",
    "SerCnnLstmForAudioClassification",
    "SerCnnBiLstmAttentionModel",
    "SerCnnBiLstmAttentionForAudioClassification",
]
