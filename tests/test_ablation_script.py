"""`scripts/ablation.py`: every variant is a valid `ser-hf train` command line, and its table pairs
runs by seed and fold."""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from ser_hf.cli import parse_args

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ablation.py"
spec = importlib.util.spec_from_file_location("ablation", SCRIPT)
ablation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ablation)


def train_options(variant: str, epochs: int = 40) -> tuple:
    """The option groups of the `scripts/train.py` command that `ablation.run` starts for `variant`."""
    args = SimpleNamespace(architecture=2, split="paper", epochs=epochs)
    command = ablation.train_command(variant, 0, None, args, [], Path("/nonexistent/run"))
    assert command[0].endswith("train.py")
    return parse_args(["train", *command[1:]])[1]


@pytest.mark.parametrize("variant", sorted(ablation.VARIANTS))
def test_every_variant_parses_as_train_options(variant):
    model, data, _, train = train_options(variant)
    assert model.architecture == 2 and data.split == "paper" and train.seed == 0


def test_variants_set_what_their_names_say():
    _, _, ours, ours_train = train_options("ours")
    _, _, stronger, _ = train_options("ours-stronger-channel-speed")
    assert (stronger.channel_prob, stronger.speed_perturb) == (1.0, 0.15)
    assert stronger.channel_prob > ours.channel_prob and stronger.speed_perturb > ours.speed_perturb
    # 5 clips a recording for 3/5 of the epochs: the passes over the recordings of `ours`, at any --epochs
    for epochs in (40, 20, 30):
        _, _, copies, copies_train = train_options("ours-4-copies-equal-steps", epochs)
        _, _, ours, ours_train = train_options("ours", epochs)
        assert copies.noise_copies == 4 and ours_train.epochs == epochs
        assert (1 + copies.noise_copies) * copies_train.epochs == (1 + ours.noise_copies) * ours_train.epochs
    from ser_hf import SerFeatureExtractor

    ours_model, _, _, ours_train = train_options("ours")
    # the training default is the extractor's
    assert ours_model.chunk_stride == SerFeatureExtractor().chunk_stride == 64
    assert train_options("ours-chunk-stride-32")[0].chunk_stride == 32
    assert train_options("ours-weight-decay-0.05")[3].weight_decay == 0.05 > ours_train.weight_decay
    assert train_options("ours-crop-2")[2].crop_chunks == 2 and train_options("ours")[2].crop_chunks == 0
    assert train_options("ours-mel-64")[0].num_mel_bins == 64
    assert ours_model.num_mel_bins == SerFeatureExtractor().feature_size == 128
    widths = [train_options(f"ours-lstm-{width}")[0].lstm_hidden_size for width in (64, 256)]
    assert widths == [64, 256] and ours_model.lstm_hidden_size == 128
    dense = [train_options(f"ours-dense-{width}")[0].classifier_hidden_size for width in (0, 128)]
    assert dense == [0, 128] and ours_model.classifier_hidden_size == 64
    assert train_options("ours-shift")[2].max_shift_seconds == 0.32 and train_options("ours")[2].max_shift_seconds == 0
    # 64 bands for twice the epochs: about the training time of ours (64 bands train in half of it)
    equal_time, _, _, equal_time_train = train_options("ours-mel-64-equal-time", 40)
    assert equal_time.num_mel_bins == 64 and equal_time_train.epochs == 80
    assert train_options("ours-onset-crop")[2].onset_crop_seconds == 0.32 and ours.onset_crop_seconds == 0
    rates = [train_options(f"ours-lr-{rate}")[3].learning_rate for rate in ("3e-3", "3e-4")]
    assert rates == [3e-3, 3e-4] and ours_train.learning_rate == 1e-3
    assert train_options("ours-batch-16")[3].batch_size == 16 and ours_train.batch_size == 32
    # both candidates at once: the rate 3e-3 and 64 bands for twice the epochs (here of a 30-epoch fold budget)
    both, _, both_augment, both_train = train_options("ours-lr-3e-3-mel-64-equal-time", 30)
    assert (both.num_mel_bins, both_train.learning_rate, both_train.epochs) == (64, 3e-3, 60)
    assert both_augment == train_options("ours", 30)[2]  # nothing else changed
    # the same, each Mel band's mean over the clip removed
    band, _, band_augment, band_train = train_options("ours-lr-3e-3-mel-64-equal-time-band", 30)
    assert (band.num_mel_bins, band_train.learning_rate, band_train.epochs) == (64, 3e-3, 60)
    assert band_train.normalization == "band" and both_train.normalization == "utterance"
    assert band_augment == train_options("ours", 30)[2]
    _, _, fast, fast_train = train_options("regularised-lr-3e-3")
    _, _, slow, slow_train = train_options("regularised")
    assert fast == slow and fast_train.learning_rate == 3e-3 and slow_train.learning_rate == 1e-3


def _metrics(accuracy: float) -> dict:
    return {
        "test": {"accuracy": accuracy, "macro_f1": accuracy},
        "history": [{"val_accuracy": accuracy, "train_loss": 0.5}],
        "best_epoch": 1,
    }


def test_table_pairs_runs_by_seed_and_fold():
    from scipy.stats import ttest_rel

    ours = {(0, None): 0.70, (1, None): 0.74, (2, None): 0.76}
    variant = {(2, None): 0.70, (0, None): 0.69, (1, None): 0.70}  # another order: paired by key, shown in its order
    results = {
        "ours": {key: _metrics(a) for key, a in ours.items()},
        "ours-mixup": {key: _metrics(a) for key, a in variant.items()},
        "ours-no-ema": {(0, None): _metrics(0.72)},  # one pair: no p
    }
    rows = {line.split(" | ")[0].strip("| "): line for line in ablation.table(results).splitlines()[2:]}
    keys = sorted(ours)
    p = ttest_rel([variant[k] for k in keys], [ours[k] for k in keys]).pvalue
    assert f"-6.0 / -1.0 / -4.0 (-3.7; p = {p:.3f})" in rows["ours-mixup"]
    assert "+2.0 (+2.0) |" in rows["ours-no-ema"]
    with warnings.catch_warnings():  # undefined p: NaN by the guard, not scipy's warning
        warnings.simplefilter("error")
        assert math.isnan(ablation.paired_p([1.0, 1.0, 1.0]))  # differences that do not vary
        assert math.isnan(ablation.paired_p([1.0]))  # one pair


def test_confusion_is_summed_over_runs_with_each_emotions_recall():
    """`--per_class`: the folds' confusion matrices add up to the corpus held out once; recall reads each row."""
    fold = lambda matrix: {"labels": ["calm", "sad"], "test": {"confusion_matrix": matrix}}
    text = ablation.summed_confusion([fold([[3, 1], [0, 4]]), fold([[2, 2], [1, 1]])])
    lines = text.splitlines()
    assert lines[0] == "14 test recordings counted over 2 runs:"
    assert lines[2] == "| true \\ predicted | calm | sad | pooled recall % |"
    assert lines[4:] == ["| calm | 5 | 3 | 62.5 |", "| sad | 1 | 5 | 83.3 |"]
    with pytest.raises(ValueError, match="name their classes differently"):
        ablation.summed_confusion([fold([[1, 0], [0, 1]]), {**fold([[1, 0], [0, 1]]), "labels": ["sad", "calm"]}])
