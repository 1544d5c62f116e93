"""What every corpus loader shares: the dataset schema, decoding, and the cached clean waveforms."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np


class CorpusError(ValueError):
    """A corpus source that cannot be used; the message names it and says what to pass instead."""


def dataset_features(label_names: list[str]):
    import datasets

    return datasets.Features(
        {
            # the Arrow layout of `datasets.Audio(decode=False)`, without needing torchcodec to build it
            "audio": {"path": datasets.Value("string"), "bytes": datasets.Value("binary")},
            "id": datasets.Value("string"),
            "label": datasets.ClassLabel(names=list(label_names)),
            "actor": datasets.Value("int32"),
            "gender": datasets.Value("string"),
            "intensity": datasets.Value("string"),
            "statement": datasets.Value("int32"),
            "repetition": datasets.Value("int32"),
            "corpus": datasets.Value("string"),
        }
    )


def build_dataset(records: list[dict], label_names: list[str]):
    """A `datasets.Dataset` from rows with `path` and metadata; audio is referenced by path (decoded
    later with soundfile, so no FFmpeg or torchcodec is needed)."""
    import datasets

    defaults = {"actor": -1, "gender": "unknown", "intensity": "unknown", "statement": -1, "repetition": -1}
    rows = {name: [] for name in dataset_features(label_names)}
    for record in records:
        record = {**defaults, **record}
        rows["audio"].append({"path": record["path"], "bytes": None})
        for name, column in rows.items():
            if name != "audio":
                column.append(record[name])
    return datasets.Dataset.from_dict(rows, features=dataset_features(label_names))


def _source_key(dataset, extra: dict) -> str:
    """A cache key from the audio files (path, size, mtime) and the processing settings."""
    digest = hashlib.sha256(json.dumps(extra, sort_keys=True).encode())
    for audio in dataset["audio"]:
        path = audio.get("path")
        if path and os.path.exists(path):
            stat = os.stat(path)
            digest.update(f"{path}:{stat.st_size}:{int(stat.st_mtime)}".encode())
        elif audio.get("bytes"):
            digest.update(hashlib.sha256(audio["bytes"]).digest())
    return digest.hexdigest()[:20]


def decode_waveforms(
    dataset,
    extractor,
    cache_dir: str | os.PathLike | None = None,
    num_proc: int | None = None,
    skip_errors: bool = False,
):
    """Adds `waveform` (mono float32 at the extractor's rate, silence trimmed as the extractor trims it)
    and `num_samples`, cached on disk by `datasets` so later runs skip decoding.

    Trimming happens here, on the clean audio, once: noise added later for augmentation then cannot
    change where a clip starts and ends. A file that cannot be used (unreadable, too short, without
    speech) raises `CorpusError`, or with `skip_errors` gets an empty waveform and its reason in an
    `error` column (for scoring a corpus: the other files still count).
    """
    import io

    import soundfile as sf
    import torch

    from ..audio import AudioError, load_audio, resample, speech_check, to_mono

    def decode(example):
        audio = example["audio"]
        where = audio.get("path") or example["id"]
        try:
            if audio.get("bytes"):
                samples, rate = sf.read(io.BytesIO(audio["bytes"]), dtype="float32", always_2d=True)
                samples = resample(to_mono(samples), rate, extractor.sampling_rate)
            else:
                samples, _ = load_audio(audio["path"], extractor.sampling_rate)
            if samples.size < extractor.min_samples:
                raise AudioError(f"too short to use ({samples.size} samples)")
            reason = speech_check(samples, extractor.sampling_rate)
            if reason is not None:
                raise AudioError(reason)
        except (AudioError, sf.LibsndfileError, RuntimeError) as error:
            message = str(error) if str(error).startswith(str(where)) else f"{where}: {error}"
            if not skip_errors:
                raise CorpusError(message) from None
            return {"waveform": np.zeros(0, np.float32), "num_samples": 0, "error": message}
        if extractor.trim_silence:
            waveform = torch.from_numpy(samples)[None]
            trimmed, lengths = extractor.trim_batch(waveform, torch.tensor([samples.size]))
            samples = trimmed[0, : int(lengths[0])].numpy()
        return {"waveform": samples, "num_samples": samples.size, **({"error": None} if skip_errors else {})}

    settings = {
        "rate": extractor.sampling_rate,
        "trim": extractor.trim_silence,
        "top_db": extractor.trim_top_db,
        "win": extractor.win_length,
        "hop": extractor.hop_length,
        "version": 2,
        "skip_errors": skip_errors,
    }
    kwargs = {}
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        kwargs["cache_file_name"] = str(Path(cache_dir) / f"waveforms-{_source_key(dataset, settings)}.arrow")
    import datasets

    features = dataset.features.copy()
    features["waveform"] = datasets.Sequence(datasets.Value("float32"))
    features["num_samples"] = datasets.Value("int64")
    if skip_errors:
        features["error"] = datasets.Value("string")
    return dataset.map(decode, features=features, num_proc=num_proc, desc="decoding audio", **kwargs)
