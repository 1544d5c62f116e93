"""Benchmarks against what users would otherwise run, side by side in one run on the same RAVDESS clips.

    python scripts/bench.py [--clips 200] [--repeats 3] [--threads 2] [--hour-minutes 60] [--skip-hour] [--out reports/bench.json]

Prints a markdown table (medians; the ratio is ours over theirs in the direction where > 1 is better
for us) and writes the numbers to reports/bench.json:
1. features: clips/s for --clips files, the package batched (soundfile + `extract_batch`) against a
   librosa implementation of the same features file by file (librosa.load, trim, melspectrogram,
   power_to_db), as the public SER notebooks do;
2. per-clip latency at batch 1 (features + forward, a 3.5 s clip) and throughput at batch 64, both
   models against a randomly initialised wav2vec2-base audio classifier;
3. training throughput (samples/s) with noise augmentation on the CPU, as `ser-hf train` runs it
   (augmentation, features, forward, backward, clipping, AdamW on batches of 32): the fused training
   path against the eager modules, interleaved step by step in the same run;
4. a one-hour recording through the long-audio path: peak memory (RSS of a fresh process) and
   real-time factor;
5. ONNX Runtime against PyTorch, both models, batch 1 and batch 64.
Needs $SER_HF_RAVDESS_DIR, librosa and onnxruntime (`pip install -e '.[bench,onnx]'`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from model_stats import time_call  # scripts/ is on sys.path when this file runs as a script

import ser_hf
from ser_hf.audio import load_audio

REPO = Path(__file__).resolve().parents[1]


def median_time(fn, repeats: int, warmup: int = 1) -> float:
    return statistics.median(time_call(fn, repeats, warmup))


def ravdess_files(count: int) -> list[Path]:
    root = os.environ.get("SER_HF_RAVDESS_DIR")
    if not root:
        raise SystemExit("set SER_HF_RAVDESS_DIR to the RAVDESS speech folder")
    files = sorted(Path(root).glob("Actor_*/*.flac")) + sorted(Path(root).glob("Actor_*/*.wav"))
    step = max(1, len(files) // count)
    return files[::step][:count]


# ---------------------------------------------------------------------------------------- 1. features


def librosa_features(y: np.ndarray, extractor) -> np.ndarray:
    """The same features the way the public notebooks compute them, one clip at a time with librosa:
    trim, Mel power spectrogram, power_to_db with an 80 dB floor, per-utterance normalisation, chunks."""
    import librosa

    y, _ = librosa.effects.trim(
        y, top_db=extractor.trim_top_db, frame_length=extractor.win_length, hop_length=extractor.hop_length
    )
    mel = librosa.feature.melspectrogram(
        y=y,
        sr=extractor.sampling_rate,
        n_fft=extractor.n_fft,
        hop_length=extractor.hop_length,
        win_length=extractor.win_length,
        n_mels=extractor.feature_size,
        norm="slaney",
        htk=False,
        center=True,
        power=2.0,
    )
    log_mel = librosa.power_to_db(mel, ref=np.max, top_db=extractor.log_floor_db)
    log_mel = (log_mel - log_mel.mean()) / (log_mel.std() + 1e-5)
    frames = log_mel.shape[1]
    chunks = [
        log_mel[:, s : s + extractor.chunk_length]
        for s in range(0, max(frames - extractor.chunk_length, 0) + 1, extractor.chunk_stride)
    ]
    return np.stack([np.pad(c, ((0, 0), (0, extractor.chunk_length - c.shape[1]))) for c in chunks])


def librosa_from_file(path: Path, extractor) -> np.ndarray:
    import librosa

    return librosa_features(librosa.load(str(path), sr=extractor.sampling_rate)[0], extractor)


def package_batches(waves: list[np.ndarray], extractor, batch_size: int = 64) -> None:
    """Batched as a pipeline would: clips of similar length together, so little padding is computed."""
    order = sorted(range(len(waves)), key=lambda i: len(waves[i]))
    for start in range(0, len(order), batch_size):
        extractor(
            [waves[i] for i in order[start : start + batch_size]],
            sampling_rate=extractor.sampling_rate,
            return_tensors="pt",
        )


def bench_features(paths, extractor, repeats) -> dict:
    waves = [load_audio(p, extractor.sampling_rate)[0] for p in paths]
    ours = median_time(lambda: package_batches(waves, extractor), repeats)
    theirs = median_time(lambda: [librosa_features(w, extractor) for w in waves], repeats)
    ours_files = median_time(
        lambda: package_batches([load_audio(p, extractor.sampling_rate)[0] for p in paths], extractor), repeats
    )
    theirs_files = median_time(lambda: [librosa_from_file(p, extractor) for p in paths], repeats)
    decode = median_time(lambda: [load_audio(p, extractor.sampling_rate) for p in paths], repeats)
    return {
        "clips": len(paths),
        "package_clips_per_s": len(paths) / ours,
        "librosa_clips_per_s": len(paths) / theirs,
        "ratio": theirs / ours,
        "files_package_clips_per_s": len(paths) / ours_files,
        "files_librosa_clips_per_s": len(paths) / theirs_files,
        "files_ratio": theirs_files / ours_files,
        "decode_ms_per_clip": 1e3 * decode / len(paths),
    }


# ---------------------------------------------------------------------------------------- 2. inference


def wav2vec2_base():
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

    torch.manual_seed(0)
    return Wav2Vec2ForSequenceClassification(Wav2Vec2Config(num_labels=8)).eval()  # wav2vec2-base sizes


@torch.inference_mode()
def bench_inference(clip: np.ndarray, extractor, repeats: int, batch: int = 64) -> dict:
    rows = {}
    rate = extractor.sampling_rate
    for number, cls in ser_hf.MODEL_CLASSES.items():
        torch.manual_seed(number)
        model = cls(cls.config_class()).eval()

        def one(model=model):
            model(**extractor(clip, sampling_rate=rate, return_tensors="pt"))

        def many(model=model):
            model(**extractor([clip] * batch, sampling_rate=rate, return_tensors="pt"))

        rows[f"model{number}"] = {
            "latency_ms": 1e3 * median_time(one, repeats * 20, warmup=10),
            "batch64_clips_per_s": batch / median_time(many, repeats),
        }
    w2v = wav2vec2_base()
    from transformers import Wav2Vec2FeatureExtractor

    w2v_fe = Wav2Vec2FeatureExtractor()
    rows["wav2vec2-base"] = {
        "latency_ms": 1e3
        * median_time(lambda: w2v(**w2v_fe(clip, sampling_rate=rate, return_tensors="pt")), repeats * 3, warmup=2),
        "batch64_clips_per_s": batch
        / median_time(lambda: w2v(**w2v_fe([clip] * batch, sampling_rate=rate, return_tensors="pt")), 1, warmup=0),
    }
    return rows


# ---------------------------------------------------------------------------------------- 3. training


def glibc_allocator(mode: str) -> None:
    """`default`: glibc's settings in a warmed-up process (blocks over 32 MB mapped afresh and unmapped
    when freed); `heap`: what `ser-hf train` sets on the CPU (`keep_cpu_memory_mapped`)."""
    import ctypes

    from ser_hf.training.step import keep_cpu_memory_mapped

    if mode == "heap":
        keep_cpu_memory_mapped()
        return
    libc = ctypes.CDLL("libc.so.6")
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4
    libc.mallopt(M_MMAP_MAX, 65536)
    libc.mallopt(M_MMAP_THRESHOLD, 32 * 2**20)  # where glibc's dynamic threshold ends up
    libc.mallopt(M_TRIM_THRESHOLD, 64 * 2**20)


TRAINING_VARIANTS = {  # name: (training path, allocator, feature cache)
    "eager": ("eager", "default", False),  # the plain eager model, as training ran before this work
    "eager_heap": ("eager", "heap", False),  # the same with the allocator setting alone
    "fused": ("fused", "heap", False),  # the fused path, features computed every step (first epoch)
    "fused_cached": ("fused", "heap", True),  # what `ser-hf train` runs on the CPU from its second epoch
}


def bench_training(paths: list[Path], extractor, steps: int, batch_size: int = 32) -> dict:
    """Training steps as `ser-hf train` runs them (trimmed clips in a `WaveformBank`, one clean and one
    AWGN copy per clip, `features_for`, `TrainStep` with AdamW and clipping): the plain eager model with
    glibc's default allocator, the same with the allocator setting of `ser-hf train`, the fused CPU
    path with that setting, and the same with the feature cache warm (as from the second epoch on),
    interleaved batch by batch in this one process (the allocator switched before each step);
    samples/s from median step times, ratios to the plain eager model as medians of per-batch ratios."""
    from accelerate import Accelerator
    from transformers import get_scheduler

    from ser_hf.data.augment import AugmentConfig, WaveformAugmenter
    from ser_hf.training.args import TrainArguments
    from ser_hf.training.batches import FeatureCache, TrainingItems, WaveformBank, collate, features_for
    from ser_hf.training.step import StepPlan, TrainStep, make_optimizer

    waves = []
    for path in paths:
        wave = torch.from_numpy(load_audio(path, extractor.sampling_rate)[0])[None]
        trimmed, length = extractor.trim_batch(wave, torch.tensor([wave.shape[1]]))
        waves.append(trimmed[0, : int(length[0])].numpy())
    bank = WaveformBank(waves, [i % 8 for i in range(len(waves))])
    items = TrainingItems(list(range(len(waves))), copies=1, seed=0)
    items.set_epoch(0)
    loader = torch.utils.data.DataLoader(items, batch_size=batch_size, collate_fn=collate, drop_last=True)
    augmenter = WaveformAugmenter(AugmentConfig(noise_mode="copies", noise_type="awgn", noise_copies=1), seed=0)
    accelerator = Accelerator(cpu=True)
    args = TrainArguments(output_dir="unused")
    out = {}
    for number, cls in ser_hf.MODEL_CLASSES.items():
        runs = {}
        for name, (path, allocator, cached) in TRAINING_VARIANTS.items():
            torch.manual_seed(number)
            model = cls(cls.config_class()).train()
            model.set_training_path(path)
            optimizer = make_optimizer(model, args, accelerator.device)
            scheduler = get_scheduler("constant", optimizer)
            step = TrainStep(
                model, optimizer, scheduler, accelerator, StepPlan(path, None), max_grad_norm=args.max_grad_norm
            )
            cache = FeatureCache() if cached else None
            for batch in loader if cached else ():  # the first epoch fills the cache
                features_for(batch, bank, extractor, augmenter, cache=cache)
            runs[name] = (step, allocator, cache, [])
        batches = itertools.cycle(loader)
        for index in range(steps + 1):  # the first step of each is a warm-up
            batch = next(batches)
            for step, allocator, cache, times in runs.values():
                glibc_allocator(allocator)
                start = time.perf_counter()
                features, labels = features_for(batch, bank, extractor, augmenter, cache=cache)
                float(step(features, labels))
                if index:
                    times.append(time.perf_counter() - start)
        glibc_allocator("default")
        row = {f"{name}_samples_per_s": batch_size / statistics.median(times) for name, (*_, times) in runs.items()}
        # the ratio of each batch's eager and optimised steps, run back to back: slow drifts of a shared machine cancel
        for name in ("fused", "fused_cached"):
            pairs = [eager / other for eager, other in zip(runs["eager"][-1], runs[name][-1])]
            row[f"{name}_ratio"] = statistics.median(pairs)
            row[f"{name}_ratio_quartiles"] = statistics.quantiles(pairs, n=4)[::2]
        row.update(steps=steps, batch_size=batch_size)
        out[f"model{number}"] = row
    return out


# ---------------------------------------------------------------------------------------- 4. one hour

_HOUR_SCRIPT = r"""
import json, sys, time
from ser_hf.inference import load_model
from ser_hf.longform import predict_timeline
hwm = lambda: int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024
model, extractor = load_model(sys.argv[1])
loaded = hwm()
start = time.perf_counter()
timeline = predict_timeline(model, extractor, sys.argv[2])
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "windows": len(timeline.segments), "duration": timeline.duration,
                  # VmHWM, not ru_maxrss: ru_maxrss survives exec and would report the parent's peak
                  "peak_rss_mb": hwm(), "rss_after_loading_mb": loaded}))
