"""Writes the Space's example clips: a synthetic voice (espeak-ng, `apt install espeak-ng`) saying the
two RAVDESS sentences at different pitches and rates, so a visitor without a microphone can try the
page. They are not acted emotions and carry no label; RAVDESS audio is not redistributed.

    python scripts/make_examples.py        # writes spaces_app/examples/*.flac
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import soundfile as sf

from ser_hf.audio import load_audio, speech_check

OUT = Path(__file__).resolve().parent.parent / "spaces_app" / "examples"
EXAMPLES = {  # file name: (sentence, espeak-ng options: words per minute, pitch 0-99, amplitude)
    "synthetic-voice-plain.flac": ("Kids are talking by the door.", ["-s", "150", "-p", "50"]),
    "synthetic-voice-high-fast.flac": ("Dogs are sitting by the door!", ["-s", "210", "-p", "85", "-a", "180"]),
    "synthetic-voice-low-slow.flac": ("Kids are talking by the door.", ["-s", "95", "-p", "20", "-a", "70"]),
}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (text, options) in EXAMPLES.items():
            wav = Path(tmp) / "voice.wav"
            subprocess.run(["espeak-ng", "-v", "en-us", *options, "-w", str(wav), text], check=True)
            samples, rate = load_audio(wav, 16000)
            reason = speech_check(samples, rate)
            if reason is not None:
                print(f"error: {name}: {reason}", file=sys.stderr)
                return 1
            sf.write(OUT / name, samples, rate, subtype="PCM_16")
            print(f"wrote {OUT / name} ({len(samples) / rate:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
