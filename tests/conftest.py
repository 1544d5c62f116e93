"""Shared fixtures: saved models with seeded random weights, synthetic speech, the real RAVDESS folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Tests never touch the user's Hugging Face cache (decoded-waveform caches, dynamic modules).
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="ser-hf-tests-hf-home-")

import datasets
import pytest
import torch
from helpers import write_audio

import ser_hf

datasets.disable_progress_bars()

RAVDESS_ENV = "SER_HF_RAVDESS_DIR"


@pytest.fixture(scope="session")
def ravdess_dir() -> Path:
    """The RAVDESS speech folder (Actor_XX/*.flac or *.wav) from $SER_HF_RAVDESS_DIR; skips when unset."""
    value = os.environ.get(RAVDESS_ENV)
    if not value:
        pytest.skip(f"{RAVDESS_ENV} is not set: real-data test skipped")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"{RAVDESS_ENV}={value} is not a folder")
    return path


@pytest.fixture(scope="session")
def ravdess_decoded(ravdess_dir, tmp_path_factory):
    """The real RAVDESS with decoded, trimmed waveforms (decoded once per test session)."""
    from ser_hf.data.common import decode_waveforms
    from ser_hf.data.ravdess import load_ravdess

    return decode_waveforms(
        load_ravdess(ravdess_dir), ser_hf.SerFeatureExtractor(), cache_dir=tmp_path_factory.mktemp("waveforms")
    )


@pytest.fixture(scope="session")
def ravdess_files(ravdess_dir) -> list[Path]:
    files = sorted(list(ravdess_dir.glob("Actor_*/*.flac")) + list(ravdess_dir.glob("Actor_*/*.wav")))
    assert len(files) > 0, f"no RAVDESS files under {ravdess_dir}"
    return files


@pytest.fixture(scope="session")
def model_dirs(tmp_path_factory) -> dict[int, Path]:
    """Model 1 and Model 2 with seeded random weights, saved with their feature extractor."""
    root = tmp_path_factory.mktemp("models")
    dirs = {}
    for number, cls in ser_hf.MODEL_CLASSES.items():
        torch.manual_seed(number)
        model = cls(cls.config_class()).eval()
        folder = root / f"model{number}"
        model.save_pretrained(folder)
        ser_hf.SerFeatureExtractor().save_pretrained(folder)
        dirs[number] = folder
    return dirs


@pytest.fixture(scope="session")
def fake_ravdess(tmp_path_factory):
    """RAVDESS-named synthetic clips: actors 1-4, every emotion, both statements and repetitions; one
    actor at 48 kHz, some stereo, plus files that are not RAVDESS recordings."""
    root = tmp_path_factory.mktemp("ravdess")
    seed = 0
    for actor in range(1, 5):
        for emotion in range(1, 9):
            for statement in (1, 2):
                for repetition in (1, 2):
                    seed += 1
                    name = f"03-01-{emotion:02d}-01-{statement:02d}-{repetition:02d}-{actor:02d}.wav"
                    write_audio(
                        root / f"Actor_{actor:02d}" / name,
                        seed=seed,
                        rate=48000 if actor == 1 else 16000,
                        channels=2 if seed % 7 == 0 else 1,
                    )
    (root / "README.txt").write_text("not audio")
    write_audio(root / "Actor_01" / "notes.wav")  # an audio file without a RAVDESS name is skipped
    return root