"""


def bench_hour(paths: list[Path], minutes: float) -> dict:
    rng = np.random.default_rng(0)
    waves = [load_audio(p, 16000)[0] for p in paths[:50]]
    out = {}
    with tempfile.TemporaryDirectory(prefix="ser-hf-bench-") as tmp:
        path = Path(tmp) / "hour.flac"
        written = 0
        with sf.SoundFile(path, "w", 16000, 1, subtype="PCM_16") as handle:
            while written < minutes * 60 * 16000:
                clip = waves[rng.integers(len(waves))]
                pause = np.zeros(int(rng.uniform(0.2, 2.0) * 16000), np.float32)
                handle.write(np.concatenate([clip, pause]))
                written += len(clip) + len(pause)
        for name in ("ser-cnn-lstm-ravdess", "ser-cnn-bilstm-attention-ravdess"):
            result = subprocess.run(
                [sys.executable, "-c", _HOUR_SCRIPT, str(REPO / "models" / name), str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(result.stdout.strip().splitlines()[-1])
            row["real_time_factor"] = row["seconds"] / row["duration"]
            out[name] = row
    return out


# ---------------------------------------------------------------------------------------- 5. ONNX


def bench_onnx(clip: np.ndarray, extractor, repeats: int, batch: int = 64) -> dict:
    from ser_hf.onnx_export import OnnxModel, export_onnx

    out = {}
    rate = extractor.sampling_rate
    one = extractor(clip, sampling_rate=rate, return_tensors="pt")
    many = extractor([clip] * batch, sampling_rate=rate, return_tensors="pt")
    with tempfile.TemporaryDirectory(prefix="ser-hf-onnx-") as tmp:
        for number, cls in ser_hf.MODEL_CLASSES.items():
            torch.manual_seed(number)
            model = cls(cls.config_class()).eval()
            with torch.inference_mode():
                torch_one = median_time(lambda model=model: model(**one), repeats * 20, warmup=10)
                torch_many = median_time(lambda model=model: model(**many), repeats)
            session = OnnxModel(
                export_onnx(model, extractor, Path(tmp) / f"m{number}.onnx"),
                model.config,
                threads=torch.get_num_threads(),
            )
            ort_one = median_time(lambda session=session: session(**one), repeats * 20, warmup=10)
            ort_clip = median_time(
                lambda session=session: session(**extractor(clip, sampling_rate=rate, return_tensors="pt")),
                repeats * 20,
                warmup=10,
            )
            ort_many = median_time(lambda session=session: session(**many), repeats)
            out[f"model{number}"] = {
                "torch_forward_ms": 1e3 * torch_one,
                "onnx_forward_ms": 1e3 * ort_one,
                "onnx_latency_ms": 1e3 * ort_clip,
                "torch_batch64_clips_per_s": batch / torch_many,
                "onnx_batch64_clips_per_s": batch / ort_many,
            }
    return out


# ---------------------------------------------------------------------------------------- 6. start-up

_STARTUP_SCRIPT = """
import resource, sys, time
start = time.perf_counter()
sys.argv = ["ser-hf", *sys.argv[1:]]
from ser_hf.cli import main
try:
    code = main()
