"""Auto classes, the audio-classification pipeline, and loading by repo id from an offline Hub cache
with remote code in a process that cannot import ser_hf."""

import json

import numpy as np
import pytest
import torch
from helpers import require_binary, synthetic_speech
from transformers import (
    AutoConfig,
    AutoFeatureExtractor,
    AutoModel,
    AutoModelForAudioClassification,
    pipeline,
)

import ser_hf
from ser_hf.audio import resample
from ser_hf.hub import check_remote_loading


@pytest.mark.parametrize("number", [1, 2])
def test_auto_classes_load_a_saved_folder(model_dirs, number):
    folder = model_dirs[number]
    head = ser_hf.MODEL_CLASSES[number]
    auto_map = json.loads((folder / "config.json").read_text())["auto_map"]
    assert set(auto_map) == {"AutoConfig", "AutoModel", "AutoModelForAudioClassification"}
    assert isinstance(AutoConfig.from_pretrained(folder), head.config_class)
    assert isinstance(AutoModelForAudioClassification.from_pretrained(folder), head)
    base = AutoModel.from_pretrained(folder)
    assert isinstance(base, ser_hf.SerModel) and not isinstance(base, ser_hf.SerForAudioClassification)
    assert isinstance(AutoFeatureExtractor.from_pretrained(folder), ser_hf.SerFeatureExtractor)
    # AutoModel reads the encoder weights out of the classification checkpoint
    full = head.from_pretrained(folder)
    for name, tensor in base.state_dict().items():
        assert torch.equal(tensor, full.ser.state_dict()[name]), name


def test_pipeline_arrays_any_rate_and_dicts(model_dirs):
    classifier = pipeline("audio-classification", model=str(model_dirs[2]))
    audio = synthetic_speech(2.5)
    direct = {d["label"]: d["score"] for d in classifier(audio, top_k=None)}
    assert set(direct) == set(ser_hf.EMOTIONS)
    assert abs(sum(direct.values()) - 1) < 1e-5
    as_dict = {d["label"]: d["score"] for d in classifier({"raw": audio, "sampling_rate": 16000}, top_k=None)}
    assert as_dict == pytest.approx(direct)
    # 44.1 kHz in a dict: the pipeline resamples to 16 kHz with torchaudio; ser_hf.audio uses soxr, which
    # gives the same probabilities within 1e-3
    import torch
    import torchaudio.functional as AF

    audio_44k = resample(audio, 16000, 44100)
    resampled = {d["label"]: d["score"] for d in classifier({"array": audio_44k, "sampling_rate": 44100}, top_k=None)}
    by_torchaudio = AF.resample(torch.from_numpy(audio_44k), 44100, 16000).numpy()
    back = {d["label"]: d["score"] for d in classifier(by_torchaudio, top_k=None)}
    assert resampled == pytest.approx(back, abs=1e-6)
    by_soxr = {d["label"]: d["score"] for d in classifier(resample(audio_44k, 44100, 16000), top_k=None)}
    assert by_soxr == pytest.approx(back, abs=1e-3)
    assert max(resampled, key=resampled.get) == max(direct, key=direct.get)
    batch = classifier([audio, synthetic_speech(1.0, seed=3)], top_k=3)
    assert len(batch) == 2 and all(len(r) == 3 for r in batch)


@pytest.mark.needs_ffmpeg
def test_pipeline_reads_file_paths(model_dirs, tmp_path):
    """transformers' pipeline decodes file paths with the ffmpeg binary (installed by .ci/run)."""
    require_binary("ffmpeg")
    import soundfile as sf

    audio = synthetic_speech(2.0)
    stereo_48k = np.stack([resample(audio, 16000, 48000)] * 2, axis=1)
    path = tmp_path / "clip.wav"
    sf.write(path, stereo_48k, 48000)
    classifier = pipeline("audio-classification", model=str(model_dirs[1]))
    from_file = {d["label"]: d["score"] for d in classifier(str(path), top_k=None)}
    from_array = {d["label"]: d["score"] for d in classifier(audio, top_k=None)}
    assert set(from_file) == set(ser_hf.EMOTIONS)
    assert max(from_file, key=from_file.get) == max(from_array, key=from_array.get)
    assert from_file == pytest.approx(from_array, abs=0.02)


@pytest.mark.parametrize("number", [1, 2])
def test_remote_code_from_an_offline_hub_cache_matches_in_process(model_dirs, number):
    folder = model_dirs[number]
    clips = [synthetic_speech(2.0, seed=1), synthetic_speech(3.3, seed=2)]
    remote = check_remote_loading(folder, clips, repo_id="someuser/ser-model")
    assert remote["module"].startswith("transformers_modules"), remote["module"]
    head = ser_hf.MODEL_CLASSES[number]
    assert remote["classes"] == {
        "config": head.config_class.__name__,
        "model": head.__name__,
        "base": head.__name__.replace("ForAudioClassification", "Model"),
        "feature_extractor": "SerFeatureExtractor",
    }
    model = AutoModelForAudioClassification.from_pretrained(folder).eval()
    extractor = AutoFeatureExtractor.from_pretrained(folder)
    classifier = pipeline("audio-classification", model=str(folder))
    for clip, remote_logits, remote_scores in zip(clips, remote["logits"], remote["pipeline"]):
        with torch.no_grad():
            logits = model(**extractor(clip, sampling_rate=16000, return_tensors="pt")).logits[0]
        np.testing.assert_allclose(remote_logits, logits.numpy(), atol=1e-5)
        local_scores = {d["label"]: d["score"] for d in classifier(clip, top_k=None)}
        assert remote_scores == pytest.approx(local_scores, abs=1e-6)


def test_hub_facing_files_import_only_torch_numpy_transformers():
    import ast
    from pathlib import Path

    folder = Path(ser_hf.__file__).parent
    for name in ("configuration_ser.py", "modeling_ser.py", "feature_extraction_ser.py"):
        tree = ast.parse((folder / name).read_text())
        for node in tree.body:
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {"." if node.level else node.module.split(".")[0]}
            else:
                continue
            assert roots <= {"torch", "numpy", "transformers", "."}, f"{name} imports {roots}"
