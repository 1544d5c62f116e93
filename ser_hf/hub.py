"""Proving that a model folder loads the way the Hub serves it, without the network and without ser_hf.

`snapshot_into_cache` lays a folder out as a Hugging Face cache snapshot of a repo id;
`check_remote_loading` then loads it by repo id in a fresh Python process that cannot import
`ser_hf` (only torch, numpy, transformers and the folder's own code, with `trust_remote_code=True`
and `HF_HUB_OFFLINE=1`) and returns what that process predicted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_REMOTE_SCRIPT = r"""
import json, sys
sys.modules["ser_hf"] = None  # the package must not be importable: only the repo's own code may run
import numpy as np
from transformers import (AutoConfig, AutoFeatureExtractor, AutoModel, AutoModelForAudioClassification,
                          pipeline)

repo_id, audio_path = sys.argv[1], sys.argv[2]
config = AutoConfig.from_pretrained(repo_id, trust_remote_code=True)
base = AutoModel.from_pretrained(repo_id, trust_remote_code=True).eval()
model = AutoModelForAudioClassification.from_pretrained(repo_id, trust_remote_code=True).eval()
extractor = AutoFeatureExtractor.from_pretrained(repo_id, trust_remote_code=True)
classifier = pipeline("audio-classification", model=repo_id, trust_remote_code=True)
clips = list(np.load(audio_path, allow_pickle=False).values())
result = {"module": type(model).__module__,
          "classes": {"config": type(config).__name__, "model": type(model).__name__, "base": type(base).__name__,
                      "feature_extractor": type(extractor).__name__},
          "logits": [], "pipeline": []}
import torch
with torch.no_grad():
    for clip in clips:
        inputs = extractor(clip, sampling_rate=extractor.sampling_rate, return_tensors="pt")
        result["logits"].append(model(**inputs).logits[0].tolist())
        base(**inputs)
        result["pipeline"].append({d["label"]: d["score"] for d in classifier(clip, top_k=None)})
