"""`ser-hf predict`: formats, rates, channels, JSON, and bad files that do not stop the good ones."""

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from helpers import synthetic_speech

import ser_hf
from ser_hf.audio import AudioError, load_audio, resample
from ser_hf.cli import main


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory):
    """The same utterance as 16 kHz mono WAV, 44.1 kHz stereo FLAC, 48 kHz OGG and 22.05 kHz MP3."""
    folder = tmp_path_factory.mktemp("audio")
    speech = synthetic_speech(2.5)
    files = {}
    for name, rate, channels, fmt in [
        ("mono16k.wav", 16000, 1, "WAV"),
        ("stereo44k.flac", 44100, 2, "FLAC"),
        ("mono48k.ogg", 48000, 1, "OGG"),
        ("stereo22k.mp3", 22050, 2, "MP3"),
    ]:
        samples = resample(speech, 16000, rate)
        if channels == 2:
            samples = np.stack([samples, samples], axis=1)
        sf.write(folder / name, samples, rate, format=fmt)
        files[name] = folder / name
    return files


def test_load_audio_makes_mono_16k(audio_files):
    for path in audio_files.values():
        samples, rate = load_audio(path)
        assert rate == 16000 and samples.ndim == 1 and samples.dtype == np.float32
        assert abs(len(samples) - 2.5 * 16000) < 0.05 * 16000  # mp3 adds encoder delay


def test_predict_every_format_prints_top_emotion_and_all_probabilities(model_dirs, audio_files, capsys):
    paths = [str(p) for p in audio_files.values()]
    assert main(["predict", *paths, "--model", str(model_dirs[1])]) == 0
    out = capsys.readouterr().out
    for path in paths:
        assert f"{path}: " in out
    for emotion in ser_hf.EMOTIONS:
        assert out.count(f"{emotion} ") >= len(paths)


def test_predict_json_agrees_across_formats(model_dirs, audio_files, capsys):
    assert main(["predict", *map(str, audio_files.values()), "--model", str(model_dirs[2]), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 4
    for result in results:
        assert set(result["scores"]) == set(ser_hf.EMOTIONS)
        assert result["label"] == max(result["scores"], key=result["scores"].get)
        assert sum(result["scores"].values()) == pytest.approx(1, abs=1e-5)
    reference = results[0]["scores"]  # the lossless 16 kHz WAV
    for result in results[1:3]:  # lossless and high-rate copies of it agree closely
        assert result["scores"] == pytest.approx(reference, abs=0.02)


def test_missing_and_corrupt_files_are_named_and_the_others_still_predicted(model_dirs, audio_files, tmp_path, capsys):
    corrupt = tmp_path / "broken.wav"
    corrupt.write_text("this is not audio")
    truncated = tmp_path / "truncated.flac"
    truncated.write_bytes(audio_files["stereo44k.flac"].read_bytes()[:60])
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(16000, dtype=np.float32), 16000)
    good = str(audio_files["mono16k.wav"])
    missing = str(tmp_path / "missing.wav")
    code = main(
        ["predict", missing, good, str(corrupt), str(truncated), str(silent), "--model", str(model_dirs[1]), "--json"]
    )
    captured = capsys.readouterr()
    assert code == 1
    results = {r["file"]: r for r in json.loads(captured.out)}
    assert "label" in results[good]
    assert "no such file" in results[missing]["error"]
    assert "not a readable audio file" in results[str(corrupt)]["error"]
    assert "error" in results[str(truncated)]
    assert "silent" in results[str(silent)]["error"]
    for path in (missing, str(corrupt), str(truncated), str(silent)):
        assert path in results[path]["error"]
        assert path in captured.err


def test_a_wrong_model_path_or_repo_id_offline_exits_non_zero_with_a_message(tmp_path, audio_files):
    import os

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "empty-cache")}
    for model, message in [(str(tmp_path / "nope"), "no such folder"), ("nobody/no-such-model", "could not load")]:
        result = subprocess.run(
            [sys.executable, "-m", "ser_hf.cli", "predict", str(audio_files["mono16k.wav"]), "--model", model],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert result.returncode == 2
        assert message in result.stderr and model in result.stderr
        assert "Traceback" not in result.stderr


def test_load_audio_errors_name_the_file(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        load_audio(tmp_path / "x.wav")
    with pytest.raises(AudioError, match="is a folder"):
        load_audio(tmp_path)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match=f"{empty}.*no audio samples"):
        load_audio(empty)


def test_console_script_runs(model_dirs, audio_files):
    result = subprocess.run(
        [sys.executable, "-m", "ser_hf.cli", "predict", str(audio_files["mono48k.ogg"]), "--model", str(model_dirs[2])],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "mono48k.ogg: " in result.stdout


def test_predict_real_ravdess_files(model_dirs, ravdess_files, capsys):
    stereo = [p for p in ravdess_files if p.name == "03-01-08-01-02-02-01.flac"]  # one of the 5 stereo files
    paths = [str(p) for p in ravdess_files[:3] + stereo]
    assert main(["predict", *paths, "--model", str(model_dirs[2]), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in results] == paths
