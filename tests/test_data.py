"""Corpus loaders, leak-free splits and noise augmentation."""

import hashlib
import zipfile

import pytest
import torch
from helpers import write_audio as write

from ser_hf import EMOTIONS, SerFeatureExtractor
from ser_hf.data.augment import AugmentConfig, WaveformAugmenter, add_noise, measured_snr_db
from ser_hf.data.common import CorpusError, decode_waveforms
from ser_hf.data.corpora import load_corpus
from ser_hf.data.ravdess import load_ravdess, parse_name
from ser_hf.data.splits import SPLITS, actor_folds, make_split, recording_groups, split_groups
from ser_hf.training.batches import TrainingItems, WaveformBank


def test_parse_name():
    meta = parse_name("Actor_07/03-01-05-02-01-02-07.wav")
    assert meta == {"label": 4, "actor": 7, "gender": "male", "intensity": "strong", "statement": 1, "repetition": 2}
    assert EMOTIONS[meta["label"]] == "angry"
    assert parse_name("03-01-01-01-02-01-12.flac")["gender"] == "female"
    with pytest.raises(ValueError, match="03-01-09-01-01-01-01.wav: emotion code 09"):
        parse_name("03-01-09-01-01-01-01.wav")
    with pytest.raises(ValueError, match="not audio-only speech"):
        parse_name("01-01-01-01-01-01-01.wav")  # audio-visual modality
    with pytest.raises(ValueError, match="not a RAVDESS file name"):
        parse_name("hello.wav")


def test_load_ravdess_folder_and_zip(fake_ravdess, tmp_path):
    dataset = load_ravdess(fake_ravdess, cache_dir=tmp_path / "cache")
    assert len(dataset) == 4 * 8 * 4
    assert set(dataset.column_names) >= {
        "audio",
        "label",
        "actor",
        "gender",
        "intensity",
        "statement",
        "repetition",
        "corpus",
    }
    assert dataset.features["label"].names == EMOTIONS
    assert set(dataset["corpus"]) == {"ravdess"}
    archive = tmp_path / "Audio_Speech_Actors_01-24.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in fake_ravdess.rglob("*.wav"):
            handle.write(path, path.relative_to(fake_ravdess))
    from_zip = load_ravdess(archive, cache_dir=tmp_path / "cache")
    assert sorted(from_zip["id"]) == sorted(dataset["id"])


def test_decoding_resamples_downmixes_and_trims(fake_ravdess, tmp_path):
    extractor = SerFeatureExtractor()
    dataset = decode_waveforms(load_ravdess(fake_ravdess), extractor, cache_dir=tmp_path)
    first = dataset.select_columns(["waveform", "num_samples", "actor"]).with_format("numpy")
    for row in range(0, len(dataset), 17):
        assert first[row]["waveform"].ndim == 1 and first[row]["num_samples"] <= 0.6 * 16000
    again = decode_waveforms(load_ravdess(fake_ravdess), extractor, cache_dir=tmp_path)
    assert again.cache_files and again.cache_files[0]["filename"] == dataset.cache_files[0]["filename"]


