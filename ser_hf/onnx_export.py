"""ONNX export of a saved model, and an ONNX Runtime model that `predict` can use in its place.

The graph takes the feature extractor's `input_values` (batch, chunks, bands, frames) and
`chunk_mask` (batch, chunks) with dynamic batch and chunk axes, and returns `logits` (and Model 2's
`attention`). The features stay in torch (`SerFeatureExtractor`), so training, PyTorch inference
and ONNX inference share one feature definition.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch
from transformers.modeling_outputs import SequenceClassifierOutput

OPSET = 17


class _Outputs(torch.nn.Module):
    """The model with plain tensor outputs, as the exporter needs."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_values: torch.Tensor, chunk_mask: torch.Tensor):
        outputs = self.model(input_values=input_values, chunk_mask=chunk_mask)
        return (outputs.logits, outputs.attentions[0]) if outputs.attentions else (outputs.logits,)


def probe_clips(sampling_rate: int) -> list[np.ndarray]:
    """Three clips of different lengths (1, 2 and 4 chunks) so the padding paths are exercised."""
    clips = []
    for seconds, pitch in ((0.8, 180.0), (2.0, 140.0), (3.2, 220.0)):
        t = np.arange(int(seconds * sampling_rate)) / sampling_rate
        clips.append((0.3 * np.sin(2 * np.pi * pitch * t) * (1.2 + np.sin(2 * np.pi * 3 * t))).astype(np.float32))
    return clips


def export_onnx(model, extractor, out: str | os.PathLike, opset: int = OPSET, overwrite: bool = False) -> Path:
    """Writes `model` (in eval mode) to `out` as ONNX with dynamic batch and chunk axes."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists: choose another --out or pass --overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    wrapper = _Outputs(model).eval()
    example = extractor(
        probe_clips(extractor.sampling_rate)[:2], sampling_rate=extractor.sampling_rate, return_tensors="pt"
    )
    has_attention = bool(model.config.use_attention)
    names = ["logits", "attention"] if has_attention else ["logits"]
    axes = {"input_values": {0: "batch", 1: "chunks"}, "chunk_mask": {0: "batch", 1: "chunks"}, "logits": {0: "batch"}}
    if has_attention:
        axes["attention"] = {0: "batch", 1: "chunks"}
    tmp = out.with_name(out.name + ".partial")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about the input checks, which are not in the graph
        torch.onnx.export(
            wrapper,
            (example["input_values"], example["chunk_mask"]),
            str(tmp),
            input_names=["input_values", "chunk_mask"],
            output_names=names,
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
    import onnx

    graph = onnx.load(str(tmp))
    graph.metadata_props.add(key=FINGERPRINT_KEY, value=model_fingerprint(model))
    onnx.save(graph, str(tmp))
    os.replace(tmp, out)  # never a half-written file under the requested name
    return out


FINGERPRINT_KEY = "ser_hf_model_fingerprint"


def model_fingerprint(model) -> str:
    """SHA-256 over the model's weights and buffers (names, shapes, values) and its calibration
    temperature: stored in an exported ONNX file, so `predict --onnx` can refuse one made from
    another model than the `--model` that provides its feature extractor and labels."""
    import hashlib

    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update(repr(float(getattr(model.config, "temperature", 1.0))).encode())
    return digest.hexdigest()


def onnx_fingerprint(path: str | os.PathLike) -> str | None:
    """The fingerprint an ONNX file was exported with (None for files from older versions)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False)
    return next((p.value for p in graph.metadata_props if p.key == FINGERPRINT_KEY), None)


class OnnxModel:
    """An ONNX Runtime session that answers like the PyTorch model: `model(**features).logits`,
    `.attentions`, `.config` and `.device`, so `predict_files`, timelines and the Space can use it."""

    def __init__(self, path: str | os.PathLike, config, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        # idle ONNX Runtime threads would otherwise spin and take the CPU from the torch feature
        # extraction that runs between two calls
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(os.fspath(path), options, providers=["CPUExecutionProvider"])
        self.config = config
        self.device = torch.device("cpu")

    def __call__(
        self, input_values: torch.Tensor, chunk_mask: torch.Tensor | None = None, **_
    ) -> SequenceClassifierOutput:
        if chunk_mask is None:
            chunk_mask = torch.ones(input_values.shape[:2], dtype=torch.long)
        outputs = self.session.run(
            None,
            {
                "input_values": input_values.cpu().numpy().astype(np.float32),
                "chunk_mask": chunk_mask.cpu().numpy().astype(np.int64),
            },
        )
        attentions = (torch.from_numpy(outputs[1]),) if len(outputs) > 1 else None
        return SequenceClassifierOutput(logits=torch.from_numpy(outputs[0]), attentions=attentions)

    def eval(self):
        return self


def max_difference(model, onnx_model: OnnxModel, extractor, clips: list[np.ndarray]) -> float:
    """Largest absolute logit difference between PyTorch and ONNX Runtime on `clips`, alone and batched."""
    worst = 0.0
    for batch in [[c] for c in clips] + [clips]:
        inputs = extractor(batch, sampling_rate=extractor.sampling_rate, return_tensors="pt")
        with torch.no_grad():
            reference = model(**inputs).logits.numpy()
        worst = max(worst, float(np.abs(onnx_model(**inputs).logits.numpy() - reference).max()))
    return worst


__all__ = ["OnnxModel", "export_onnx", "max_difference", "probe_clips"]