print("RESULT " + json.dumps(result))
"""


def snapshot_into_cache(folder: str | os.PathLike, repo_id: str, cache_dir: str | os.PathLike) -> Path:
    """Copies `folder` into `cache_dir` as the `main` snapshot of model repo `repo_id`; returns the snapshot."""
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and ".cache" not in p.parts)
    digest = hashlib.sha1()
    for path in files:
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    commit = digest.hexdigest()
    repo_root = Path(cache_dir) / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo_root / "snapshots" / commit
    for path in files:
        target = snapshot / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    (repo_root / "refs").mkdir(parents=True, exist_ok=True)
    (repo_root / "refs" / "main").write_text(commit)
    return snapshot


def check_remote_loading(
    folder: str | os.PathLike, clips: list[np.ndarray], repo_id: str = "someuser/ser-model", timeout: float = 300
) -> dict:
    """Loads `folder` by `repo_id` from a hand-built offline cache in a fresh process without ser_hf.

    Returns the classes it got, its logits for each clip (at the extractor's rate) and the pipeline's
    scores. Raises RuntimeError with the subprocess's output when loading or predicting fails.
    """
    with tempfile.TemporaryDirectory(prefix="ser-hf-remote-") as tmp:
        cache = Path(tmp) / "hub"
        snapshot_into_cache(folder, repo_id, cache)
        audio = Path(tmp) / "clips.npz"
        np.savez(audio, *[np.asarray(c, dtype=np.float32) for c in clips])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PYTHONPATH"))}
        env.update(
            HF_HUB_OFFLINE="1",
            HF_HUB_CACHE=str(cache),
            HF_HOME=str(Path(tmp) / "home"),
            HF_MODULES_CACHE=str(Path(tmp) / "modules"),
            TRANSFORMERS_VERBOSITY="error",
        )
        process = subprocess.run(
            [sys.executable, "-c", _REMOTE_SCRIPT, repo_id, str(audio)],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,  # its return code and output are read below
        )
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(
            f"loading {folder} as {repo_id} with remote code failed (exit {process.returncode}):\n"
            f"{process.stdout[-3000:]}\n{process.stderr[-3000:]}"
        )
    return json.loads(lines[-1][len("RESULT ") :])


REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "preprocessor_config.json",
    "configuration_ser.py",
    "modeling_ser.py",
    "feature_extraction_ser.py",
    "README.md",
)
OPTIONAL_FILES = ("confusion_matrix.png", "training_curves.png", "metrics.json", "training_args.json")


class PushError(RuntimeError):
    """The folder is not ready to publish, or the upload cannot start; the message says why."""


def files_to_push(model_dir: str | os.PathLike) -> list[str]:
    """The files of a model folder that go to the Hub (checkpoints and logs stay local)."""
    folder = Path(model_dir)
    if not folder.is_dir():
        raise PushError(f"{folder}: no such model folder")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise PushError(f"{folder} is not a complete model folder: missing {', '.join(missing)}")
    return [*REQUIRED_FILES, *(name for name in OPTIONAL_FILES if (folder / name).is_file())]


def push_model(
    model_dir: str | os.PathLike,
    repo_id: str,
    private: bool = False,
    revision: str | None = None,
    dry_run: bool = False,
    token: str | None = None,
) -> dict:
    """Uploads a trained model folder to `repo_id`, or with `dry_run` lists what would go up and proves,
    offline and without a token, that the folder loads as the Hub would serve it (remote code, a fresh
    process without ser_hf)."""
    files = files_to_push(model_dir)
    if dry_run:
        from .feature_extraction_ser import SerFeatureExtractor

        rate = SerFeatureExtractor.from_pretrained(model_dir).sampling_rate
        t = np.arange(int(1.5 * rate)) / rate
        probe = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
        with tempfile.TemporaryDirectory(prefix="ser-hf-push-") as staging:
            for name in files:
                shutil.copy2(Path(model_dir) / name, Path(staging) / name)
            loaded = check_remote_loading(staging, [probe], repo_id=repo_id)
        return {"repo_id": repo_id, "files": files, "uploaded": False, "remote_check": loaded["classes"]}
    from huggingface_hub import HfApi, get_token

    token = token or get_token()
    if not token:
        raise PushError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (or use --dry_run)")
    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True)
    if revision:
        api.create_branch(repo_id, branch=revision, exist_ok=True)
    commit = api.upload_folder(
        folder_path=str(model_dir),
        repo_id=repo_id,
        revision=revision,
        allow_patterns=files,
        commit_message="Upload ser-hf model",
    )
    return {"repo_id": repo_id, "files": files, "uploaded": True, "commit": str(commit)}


def prepare_dataset_for_hub(data: str | os.PathLike | None):
    """RAVDESS as the Hub should hold it: each row's audio file embedded (`datasets.Audio(decode=False)`,
    so the viewer plays it), plus its dataset card rendered from `model_cards/ravdess_dataset_card.md`."""
    import datasets
    from huggingface_hub import DatasetCard, DatasetCardData

    from .data.ravdess import load_ravdess
    from .model_cards import template_text

    dataset = load_ravdess(data)
    source = os.fspath(data) if data else "the Zenodo archive (record 1188976)"

    def embed(row: dict) -> dict:
        path = row["audio"]["path"]
        if row["audio"]["bytes"] is not None:
            return {"audio": {"path": os.path.basename(path or row["id"]), "bytes": row["audio"]["bytes"]}}
        with open(path, "rb") as handle:
            return {"audio": {"path": os.path.basename(path), "bytes": handle.read()}}

    dataset = dataset.map(embed, desc="embedding audio").cast_column("audio", datasets.Audio(decode=False))
    names = dataset.features["label"].names
    counts = np.bincount(dataset["label"], minlength=len(names))
    card_data = DatasetCardData(
        license="cc-by-nc-sa-4.0",
        language=["en"],
        pretty_name="RAVDESS speech (ser-hf)",
        task_categories=["audio-classification"],
        tags=["speech-emotion-recognition", "ravdess", "ser-hf"],
        size_categories=["1K<n<10K"],
    )
    card = DatasetCard.from_template(
        card_data,
        template_str=template_text("ravdess_dataset_card.md"),
        num_rows=len(dataset),
        source="a local copy" if data and os.path.exists(os.fspath(data)) else source,
        label_counts=", ".join(f"{n} {int(c)}" for n, c in zip(names, counts)),
    )
    return dataset, card


def push_dataset(
    data: str | os.PathLike | None,
    repo_id: str,
    private: bool = False,
    dry_run: bool = False,
    output_dir: str | os.PathLike | None = None,
    token: str | None = None,
) -> dict:
    """Pushes the prepared RAVDESS (`datasets` `push_to_hub`) with its card. `dry_run` needs no token and
    no network; with `output_dir` it also writes what would go up (parquet shard and README.md)."""
    dataset, card = prepare_dataset_for_hub(data)
    summary = {"repo_id": repo_id, "num_rows": len(dataset), "columns": list(dataset.features), "uploaded": False}
    if dry_run:
        if output_dir:
            out = Path(output_dir)
            if out.exists() and any(out.iterdir()):
                raise PushError(f"{out} exists and is not empty: choose a new --output_dir")
            (out / "data").mkdir(parents=True, exist_ok=True)
            dataset.to_parquet(str(out / "data" / "train-00000-of-00001.parquet"))
            card.save(out / "README.md")
            summary["written"] = str(out)
        return summary
    from huggingface_hub import get_token

    token = token or get_token()
    if not token:
        raise PushError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (or use --dry_run)")
    dataset.push_to_hub(repo_id, private=private, token=token)
    card.push_to_hub(repo_id, repo_type="dataset", token=token)
    return {**summary, "uploaded": True}