except SystemExit as exit:
    code = exit.code
print("@@", time.perf_counter() - start, peak_mb(), code)
"""
# VmHWM belongs to this process's own address space; ru_maxrss would carry the bench's own peak
# across fork and exec
_PEAK = "def peak_mb():\n    return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024\n"
_STARTUP_SCRIPT = _PEAK + _STARTUP_SCRIPT


def bench_startup(clip_path: Path, repeats: int) -> dict:
    """Wall time and peak RSS of fresh `ser-hf` processes: help, an argument error, one prediction."""
    commands = {
        "ser-hf --help": ["--help"],
        "ser-hf train --help": ["train", "--help"],
        "ser-hf predict --window_seconds 0 (a usage error)": ["predict", str(clip_path), "--window_seconds", "0"],
        "ser-hf predict CLIP (bundled Model 2)": ["predict", str(clip_path)],
        "python -c 'import torch' (for scale)": None,
    }
    out = {}
    for name, argv in commands.items():
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            if argv is None:
                script = _PEAK + "import torch\nprint('@@', 0, peak_mb(), 0)"
                result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
            else:
                result = subprocess.run(
                    [sys.executable, "-c", _STARTUP_SCRIPT, *argv], capture_output=True, text=True, check=False
                )
            wall = time.perf_counter() - start
            marker = next(line for line in result.stdout.splitlines() if line.startswith("@@"))
            runs.append((wall, float(marker.split()[2])))
        out[name] = {"seconds": statistics.median(r[0] for r in runs), "peak_rss_mb": max(r[1] for r in runs)}
    return out


# ---------------------------------------------------------------------------------------- 7. odd rates


def bench_resampling(clip: np.ndarray, repeats: int) -> dict:
    """Decoding + resampling a 3.5 s file at 24,414 Hz (TESS) and 44.1 kHz: `load_audio` (soxr) against
    torchaudio's sinc resampler, which builds its kernel per call."""
    import torchaudio.functional as AF

    out = {}
    with tempfile.TemporaryDirectory(prefix="ser-hf-rates-") as tmp:
        for rate in (24414, 44100):
            path = Path(tmp) / f"clip-{rate}.wav"
            sf.write(path, AF.resample(torch.from_numpy(clip), 16000, rate).numpy(), rate)

            def torchaudio_load(path=path):
                samples, file_rate = sf.read(path, dtype="float32")
                return AF.resample(torch.from_numpy(samples), file_rate, 16000)

            ours = median_time(lambda path=path: load_audio(path, 16000), repeats * 4)
            theirs = median_time(torchaudio_load, max(2, repeats // 2))
            out[str(rate)] = {"ours_ms": 1e3 * ours, "torchaudio_ms": 1e3 * theirs, "ratio": theirs / ours}
    return out


# ---------------------------------------------------------------------------------------- 8. 8-bit WAV


def bench_eight_bit(paths: list[Path], count: int = 96) -> dict:
    """The bundled Model 2 on RAVDESS clips and on the same clips saved as 8-bit unsigned WAV: how often
    the top label changes, and how the trimmed length (chunks) changes."""
    from ser_hf.audio import AudioError
    from ser_hf.inference import analyse_clip, bundled_model_path, load_model

    model, extractor = load_model(bundled_model_path(2))
    same, refused, chunks_16, chunks_8 = 0, 0, [], []
    with tempfile.TemporaryDirectory(prefix="ser-hf-u8-") as tmp:
        for path in paths[:count]:
            clip = load_audio(path)[0]
            sf.write(Path(tmp) / "u8.wav", clip, 16000, subtype="PCM_U8")
            eight = load_audio(Path(tmp) / "u8.wav")[0]
            try:
                label = analyse_clip(model, extractor, eight).label
            except AudioError:  # a quiet recording is only quantisation noise at 8 bits
                refused += 1
                continue
            same += analyse_clip(model, extractor, clip).label == label
            chunks_16.append(int(extractor(clip, sampling_rate=16000)["chunk_mask"].sum()))
            chunks_8.append(int(extractor(eight, sampling_rate=16000)["chunk_mask"].sum()))
    return {
        "clips": min(count, len(paths)),
        "no_speech_at_8_bit": refused,
        "same_label": same,
        "mean_chunks_16_bit": float(np.mean(chunks_16)),
        "mean_chunks_8_bit": float(np.mean(chunks_8)),
    }


def table(results: dict) -> str:
    f, inf, tr, onnx = results["features"], results["inference"], results["training"], results["onnx"]
    w2v = inf["wav2vec2-base"]
    lines = [
        "| benchmark | ser-hf | reference | ratio (x) |",
        "|---|---:|---:|---:|",
        (
            f"| features of {f['clips']} decoded clips (clips/s), batched vs librosa clip by clip | "
            f"{f['package_clips_per_s']:.1f} | {f['librosa_clips_per_s']:.1f} | {f['ratio']:.1f} |"
        ),
        (
            f"| the same from the files, decoding included (clips/s; decoding alone {f['decode_ms_per_clip']:.2f} ms/clip) | "
            f"{f['files_package_clips_per_s']:.1f} | {f['files_librosa_clips_per_s']:.1f} | {f['files_ratio']:.1f} |"
        ),
    ]
    for n in (1, 2):
        m = inf[f"model{n}"]
        lines.append(
            f"| Model {n} latency, batch 1, 3.5 s clip (ms), vs wav2vec2-base | {m['latency_ms']:.2f} | "
            f"{w2v['latency_ms']:.1f} | {w2v['latency_ms'] / m['latency_ms']:.1f} |"
        )
        lines.append(
            f"| Model {n} throughput, batch 64 (clips/s), vs wav2vec2-base | {m['batch64_clips_per_s']:.0f} | "
            f"{w2v['batch64_clips_per_s']:.1f} | {m['batch64_clips_per_s'] / w2v['batch64_clips_per_s']:.1f} |"
        )
    for n in (1, 2):
        t = tr[f"model{n}"]
        lines.append(
            f"| Model {n} training, batch {t['batch_size']} with AWGN, CPU (samples/s): `ser-hf train` from its second epoch "
            f"(fused path, feature cache) vs the plain eager model | "
            f"{t['fused_cached_samples_per_s']:.1f} | {t['eager_samples_per_s']:.1f} | {t['fused_cached_ratio']:.2f} |"
        )
        lines.append(
            f"| Model {n} the same, first epoch (features computed every step) vs the plain eager model "
            f"(eager with the allocator setting alone: {t['eager_heap_samples_per_s']:.1f}) | "
            f"{t['fused_samples_per_s']:.1f} | {t['eager_samples_per_s']:.1f} | {t['fused_ratio']:.2f} |"
        )
    for name, row in results.get("hour", {}).items():
        lines.append(
            f"| {name}: {row['duration'] / 60:.0f} min recording, real-time factor / peak RSS (MB; "
            f"{row['rss_after_loading_mb']:.0f} after loading torch and the model) | "
            f"{row['real_time_factor']:.4f} / {row['peak_rss_mb']:.0f} | | |"
        )
    for n in (1, 2):
        o = onnx[f"model{n}"]
        lines.append(
            f"| Model {n} latency with ONNX Runtime, batch 1, 3.5 s clip (ms; features + forward), vs wav2vec2-base | "
            f"{o['onnx_latency_ms']:.2f} | {w2v['latency_ms']:.1f} | {w2v['latency_ms'] / o['onnx_latency_ms']:.1f} |"
        )
        lines.append(
            f"| Model {n} forward, batch 1 (ms): ONNX Runtime vs PyTorch | {o['onnx_forward_ms']:.2f} | "
            f"{o['torch_forward_ms']:.2f} | {o['torch_forward_ms'] / o['onnx_forward_ms']:.2f} |"
        )
        lines.append(
            f"| Model {n} batch 64 (clips/s): ONNX Runtime vs PyTorch | {o['onnx_batch64_clips_per_s']:.0f} | "
            f"{o['torch_batch64_clips_per_s']:.0f} | {o['onnx_batch64_clips_per_s'] / o['torch_batch64_clips_per_s']:.2f} |"
        )
    lines += extra_rows(results)
    return "\n".join(lines)


def extra_rows(results: dict) -> list[str]:
    """Rows of the start-up, resampling and 8-bit sections (each also runs alone with --only)."""
    lines = []
    for name, row in results.get("startup", {}).items():
        lines.append(
            f"| start-up: `{name}`, wall time (s) / peak RSS (MB) | {row['seconds']:.2f} / {row['peak_rss_mb']:.0f} | | |"
        )
    for rate, row in results.get("resampling", {}).items():
        lines.append(
            f"| decode + resample a 3.5 s {int(rate):,} Hz WAV to 16 kHz (ms): soxr vs torchaudio | "
            f"{row['ours_ms']:.1f} | {row['torchaudio_ms']:.1f} | {row['ratio']:.0f} |"
        )
    if "eight_bit" in results:
        e = results["eight_bit"]
        lines.append(
            f"| bundled Model 2, {e['clips']} RAVDESS clips saved as 8-bit WAV: no speech found at 8 bits / same top "
            f"label as at 16 bits / mean chunks (16-bit: {e['mean_chunks_16_bit']:.1f}) | {e['no_speech_at_8_bit']} / "
            f"{e['same_label']} / {e['mean_chunks_8_bit']:.1f} | | |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--train-steps", dest="train_steps", type=int, default=20)
    parser.add_argument("--hour-minutes", dest="hour_minutes", type=float, default=60.0)
    parser.add_argument("--skip-hour", dest="skip_hour", action="store_true")
    parser.add_argument(
        "--only", choices=["training", "startup", "resampling", "eight-bit"], help="run one section and print its rows"
    )
    parser.add_argument("--out", default=str(REPO / "reports" / "bench.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    paths = ravdess_files(args.clips)
    extractor = ser_hf.SerFeatureExtractor()
    clip_path = min(paths, key=lambda p: abs(sf.info(str(p)).duration - 3.5))
    clip = load_audio(clip_path)[0]
    results = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "threads": args.threads,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "clip": {"path": clip_path.name, "seconds": len(clip) / 16000},
        "command": " ".join(["python", "scripts/bench.py", *sys.argv[1:]]),
    }
    # librosa (numpy's BLAS threads keep spinning after their calls) runs last, and PyTorch is timed
    # before an ONNX Runtime session exists (its threads spin too), so no section slows another
    if args.only == "training":
        rows = bench_training(paths, extractor, args.train_steps)
        print(json.dumps(rows, indent=2))
        return
    sections = {
        "startup": lambda: bench_startup(clip_path, args.repeats),
        "resampling": lambda: bench_resampling(clip, args.repeats),
        "eight_bit": lambda: bench_eight_bit(paths),
    }
    if args.only:
        key = args.only.replace("-", "_")
        results[key] = sections[key]()
        print(json.dumps(results[key], indent=2))
        print("\n".join(extra_rows(results)))
        return
    for key, run in sections.items():
        print(f"{key} ...", flush=True)
        results[key] = run()
    print("inference ...", flush=True)
    results["inference"] = bench_inference(clip, extractor, args.repeats)
    print("onnx ...", flush=True)
    results["onnx"] = bench_onnx(clip, extractor, args.repeats)
    print("training ...", flush=True)
    results["training"] = bench_training(paths, extractor, args.train_steps)
    if not args.skip_hour:
        print("long audio ...", flush=True)
        results["hour"] = bench_hour(paths, args.hour_minutes)
    print("features ...", flush=True)
    results["features"] = bench_features(paths, extractor, args.repeats)
    results["gpu"] = (
        "no GPU in this run: the 200-epoch GPU rows are not measured"
        if not torch.cuda.is_available()
        else torch.cuda.get_device_name()
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"\n{table(results)}\n\nwrote {args.out}")


if __name__ == "__main__":
    main()