def test_bad_sources_are_named(tmp_path, monkeypatch):
    write(tmp_path / "empty_corpus" / "a.wav")
    with pytest.raises(CorpusError, match="no RAVDESS speech files"):
        load_ravdess(tmp_path / "empty_corpus")
    with pytest.raises(CorpusError, match="no such folder"):
        load_ravdess(tmp_path / "missing")
    bad_zip = tmp_path / "Audio_Speech_Actors_01-24.zip"
    bad_zip.write_text("not a zip")
    with pytest.raises(CorpusError, match="not a valid zip"):
        load_ravdess(bad_zip, cache_dir=tmp_path / "cache")
    from huggingface_hub import constants

    monkeypatch.delenv("SER_HF_RAVDESS_DIR", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(CorpusError, match="HF_HUB_OFFLINE.*pass --data"):
        load_ravdess(None, cache_dir=tmp_path / "cache")


@pytest.mark.parametrize(
    "corpus, names, expected, left_out",
    [
        (
            "savee",
            ["DC/a01.wav", "JE/sa02.wav", "KL_su03.wav", "JK/n01.wav"],
            ["angry", "sad", "surprised", "neutral"],
            0,
        ),
        ("tess", ["OAF_back_angry.wav", "YAF_dog_ps.wav", "YAF_germ_fear.wav"], ["angry", "surprised", "fearful"], 0),
        (
            "crema-d",
            ["1001_DFA_ANG_XX.wav", "1002_IEO_HAP_HI.wav", "1091_TAI_NEU_XX.wav"],
            ["angry", "happy", "neutral"],
            0,
        ),
        ("emodb", ["03a01Fa.wav", "08b02Wb.wav", "16a05Lc.wav", "11b03Td.wav"], ["happy", "angry", "sad"], 1),
    ],
)
def test_other_corpora_map_onto_the_ravdess_labels(tmp_path, corpus, names, expected, left_out):
    for i, name in enumerate(names):
        write(tmp_path / name, seed=i)
    write(tmp_path / "unrelated.wav")
    dataset = load_corpus(corpus, tmp_path)
    assert dataset.features["label"].names == EMOTIONS
    assert sorted(EMOTIONS[i] for i in dataset["label"]) == sorted(expected)
    assert f"{left_out} left out" in dataset.info.description
    assert "1 unrecognised" in dataset.info.description
    if corpus == "emodb":
        assert set(zip(dataset["actor"], dataset["gender"])) == {(3, "male"), (8, "female"), (11, "male")}


def test_splits_are_disjoint_seeded_and_balanced(fake_ravdess):
    dataset = load_ravdess(fake_ravdess)
    for name in SPLITS:
        if name == "speaker":  # 4 actors: 1 + 1 for validation and 1 + 1 for test would leave none to train
            with pytest.raises(ValueError, match="needs actors left to train"):
                make_split(dataset, name, seed=3)
            continue
        split = make_split(dataset, name, seed=3, num_folds=2)
        assert sorted(split.train + split.validation + split.test) == list(range(len(dataset)))
        split.check_disjoint(split_groups(dataset, name))
        again = make_split(dataset, name, seed=3, num_folds=2)
        assert (again.train, again.validation, again.test) == (split.train, split.validation, split.test)


def test_near_duplicates_stay_together_in_the_strict_paper_split(fake_ravdess):
    dataset = load_ravdess(fake_ravdess)
    split = make_split(dataset, "paper-strict", seed=1)
    part_of = {row: part for part in ("train", "validation", "test") for row in getattr(split, part)}
    by_group = {}
    for row, group in enumerate(recording_groups(dataset)):
        by_group.setdefault(group, set()).add(part_of[row])
    assert all(len(parts) == 1 for parts in by_group.values())


def test_the_paper_split_is_by_recording_and_keeps_identical_recordings_together(fake_ravdess, tmp_path):
    """`paper` splits recordings (the repetitions of a sentence may fall on both sides, as in the
    published honest protocol) but never a recording stored twice: a byte copy under another name."""
    import shutil

    root = tmp_path / "ravdess"
    shutil.copytree(fake_ravdess, root)
    source = root / "Actor_02" / "03-01-03-01-02-01-02.wav"
    shutil.copy(source, root / "Actor_02" / "03-01-03-01-02-02-02.wav")  # as Actor_07 in the real corpus
    dataset = load_ravdess(root)
    ids = list(dataset["id"])
    twins = [ids.index("03-01-03-01-02-01-02"), ids.index("03-01-03-01-02-02-02")]
    crossing = 0
    for seed in range(6):
        split = make_split(dataset, "paper", seed=seed)
        part_of = {row: part for part in ("train", "validation", "test") for row in getattr(split, part)}
        assert part_of[twins[0]] == part_of[twins[1]], seed
        by_group = {}
        for row, group in enumerate(recording_groups(dataset)):
            by_group.setdefault(group, set()).add(part_of[row])
        crossing += sum(len(parts) > 1 for parts in by_group.values())
    assert crossing > 0  # repetitions are split by recording, unlike paper-strict


def test_awgn_reaches_the_requested_snr():
    torch.manual_seed(0)
    clean = torch.randn(64, 16000) * torch.linspace(0.1, 1, 16000)
    lengths = torch.randint(4000, 16001, (64,))
    clean = clean * (torch.arange(16000) < lengths[:, None])
    for noise_type in ("awgn", "uniform"):
        augmenter = WaveformAugmenter(AugmentConfig(noise_type=noise_type, snr_min=15, snr_max=30), seed=1)
        noisy, _ = augmenter(clean, lengths, torch.arange(64), torch.ones(64, dtype=torch.long), epoch=0)
        snr = measured_snr_db(clean, noisy, lengths)
        assert snr.min() >= 15 - 1e-3 and snr.max() <= 30 + 1e-3
        assert snr.max() - snr.min() > 5  # drawn over the range, not one value
        assert torch.all(noisy * (torch.arange(16000) >= lengths[:, None]) == 0)  # padding stays silent
    exact = add_noise(clean[:4], lengths[:4], torch.tensor([20.0, 20.0, 10.0, 25.0]))
    torch.testing.assert_close(measured_snr_db(clean[:4], exact, lengths[:4]), torch.tensor([20.0, 20.0, 10.0, 25.0]))


def test_copies_are_fixed_and_fresh_noise_changes_each_epoch():
    clean = torch.randn(2, 8000)
    lengths = torch.tensor([8000, 8000])
    rows, copies = torch.tensor([5, 9]), torch.tensor([1, 2])
    fixed = WaveformAugmenter(AugmentConfig(noise_mode="copies"), seed=0)
    assert torch.equal(fixed(clean, lengths, rows, copies, epoch=0)[0], fixed(clean, lengths, rows, copies, epoch=7)[0])
    fresh = WaveformAugmenter(AugmentConfig(noise_mode="fresh"), seed=0)
    assert not torch.equal(
        fresh(clean, lengths, rows, copies, epoch=0)[0], fresh(clean, lengths, rows, copies, epoch=1)[0]
    )
    assert torch.equal(fresh(clean, lengths, rows, copies, epoch=1)[0], fresh(clean, lengths, rows, copies, epoch=1)[0])
    clean_rows, _ = fixed(clean, lengths, rows, torch.tensor([0, 0]), epoch=0)
    assert torch.equal(clean_rows, clean)


def test_spec_augment_masks_only_augmented_rows():
    augmenter = WaveformAugmenter(AugmentConfig(freq_mask_param=20, time_mask_param=30), seed=0)
    features = torch.randn(2, 3, 128, 128) + 5
    out = augmenter.spec_augment(features, torch.tensor([0, 1]))
    assert torch.equal(out[0], features[0])
    assert (out[1] == 0).any()


def _unit(waves):
    return waves / waves.norm(dim=1, keepdim=True).clamp_min(1e-8)


def _padded(bank, rows, width):
    waves, _ = bank.batch(torch.as_tensor(rows))
    return torch.nn.functional.pad(waves, (0, width - waves.shape[1]))


def test_no_recording_nor_a_noisy_copy_of_it_crosses_splits(ravdess_decoded):
    """On the real RAVDESS: every split keeps recordings (by content, not only by name) and every noisy
    training copy on one side. Content: the decoded audio's hash, and the zero-lag correlation of noisy
    copies with their source (high) and with every validation / test recording (low)."""
    dataset = ravdess_decoded
    assert len(dataset) == 1440
    assert sorted(set(dataset["actor"])) == list(range(1, 25))
    bank = WaveformBank.from_dataset(dataset)
    digests = [
        hashlib.sha1(bank.batch(torch.tensor([r]))[0].numpy().tobytes()).hexdigest() for r in range(len(dataset))
    ]
    augmenter = WaveformAugmenter(AugmentConfig(noise_mode="copies", noise_copies=2), seed=0)
    for name in SPLITS:
        split = make_split(dataset, name, seed=0)
        held_out = split.validation + split.test
        assert not {digests[r] for r in split.train} & {digests[r] for r in held_out}, name
        items = TrainingItems(split.train, copies=2, seed=0)
        items.set_epoch(0)
        sampled = [items[i] for i in range(0, len(items), 29)]
        assert {row for row, _ in (items[i] for i in range(len(items)))} == set(split.train)
        rows = torch.tensor([r for r, _ in sampled])
        copies = torch.tensor([c for _, c in sampled])
        waves, lengths = bank.batch(rows)
        width = int(bank.lengths.max())
        noisy = _unit(
            torch.nn.functional.pad(augmenter(waves, lengths, rows, copies, epoch=0)[0], (0, width - waves.shape[1]))
        )
        own = (noisy * _unit(_padded(bank, rows, width))).sum(1)
        against_held_out = noisy @ _unit(_padded(bank, held_out, width)).T
        assert own.min() > 0.9, f"{name}: a noisy copy no longer resembles its source"
        assert against_held_out.max() < 0.9, f"{name}: a training sample resembles a held-out recording"
    duplicate = [list(dataset["id"]).index(n) for n in ("03-01-03-01-02-01-07", "03-01-03-01-02-02-07")]
    split = make_split(dataset, "paper", seed=0)
    parts = [next(p for p in ("train", "validation", "test") if r in getattr(split, p)) for r in duplicate]
    assert parts[0] == parts[1]


def test_actor_folds_cover_every_actor_once_with_both_genders(ravdess_dir):
    dataset = load_ravdess(ravdess_dir)
    folds = actor_folds(dataset, 6)
    assert sorted(a for fold in folds for a in fold) == list(range(1, 25))
    for fold in folds:
        assert len(fold) == 4 and sum(a % 2 for a in fold) == 2
    speaker = make_split(dataset, "speaker", seed=3)
    genders = dict(zip(dataset["actor"], dataset["gender"]))
    assert (
        {genders[a] for a in speaker.test_actors}
        == {genders[a] for a in speaker.validation_actors}
        == {"male", "female"}
    )
