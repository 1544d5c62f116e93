"""Helpers the tests share (imported as `from helpers import ...`; fixtures live in conftest.py)."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest


def require_binary(name: str) -> str:
    """Path of a system binary a test needs: skipped locally when absent, a failure in CI."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") or os.environ.get("SER_HF_REQUIRE_SYSTEM_DEPS"):
            pytest.fail(f"{name} is required in CI (.ci/run installs it) but was not found")
        pytest.skip(f"needs the system binary {name!r} (apt-get install {name})")
    return path


def synthetic_speech(seconds: float = 2.0, sampling_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """A voiced-sounding test signal: harmonics of a gliding pitch, syllable-rate amplitude modulation,
    a little noise, and 0.3 s of near-silence at both ends (so trimming has something to cut; a sixth of
    the clip each for clips shorter than 1.8 s)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sampling_rate)) / sampling_rate
    f0 = 140 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sampling_rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    margin = min(0.3, seconds / 6)
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 4 * t)) * ((t > margin) & (t < seconds - margin))
    signal = 0.3 * voiced * envelope + 1e-4 * rng.standard_normal(t.size)
    return signal.astype(np.float32)


def write_audio(path, seconds=0.6, rate=16000, seed=0, channels=1):
    path.parent.mkdir(parents=True, exist_ok=True)
    audio = synthetic_speech(seconds, rate, seed)
    import soundfile as sf

    sf.write(path, np.stack([audio] * channels, 1) if channels > 1 else audio, rate)
