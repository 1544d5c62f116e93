"""Batches built on the training device: all clean waveforms live there in one flat tensor, a batch is
an index gather plus padding, and features come from `SerFeatureExtractor.extract_batch` (the same
code the pipeline runs), after augmentation (`features_for`).

With static shapes every batch has the same width (the longest clip of the bank, times the most that
augmentation can lengthen a clip) and the same chunk count, so no shape depends on the data and nothing
in a step waits for the device (compiled training on a GPU, CUDA graphs)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.utils.data import Dataset


class WaveformBank:
    """Every clip's trimmed waveform, concatenated on one device, with offsets and lengths."""

    def __init__(self, waveforms: list[np.ndarray], labels: list[int], device: torch.device | str = "cpu"):
        lengths = np.array([len(w) for w in waveforms], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        self.samples = torch.from_numpy(np.concatenate(waveforms).astype(np.float32)).to(device)
        self.offsets = torch.from_numpy(offsets).to(device)
        self.lengths = torch.from_numpy(lengths).to(device)
        self.labels = torch.tensor(labels, dtype=torch.long, device=device)
        self.max_length = int(lengths.max()) if len(lengths) else 0
        self.static_shapes = False
        self.headroom = 1.0  # static batches cover clips this many times longer (`AugmentConfig.max_stretch`)

    @property
    def static_width(self) -> int:
        """Samples of every batch with static shapes: the longest clip, lengthened by the headroom (one
        sample more against rounding when it is above 1)."""
        return math.ceil(self.max_length * self.headroom) + (self.headroom > 1)

    @classmethod
    def from_dataset(cls, dataset, device="cpu") -> WaveformBank:
        table = dataset.select_columns(["waveform", "label"]).with_format("numpy")
        return cls(list(table["waveform"]), [int(label) for label in table["label"]], device)

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, longest) zero-padded waveforms of `rows` and their lengths; with `static_shapes` the
        width is `static_width`."""
        if self.samples.device.type == "cpu":  # slices copied into a zero batch: no index tensor to build
            starts, lengths = self.offsets[rows], self.lengths[rows]
            width = self.static_width if self.static_shapes else int(lengths.max())
            out = torch.zeros(len(rows), width)
            for row, start, length in zip(out, starts.tolist(), lengths.tolist()):
                row[:length] = self.samples[start : start + length]
            return out, lengths
        rows = rows.to(self.offsets.device, non_blocking=True)  # pinned by the loader on a GPU: no wait
        lengths = self.lengths[rows]
        width = self.static_width if self.static_shapes else int(lengths.max())
        positions = torch.arange(width, device=rows.device)
        index = (self.offsets[rows, None] + positions).clamp_max(len(self.samples) - 1)
        return self.samples[index] * (positions < lengths[:, None]), lengths


class FeatureCache:
    """The Mel chunks of items whose waveform is the same in every epoch, kept on the bank's device:
    clean recordings (training, BatchNorm re-estimation, evaluation) and, when the noise is fixed per
    copy (the paper's noisy copies), the noisy copies. Each is computed once, on its own, so its values
    do not depend on the batch it first came in (a resumed run gets the same numbers); SpecAugment
    still draws new masks every step. About 64 KB a chunk: 0.6 GB for the paper split with two copies."""

    def __init__(self):
        self.chunks: dict[tuple[int, int], torch.Tensor] = {}

    def fill(self, keys: list[tuple[int, int]], bank: WaveformBank, extractor, augmenter, epoch: int) -> None:
        for row, copy in keys:
            if (row, copy) not in self.chunks:
                features = _extract(
                    {"rows": torch.tensor([row]), "copies": torch.tensor([copy])},
                    bank,
                    extractor,
                    augmenter,
                    epoch,
                    None,
                )
                self.chunks[row, copy] = features["input_values"][0, : int(features["chunk_mask"][0].sum())].clone()


def _extract(batch: dict, bank: WaveformBank, extractor, augmenter, epoch: int, num_chunks: int | None) -> dict:
    """Waveforms of the batch's rows -> augmentation -> Mel chunks (`extract_batch`), on the bank's device."""
    rows, copies = batch["rows"], batch["copies"]
    waveforms, lengths = bank.batch(rows)
    if augmenter is not None:
        width = bank.static_width if bank.static_shapes else None
        waveforms, lengths = augmenter(waveforms, lengths, rows, copies, epoch, width)
    with torch.autocast(device_type=waveforms.device.type, enabled=False):
        return extractor.extract_batch(
            waveforms, lengths, trim_silence=False, num_chunks=num_chunks
        )  # trimmed when decoded


def features_for(
    batch: dict, bank: WaveformBank, extractor, augmenter=None, epoch: int = 0, cache: FeatureCache | None = None
):
    """Waveforms of the batch's rows -> augmentation (training) -> Mel chunks, all on the bank's device.

    `batch` holds host tensors `rows` and `copies` (see `collate`); returns the model inputs and labels.
    With a `cache`, items whose waveform is the same in every epoch are computed once and reused.
    """
    rows, copies = batch["rows"], batch["copies"]
    labels = bank.labels[rows.to(bank.labels.device, non_blocking=True)]
    num_chunks = (
        int(extractor.num_chunks(torch.tensor(bank.static_width // extractor.hop_length + 1)))
        if bank.static_shapes
        else None
    )
    keys = list(zip(rows.tolist(), copies.tolist()))
    fixed = [augmenter is None or augmenter.is_fixed(copy) for _, copy in keys]
    if cache is None or not any(fixed):
        features = _extract(batch, bank, extractor, augmenter, epoch, num_chunks)
    else:
        cache.fill([key for key, keep in zip(keys, fixed) if keep], bank, extractor, augmenter, epoch)
        items = [cache.chunks[key] if keep else None for key, keep in zip(keys, fixed)]
        fresh = [i for i, keep in enumerate(fixed) if not keep]
        if fresh:  # noise drawn anew this epoch: computed together, as without a cache
            index = torch.tensor(fresh)
            computed = _extract({"rows": rows[index], "copies": copies[index]}, bank, extractor, augmenter, epoch, None)
            for i, values, count in zip(fresh, computed["input_values"], computed["chunk_mask"].sum(1).tolist()):
                items[i] = values[:count]
        counts = torch.tensor([len(item) for item in items])
        steps = num_chunks if num_chunks is not None else int(counts.max())
        values = items[0].new_full((len(items), steps, *items[0].shape[1:]), extractor.padding_value)
        for target, item in zip(values, items):
            target[: len(item)] = item
        mask = (torch.arange(steps) < counts[:, None]).long().to(values.device, non_blocking=True)
        features = {"input_values": values, "chunk_mask": mask}
    if augmenter is not None:
        features["input_values"] = augmenter.spec_augment(features["input_values"], copies)
        features = augmenter.crop(features)
    return features, labels


class TrainingItems(Dataset):
    """(row, copy) pairs of one epoch in a seeded order; copy 0 is the clean recording, 1..N noisy ones.

    Only training rows are ever listed here, so no validation or test recording, nor a noisy copy of
    one, can reach the optimizer.
    """

    def __init__(self, rows: list[int], copies: int, seed: int):
        self.items = [(row, copy) for row in rows for copy in range(copies + 1)]
        self.seed = seed
        self.order = list(range(len(self.items)))

    def set_epoch(self, epoch: int) -> None:
        generator = np.random.default_rng([self.seed, epoch])
        self.order = generator.permutation(len(self.items)).tolist()

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[int, int]:
        return self.items[self.order[index]]


class EvaluationItems(Dataset):
    """Rows of a validation or test part, in order, each once."""

    def __init__(self, rows: list[int]):
        self.rows = list(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[int, int]:
        return self.rows[index], 0


def collate(items: list[tuple[int, int]]) -> dict[str, torch.Tensor]:
    rows, copies = zip(*items)
    return {"rows": torch.tensor(rows), "copies": torch.tensor(copies)}
