"""ser-hf: speech emotion recognition with the CNN-LSTM and CNN-BiLSTM-attention models of
Bhanbhro et al. (Signals 2025, 6(2), 22), as Hugging Face transformers classes.

`import ser_hf` is light (no torch, no transformers), so that `ser-hf --help` and argument errors
answer at once. The first use of any class below, or `ser_hf.register()`, imports them and registers
both models with AutoConfig, AutoModel, AutoModelForAudioClassification and AutoFeatureExtractor.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "EMOTIONS": "configuration_ser",
    "SerConfig": "configuration_ser",
    "SerCnnLstmConfig": "configuration_ser",
    "SerCnnBiLstmAttentionConfig": "configuration_ser",
    "SerFeatureExtractor": "feature_extraction_ser",
    "SerModel": "modeling_ser",
    "SerForAudioClassification": "modeling_ser",
    "SerCnnLstmModel": "modeling_ser",
    "SerCnnLstmForAudioClassification": "modeling_ser",
    "SerCnnBiLstmAttentionModel": "modeling_ser",
    "SerCnnBiLstmAttentionForAudioClassification": "modeling_ser",
}
_registered = False


def register() -> None:
    """Registers both models with the Auto classes (once; later calls do nothing)."""
    global _registered
    if _registered:
        return
    from transformers import AutoConfig, AutoFeatureExtractor, AutoModel, AutoModelForAudioClassification

    from .configuration_ser import PAPER_CONFIGS
    from .feature_extraction_ser import SerFeatureExtractor
    from .modeling_ser import MODEL_CLASSES_BY_CONFIG

    for config in PAPER_CONFIGS.values():
        base, head = MODEL_CLASSES_BY_CONFIG[config.__name__]
        AutoConfig.register(config.model_type, config, exist_ok=True)
        AutoModel.register(config, base, exist_ok=True)
        AutoModelForAudioClassification.register(config, head, exist_ok=True)
        AutoFeatureExtractor.register(config, SerFeatureExtractor, exist_ok=True)
    _registered = True


def __getattr__(name: str):
    """The classes, imported (and registered with the Auto classes) on first use."""
    if name == "MODEL_CLASSES":  # the paper's model number -> its audio-classification class
        register()
        from transformers import AutoModelForAudioClassification

        from .configuration_ser import PAPER_CONFIGS

        mapping = AutoModelForAudioClassification._model_mapping
        return {number: mapping[config] for number, config in PAPER_CONFIGS.items()}
    if name in _EXPORTS:
        register()
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, "MODEL_CLASSES"])


__all__ = [  # noqa: RUF022 (the order of _EXPORTS)
    "MODEL_CLASSES",
    "register",
    "EMOTIONS",
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
