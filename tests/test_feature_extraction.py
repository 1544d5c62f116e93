"""The Mel-chunk feature extractor: shapes, masks, batching, trimming, normalisation, bad input."""

import numpy as np
import pytest
import torch
from helpers import synthetic_speech

from ser_hf import SerFeatureExtractor


@pytest.fixture(scope="module")
def extractor():
    return SerFeatureExtractor()


def test_paper_framing_and_no_empty_mel_filter(extractor):
    assert extractor.win_length == 400 and extractor.hop_length == 160  # 25 ms window, 10 ms step at 16 kHz
    assert extractor.mel_filters.shape == (extractor.n_fft // 2 + 1, 128)
    assert (extractor.mel_filters.max(axis=0) > 0).all()


def test_a_config_with_empty_mel_filters_is_refused():
    with pytest.raises(ValueError, match="empty"):
        SerFeatureExtractor(feature_size=256, n_fft=400)


def test_shapes_and_chunk_count(extractor):
    audio = synthetic_speech(3.0)
    out = extractor(audio, sampling_rate=16000, trim_silence=False, return_tensors="pt")
    frames = len(audio) // 160 + 1  # 301
    expected_chunks = 1 + -(-(frames - 128) // 64)  # ceil
    assert out["input_values"].shape == (1, expected_chunks, 128, 128)
    assert out["chunk_mask"].tolist() == [[1] * expected_chunks]
    assert out["input_values"].dtype == torch.float32


def test_a_clip_shorter_than_a_chunk_gives_one_padded_chunk(extractor):
    out = extractor(np.random.default_rng(0).standard_normal(4000).astype(np.float32), sampling_rate=16000)
    assert out["input_values"].shape == (1, 1, 128, 128)
    frames = 4000 // 160 + 1
    assert np.all(out["input_values"][0, 0, :, frames:] == extractor.padding_value)


def test_batched_features_equal_single_clip_features(extractor):
    clips = [synthetic_speech(s, seed=i) for i, s in enumerate((1.1, 3.7, 2.2))]
    batch = extractor(clips, sampling_rate=16000, return_tensors="pt")
    assert batch["input_values"].shape[0] == 3
    for i, clip in enumerate(clips):
        single = extractor(clip, sampling_rate=16000, return_tensors="pt")
        n = single["input_values"].shape[1]
        assert batch["chunk_mask"][i].sum() == n
        assert batch["chunk_mask"][i, n:].sum() == 0
        torch.testing.assert_close(batch["input_values"][i, :n], single["input_values"][0], atol=1e-4, rtol=1e-4)


def test_extract_batch_on_a_padded_tensor_is_the_call_path(extractor):
    """Training computes features with extract_batch on the training device: same numbers as __call__."""
    clips = [synthetic_speech(2.5, seed=1), synthetic_speech(1.5, seed=2)]
    padded = torch.zeros(2, len(clips[0]))
    for i, clip in enumerate(clips):
        padded[i, : len(clip)] = torch.from_numpy(clip)
    direct = extractor.extract_batch(padded, torch.tensor([len(c) for c in clips]))
    called = extractor(clips, sampling_rate=16000, return_tensors="pt")
    torch.testing.assert_close(direct["input_values"], called["input_values"])
    assert torch.equal(direct["chunk_mask"], called["chunk_mask"])


def test_numpy_and_torch_outputs_agree(extractor):
    audio = synthetic_speech(2.0)
    as_np = extractor(audio, sampling_rate=16000, return_tensors="np")
    as_pt = extractor(torch.from_numpy(audio), sampling_rate=16000, return_tensors="pt")
    assert isinstance(as_np["input_values"], np.ndarray)
    np.testing.assert_allclose(as_np["input_values"], as_pt["input_values"].numpy())


def test_trimming_cuts_silence_but_never_empties_a_clip(extractor):
    audio = synthetic_speech(3.0)
    untrimmed = extractor(audio, sampling_rate=16000, trim_silence=False, return_tensors="pt")
    trimmed_batch = torch.from_numpy(audio)[None]
    _, lengths = extractor.trim_batch(trimmed_batch, torch.tensor([len(audio)]))
    assert 2.3 * 16000 <= lengths.item() <= 2.5 * 16000  # the 0.3 s silences at both ends are gone
    assert extractor(audio, sampling_rate=16000)["input_values"].shape[1] <= untrimmed["input_values"].shape[1]
    # a single click in silence: the loudest frame always stays
    click = np.zeros(16000, dtype=np.float32)
    click[8000] = 1.0
    _, lengths = extractor.trim_batch(torch.from_numpy(click)[None], torch.tensor([16000]))
    assert lengths.item() >= extractor.win_length
    assert extractor(click, sampling_rate=16000)["chunk_mask"].sum() == 1


def test_utterance_normalisation_is_zero_mean_unit_variance(extractor):
    audio = synthetic_speech(1.2)  # one chunk, frames beyond the clip are padding
    out = extractor(audio, sampling_rate=16000, trim_silence=False, return_tensors="pt")["input_values"][0, 0]
    frames = len(audio) // 160 + 1
    real = out[:, :frames]
    assert abs(real.mean().item()) < 1e-4
    assert abs(real.std(unbiased=False).item() - 1) < 1e-3


def test_gain_does_not_change_utterance_normalised_features(extractor):
    audio = synthetic_speech(2.0)
    loud = extractor(audio, sampling_rate=16000, return_tensors="pt")["input_values"]
    quiet = extractor(audio * 0.05, sampling_rate=16000, return_tensors="pt")["input_values"]
    torch.testing.assert_close(loud, quiet, atol=2e-3, rtol=1e-3)


def test_global_normalisation_uses_the_stored_statistics():
    mean, std = [float(i) for i in range(128)], [2.0] * 128
    raw = SerFeatureExtractor(normalization="none")(synthetic_speech(), sampling_rate=16000, return_tensors="pt")
    glob = SerFeatureExtractor(normalization="global", mean=mean, std=std)(
        synthetic_speech(), sampling_rate=16000, return_tensors="pt"
    )
    expected = (raw["input_values"] - torch.tensor(mean)[:, None]) / 2.0
    frames = raw["input_values"].shape[1]
    torch.testing.assert_close(glob["input_values"][:, : frames - 1], expected[:, : frames - 1])
    with pytest.raises(ValueError, match="needs `mean` and `std`"):
        SerFeatureExtractor(normalization="global")


def test_save_and_load_round_trip(tmp_path):
    extractor = SerFeatureExtractor(chunk_stride=32, trim_top_db=30.0)
    extractor.save_pretrained(tmp_path)
    config = (tmp_path / "preprocessor_config.json").read_text()
    assert "mel_filters" not in config and '"auto_map"' in config
    assert (tmp_path / "feature_extraction_ser.py").exists()
    loaded = SerFeatureExtractor.from_pretrained(tmp_path)
    assert loaded.chunk_stride == 32 and loaded.trim_top_db == 30.0
    audio = synthetic_speech()
    torch.testing.assert_close(
        loaded(audio, sampling_rate=16000, return_tensors="pt")["input_values"],
        extractor(audio, sampling_rate=16000, return_tensors="pt")["input_values"],
    )


def test_integer_pcm_is_scaled_like_float(extractor):
    audio = synthetic_speech()
    pcm = (audio * 32767).astype(np.int16)
    a = extractor(audio, sampling_rate=16000, return_tensors="pt")["input_values"]
    b = extractor(pcm, sampling_rate=16000, return_tensors="pt")["input_values"]
    assert (a - b).abs().mean() < 1e-3  # only 16-bit quantisation noise in the quietest bins differs
    assert (a - b).abs().max() < 0.1


@pytest.mark.parametrize(
    "audio, message",
    [
        (np.zeros(0, dtype=np.float32), "empty"),
        (np.ones(100, dtype=np.float32), "too short"),
        (np.zeros(16000, dtype=np.float32), "silent"),
        (np.array([0.1, np.nan] * 8000, dtype=np.float32), "NaN or Inf"),
        (np.array([0.1, np.inf] * 8000, dtype=np.float32), "NaN or Inf"),
        (np.zeros((2, 16000), dtype=np.float32), "ambiguous"),
        (np.array(["a"] * 1000), "numbers"),
    ],
    ids=["empty", "shorter-than-a-window", "all-zero", "nan", "inf", "2-d", "strings"],
)
def test_bad_audio_gets_a_clear_error(extractor, audio, message):
    with pytest.raises((ValueError, TypeError), match=message):
        extractor(audio, sampling_rate=16000)


def test_the_bad_clip_of_a_batch_is_named(extractor):
    with pytest.raises(ValueError, match="(?i)clip 1 of 3"):
        extractor([synthetic_speech(), np.zeros(16000, np.float32), synthetic_speech()], sampling_rate=16000)


def test_a_wrong_sampling_rate_is_refused(extractor):
    with pytest.raises(ValueError, match="16000 Hz.*44100 Hz"):
        extractor(synthetic_speech(), sampling_rate=44100)


def test_real_ravdess_clips(extractor, ravdess_files):
    import soundfile as sf

    from ser_hf.audio import load_audio

    clips = [load_audio(path)[0] for path in ravdess_files[:: len(ravdess_files) // 12][:12]]
    out = extractor(clips, sampling_rate=16000, return_tensors="pt")
    assert out["input_values"].shape[0] == len(clips)
    assert torch.isfinite(out["input_values"]).all()
    assert (out["chunk_mask"].sum(1) >= 1).all()
    assert sf.info(str(ravdess_files[0])).samplerate == 16000


def test_band_normalisation_removes_a_fixed_spectral_envelope():
    torch.manual_seed(0)
    log_mel = torch.randn(2, 64, 300) * 5
    log_mel[:, :32] *= 3  # the low bands vary 3x more: one variance over the clip keeps that ratio
    frames = torch.tensor([300, 200])
    log_mel[1, :, 200:] = 1e3  # beyond the second clip's frames: padding, which must not count
    envelope = torch.linspace(-20.0, 20.0, 64)[None, :, None]  # a microphone's or a speaker's tilt
    band = SerFeatureExtractor(feature_size=64, normalization="band")
    out, tilted = band._normalize(log_mel, frames), band._normalize(log_mel + envelope, frames)
    torch.testing.assert_close(out[0], tilted[0])
    torch.testing.assert_close(out[1, :, :200], tilted[1, :, :200])
    real = out[1, :, :200]
    assert real.mean(dim=1).abs().max() < 1e-4  # every band's mean over the clip's frames is zero
    assert abs(real.std(unbiased=False).item() - 1) < 1e-3
    ratio = real[:32].std(unbiased=False) / real[32:].std(unbiased=False)
    assert 2.7 < ratio.item() < 3.3  # not a variance per band
    utterance = SerFeatureExtractor(feature_size=64)  # keeps the envelope: the two differ
    assert not torch.allclose(
        utterance._normalize(log_mel, frames)[0], utterance._normalize(log_mel + envelope, frames)[0]
    )
    with pytest.raises(ValueError, match="'band'"):
        SerFeatureExtractor(normalization="bands")
