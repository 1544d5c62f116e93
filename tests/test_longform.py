"""Recordings of any length: sliding windows from a file read block by block, a timeline and an
overall label, silent windows left out, and memory that does not grow with the recording."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from helpers import synthetic_speech

from ser_hf.audio import AudioError
from ser_hf.cli import main as cli
from ser_hf.inference import load_model, predict_files, predict_waveform
from ser_hf.longform import iter_windows, predict_timeline


@pytest.fixture(scope="module")
def model2(model_dirs):
    return load_model(model_dirs[2])


def _speech(seconds: float, seed: int = 0) -> np.ndarray:
    parts = [synthetic_speech(3.0, seed=seed + i) for i in range(int(np.ceil(seconds / 3.0)))]
    return np.concatenate(parts)[: int(seconds * 16000)]


def test_windows_cover_the_recording(tmp_path):
    audio = _speech(10.0)
    path = tmp_path / "a.wav"
    sf.write(path, audio, 16000)
    from_file = list(iter_windows(path, 16000, 3.0, 1.5))
    from_array = list(iter_windows(audio, 16000, 3.0, 1.5))
    assert [s for s, _ in from_file] == [s for s, _ in from_array] == [0.0, 1.5, 3.0, 4.5, 6.0, 7.5]
    assert from_file[-1][0] + len(from_file[-1][1]) / 16000 == pytest.approx(10.0)
    for (_, a), (_, b) in zip(from_file, from_array):
        np.testing.assert_allclose(a, b, atol=1e-4)  # the file is 16-bit


def test_windows_are_resampled_and_mixed_down(tmp_path):
    path = tmp_path / "stereo48k.flac"
    audio = _speech(4.0)
    at_48k = np.interp(np.arange(4 * 48000) / 3, np.arange(len(audio)), audio)
    sf.write(path, np.stack([at_48k, 0.5 * at_48k], 1), 48000)
    windows = list(iter_windows(path, 16000, 3.0, 1.5))
    assert [start for start, _ in windows] == [0.0, 1.5]
    assert [len(w) for _, w in windows] == [48000, 40000]
    np.testing.assert_allclose(windows[0][1][8000:40000], 0.75 * audio[8000:40000], atol=0.02)


def test_short_recording_is_one_window_and_matches_the_clip_path(model2, tmp_path):
    model, extractor = model2
    audio = synthetic_speech(2.0, seed=3)
    timeline = predict_timeline(model, extractor, audio)
    assert len(timeline.segments) == 1
    clip = predict_waveform(model, extractor, audio)
    assert timeline.scores == pytest.approx(clip, abs=1e-6)


def test_timeline_skips_silence_and_averages_the_rest(model2):
    model, extractor = model2
    audio = np.concatenate([_speech(6.0), np.zeros(6 * 16000, np.float32), _speech(6.0, seed=9)])
    timeline = predict_timeline(model, extractor, audio)
    silent = [s for s in timeline.segments if s.probs is None]
    assert silent and all(3.0 <= s.start and s.end <= 15.0 for s in silent)
    voiced = np.array([s.probs for s in timeline.segments if s.probs is not None])
    np.testing.assert_allclose(timeline.probs, voiced.mean(0), rtol=1e-6)
    assert timeline.label == max(timeline.scores, key=timeline.scores.get)
    assert timeline.as_dict()["segments"][0]["start"] == 0.0


def test_batching_does_not_change_windows(model2):
    model, extractor = model2
    audio = _speech(20.0)
    one = predict_timeline(model, extractor, audio, batch_size=1)
    many = predict_timeline(model, extractor, audio, batch_size=16)
    for a, b in zip(one.segments, many.segments):
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-5)


def test_all_silent_recording_is_an_error(model2, tmp_path):
    model, extractor = model2
    path = tmp_path / "quiet.wav"
    sf.write(path, np.zeros(20 * 16000, np.float32), 16000)
    with pytest.raises(AudioError, match=r"quiet.wav: no speech found: every window is silent"):
        predict_timeline(model, extractor, path)


def test_predict_files_gives_long_files_a_timeline(model_dirs, tmp_path, capsys):
    long_path, short_path = tmp_path / "long.wav", tmp_path / "short.wav"
    sf.write(long_path, _speech(25.0), 16000)
    sf.write(short_path, synthetic_speech(2.0), 16000)
    model, extractor = load_model(model_dirs[1])
    long_result, short_result = predict_files(model, extractor, [str(long_path), str(short_path)])
    assert long_result.timeline is not None and len(long_result.timeline.segments) == 16
    assert short_result.timeline is None
    assert cli(["predict", str(long_path), "--model", str(model_dirs[1]), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload[0]["label"] in payload[0]["scores"] and len(payload[0]["timeline"]) == 16


@pytest.mark.slow
def test_long_audio_is_never_held_in_memory_whole(model_dirs, tmp_path):
    """Decoded audio (numpy, traced by tracemalloc) stays at a few windows for 20 minutes of audio,
    while loading that file whole takes 77 MB. Peak process memory of a full hour is in scripts/bench.py."""
    import tracemalloc

    from ser_hf.audio import load_audio

    path = tmp_path / "20min.wav"
    rng = np.random.default_rng(0)
    block = _speech(30.0)
    with sf.SoundFile(path, "w", 16000, 1, subtype="PCM_16") as handle:
        for _ in range(40):
            handle.write(block * rng.uniform(0.3, 1.0))
    whole = 20 * 60 * 16000 * 4  # float32 bytes
    model, extractor = load_model(model_dirs[2])
    tracemalloc.start()
    try:
        timeline = predict_timeline(model, extractor, path)
        _, streamed_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        load_audio(path, max_seconds=float("inf"))
        _, loaded_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(timeline.segments) == 20 * 40 - 1  # a 3 s window every 1.5 s
    assert loaded_peak >= whole  # the measurement sees a whole-file load
    assert streamed_peak < whole / 10, (streamed_peak, loaded_peak)
