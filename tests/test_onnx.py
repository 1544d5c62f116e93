"""ONNX export round trip: dynamic batch and chunk axes, ONNX Runtime within 1e-4 of PyTorch on real
clips, `predict --onnx`, and the export's refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from helpers import synthetic_speech

from ser_hf.audio import load_audio
from ser_hf.cli import main as cli
from ser_hf.inference import load_model
from ser_hf.onnx_export import OnnxModel, export_onnx, max_difference, probe_clips


@pytest.fixture(scope="module", params=[1, 2], ids=["model1", "model2"])
def exported(request, model_dirs, tmp_path_factory):
    model, extractor = load_model(model_dirs[request.param])
    path = export_onnx(model, extractor, tmp_path_factory.mktemp("onnx") / f"m{request.param}.onnx")
    return model, extractor, OnnxModel(path, model.config), path


def test_dynamic_batch_and_chunks_match_pytorch(exported):
    model, extractor, onnx_model, _ = exported
    clips = [synthetic_speech(s, seed=i) for i, s in enumerate((0.5, 1.3, 2.0, 4.5, 7.0))]
    assert max_difference(model, onnx_model, extractor, clips) < 1e-4
    inputs = extractor(clips, sampling_rate=16000, return_tensors="pt")
    assert inputs["chunk_mask"].shape[1] > 4 and not bool(inputs["chunk_mask"].all())
    outputs = onnx_model(**inputs)
    with torch.no_grad():
        reference = model(**inputs)
    assert outputs.logits.shape == (5, 8)
    if reference.attentions is not None:
        np.testing.assert_allclose(outputs.attentions[0].numpy(), reference.attentions[0].numpy(), atol=1e-5)
        assert float(outputs.attentions[0][0, 1:].abs().max()) == 0.0  # padded chunks get no weight


@pytest.mark.real_data
def test_bundled_models_on_real_clips(ravdess_files, tmp_path):
    clips = [load_audio(p)[0] for p in ravdess_files[::97][:12]]
    for name in ("ser-cnn-lstm-ravdess", "ser-cnn-bilstm-attention-ravdess"):
        model, extractor = load_model(f"models/{name}")
        path = export_onnx(model, extractor, tmp_path / f"{name}.onnx")
        assert max_difference(model, OnnxModel(path, model.config), extractor, clips) < 1e-4


def test_predict_with_onnx_gives_the_same_answers(exported, model_dirs, tmp_path, capsys):
    model, _, _, path = exported
    number = 2 if model.config.use_attention else 1
    import soundfile as sf

    files = []
    for i, seconds in enumerate((1.0, 3.0, 14.0)):  # the last one goes through the timeline
        files.append(str(tmp_path / f"clip{i}.wav"))
        sf.write(
            files[-1],
            np.concatenate([synthetic_speech(2.0, seed=i + j) for j in range(int(seconds // 2) + 1)])[
                : int(seconds * 16000)
            ],
            16000,
        )
    assert cli(["predict", *files, "--model", str(model_dirs[number]), "--json"]) == 0
    by_torch = json.loads(capsys.readouterr().out)
    assert cli(["predict", *files, "--model", str(model_dirs[number]), "--onnx", str(path), "--json"]) == 0
    by_onnx = json.loads(capsys.readouterr().out)
    for a, b in zip(by_torch, by_onnx):
        assert a["label"] == b["label"]
        assert a["scores"] == pytest.approx(b["scores"], abs=1e-5)
    assert "timeline" in by_onnx[2]


def test_export_cli_checks_and_refuses_to_overwrite(model_dirs, tmp_path, capsys):
    out = tmp_path / "model.onnx"
    assert cli(["export-onnx", "--model", str(model_dirs[1]), "--out", str(out)]) == 0
    assert "largest logit difference" in capsys.readouterr().out
    before = out.read_bytes()
    assert cli(["export-onnx", "--model", str(model_dirs[1]), "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before
    assert cli(["export-onnx", "--model", str(model_dirs[2]), "--out", str(out), "--overwrite"]) == 0


def test_predict_with_a_bad_onnx_file_is_a_clear_error(model_dirs, tmp_path, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_text("not onnx")
    clip = tmp_path / "a.wav"
    import soundfile as sf

    sf.write(clip, synthetic_speech(1.0), 16000)
    assert cli(["predict", str(clip), "--model", str(model_dirs[1]), "--onnx", str(bad)]) == 2
    assert "bad.onnx: not a loadable ONNX model" in capsys.readouterr().err
    assert cli(["predict", str(clip), "--model", str(model_dirs[1]), "--onnx", str(tmp_path / "missing.onnx")]) == 2
    assert "no such ONNX file" in capsys.readouterr().err


def test_probe_clips_cover_one_to_several_chunks():
    from ser_hf import SerFeatureExtractor

    extractor = SerFeatureExtractor()
    mask = extractor(probe_clips(16000), sampling_rate=16000, return_tensors="pt")["chunk_mask"]
    assert mask.sum(1).tolist()[0] == 1 and mask.sum(1).tolist()[-1] >= 3
