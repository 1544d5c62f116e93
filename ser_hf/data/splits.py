"""Leak-free train / validation / test splits of a corpus dataset.

- `paper`: the paper's protocol without its leak: 80/10/10 over recordings, stratified by emotion,
  seeded. Identical recordings (by content: RAVDESS's Actor_07 holds one recording under two names)
  always land in the same part; the two repetitions of a sentence may be on both sides, as in the
  published honest figures.
- `paper-strict`: the same, but recordings that differ only in their repetition (same actor, emotion,
  intensity and statement: near duplicates) always land in the same part.
- `speaker`: validation and test actors held out (both genders in each), the rest train.
- `actor-kfold`: k folds of actor groups (default 6 folds of 4 actors, 2 female + 2 male each); fold
  i is the test set, fold i+1 (mod k) validation, the rest training.

Augmentation is never applied here: splits are index lists over clean recordings, and noisy copies
are made later from training indices only.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLITS = ("paper", "paper-strict", "speaker", "actor-kfold")


@dataclass
class Split:
    """Row indices of each part, and the actors held out (empty for the paper split)."""

    train: list[int]
    validation: list[int]
    test: list[int]
    description: str
    validation_actors: tuple[int, ...] = ()
    test_actors: tuple[int, ...] = ()

    def check_disjoint(self, groups: list) -> None:
        """Raises if a row or a group of near duplicates appears in two parts."""
        parts = {"train": self.train, "validation": self.validation, "test": self.test}
        seen: dict = {}
        for name, rows in parts.items():
            if len(set(rows)) != len(rows):
                raise AssertionError(f"{name} lists a row twice")
            for row in rows:
                key = groups[row]
                if seen.setdefault(key, name) != name:
                    raise AssertionError(f"group {key} is in both {seen[key]} and {name}")


def recording_groups(dataset) -> list[tuple]:
    """One key per group of near-duplicate recordings: corpus, actor, label, intensity, statement
    (everything but the repetition). Corpora without those fields fall back to the row id."""
    columns = dataset.select_columns(["corpus", "actor", "label", "intensity", "statement", "id"]).to_dict()
    groups = []
    for corpus, actor, label, intensity, statement, ident in zip(*columns.values()):
        if actor < 0 or statement < 0:
            groups.append((corpus, ident))
        else:
            groups.append((corpus, actor, label, intensity, statement))
    return groups


def content_groups(dataset) -> list[str]:
    """One key per distinct recording: the SHA-256 of its audio file's bytes (or of its embedded bytes),
    so a recording stored twice under two names is one group."""
    keys = []
    for audio, ident in zip(dataset["audio"], dataset["id"]):
        if audio.get("bytes"):
            data = audio["bytes"]
        elif audio.get("path") and os.path.exists(audio["path"]):
            data = Path(audio["path"]).read_bytes()
        else:  # nothing to read: the row is its own group
            keys.append(f"id:{ident}")
            continue
        keys.append(hashlib.sha256(data).hexdigest())
    return keys


def split_groups(dataset, name: str) -> list:
    """The groups a split keeps whole: identical recordings for `paper`, near duplicates otherwise."""
    return content_groups(dataset) if name == "paper" else recording_groups(dataset)


def paper_split(dataset, seed: int = 0, fractions=(0.8, 0.1, 0.1), strict: bool = False) -> Split:
    """80/10/10 by emotion, seeded, whole groups at a time: identical recordings, or with `strict` all
    repetitions of a sentence."""
    rng = np.random.default_rng(seed)
    groups = split_groups(dataset, "paper-strict" if strict else "paper")
    labels = dataset["label"]
    by_label: dict[int, dict] = {}
    for row, (group, label) in enumerate(zip(groups, labels)):
        by_label.setdefault(label, {}).setdefault(group, []).append(row)
    train, validation, test = [], [], []
    for label in sorted(by_label):
        group_rows = list(by_label[label].values())
        order = rng.permutation(len(group_rows))
        n_test = round(fractions[2] * len(order))
        n_val = round(fractions[1] * len(order))
        for position, index in enumerate(order):
            target = test if position < n_test else validation if position < n_test + n_val else train
            target.extend(group_rows[index])
    kind = "repetitions of a sentence together" if strict else "by recording"
    return Split(sorted(train), sorted(validation), sorted(test), f"paper 80/10/10 stratified, {kind}, seed {seed}")


def _actors_by_gender(dataset) -> tuple[list[int], list[int]]:
    pairs = set(zip(dataset["actor"], dataset["gender"]))
    female = sorted(a for a, g in pairs if g == "female")
    male = sorted(a for a, g in pairs if g == "male")
    if not female or not male or len(female) + len(male) < 3:
        raise ValueError("speaker splits need actors of both genders and at least 3 actors")
    return female, male


def actor_split(dataset, validation_actors, test_actors) -> Split:
    """Rows of `validation_actors` and `test_actors` held out, every other actor trains."""
    validation_actors, test_actors = tuple(sorted(validation_actors)), tuple(sorted(test_actors))
    if set(validation_actors) & set(test_actors):
        raise ValueError(f"actors {set(validation_actors) & set(test_actors)} are in validation and test")
    parts: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for row, actor in enumerate(dataset["actor"]):
        part = "test" if actor in test_actors else "validation" if actor in validation_actors else "train"
        parts[part].append(row)
    return Split(
        parts["train"],
        parts["validation"],
        parts["test"],
        f"speaker-independent: validation actors {list(validation_actors)}, test actors {list(test_actors)}",
        validation_actors,
        test_actors,
    )


def speaker_split(dataset, seed: int = 0, actors_per_part: int = 2) -> Split:
    """Held-out validation and test actors, half female and half male in each, chosen by `seed`."""
    female, male = _actors_by_gender(dataset)
    rng = np.random.default_rng(seed)
    female, male = list(rng.permutation(female)), list(rng.permutation(male))
    half = max(1, actors_per_part // 2)
    if len(female) < 2 * half or len(male) < 2 * half or len(female) + len(male) <= 4 * half:
        raise ValueError(
            f"the speaker split holds out {half} female and {half} male actor(s) for validation and as many for test, "
            f"and needs actors left to train: this corpus has {len(female)} female and {len(male)} male actor(s)"
        )
    test = female[:half] + male[:half]
    validation = female[half : 2 * half] + male[half : 2 * half]
    return actor_split(dataset, [int(a) for a in validation], [int(a) for a in test])


def actor_folds(dataset, num_folds: int = 6) -> list[tuple[int, ...]]:
    """Actors dealt into `num_folds` folds, females and males spread evenly (RAVDESS: 2 + 2 per fold)."""
    female, male = _actors_by_gender(dataset)
    if len(female) + len(male) < num_folds:
        raise ValueError(
            f"{num_folds} actor folds need at least {num_folds} actors; this corpus has {len(female) + len(male)}"
        )
    folds: list[list[int]] = [[] for _ in range(num_folds)]
    for i, actor in enumerate(female):
        folds[i % num_folds].append(actor)
    for i, actor in enumerate(male):
        folds[i % num_folds].append(actor)
    return [tuple(sorted(f)) for f in folds]


def actor_kfold_split(dataset, fold: int = 0, num_folds: int = 6) -> Split:
    """Fold `fold` is the test set and fold `fold + 1` (mod k) the validation set."""
    if not 0 <= fold < num_folds:
        raise ValueError(f"fold must be in 0..{num_folds - 1}, got {fold}")
    folds = actor_folds(dataset, num_folds)
    split = actor_split(dataset, folds[(fold + 1) % num_folds], folds[fold])
    split.description = f"actor {num_folds}-fold, fold {fold}: " + split.description
    return split


def make_split(dataset, name: str, seed: int = 0, fold: int = 0, num_folds: int = 6) -> Split:
    """The split called `name` (one of SPLITS), checked for leaks before it is returned."""
    if name in ("paper", "paper-strict"):
        split = paper_split(dataset, seed, strict=name == "paper-strict")
    elif name == "speaker":
        split = speaker_split(dataset, seed)
    elif name == "actor-kfold":
        split = actor_kfold_split(dataset, fold, num_folds)
    else:
        raise ValueError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
    split.check_disjoint(split_groups(dataset, name))
    return split
