"""`scripts/ablation.py`: every variant is a valid `ser-hf train` command line, and its table pairs
runs by seed and fold."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from ser_hf.cli import parse_args

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ablation.py"
spec = importlib.util.spec_from_file_location("ablation", SCRIPT)
ablation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ablation)


def train_options(variant: str, epochs: int = 40) -> tuple:
    """The option groups that `ablation.run` gives `scripts/train.py` for `variant`."""
    argv = ["train", "--output_dir", "/tmp/x", "--architecture", "2", "--split", "paper", "--epochs", str(epochs)]
    return parse_args([*argv, "--seed", "0", *ablation.VARIANTS[variant]])[1]


@pytest.mark.parametrize("variant", sorted(ablation.VARIANTS))
def test_every_variant_parses_as_train_options(variant):
    model, data, _, train = train_options(variant)
    assert model.architecture == 2 and data.split == "paper" and train.seed == 0


def test_variants_set_what_their_names_say():
    _, _, ours, ours_train = train_options("ours")
    _, _, stronger, _ = train_options("ours-stronger-channel-speed")
    assert (stronger.channel_prob, stronger.speed_perturb) == (1.0, 0.15)
    assert stronger.channel_prob > ours.channel_prob and stronger.speed_perturb > ours.speed_perturb
    _, _, copies, copies_train = train_options("ours-4-copies-equal-steps")
    # the variant's --epochs comes after the script's and wins: 5 clips x 24 epochs = 3 clips x 40
    assert copies.noise_copies == 4 and copies_train.epochs == 24
    assert (1 + copies.noise_copies) * copies_train.epochs == (1 + ours.noise_copies) * ours_train.epochs


def _metrics(accuracy: float) -> dict:
    return {
        "test": {"accuracy": accuracy, "macro_f1": accuracy},
        "history": [{"val_accuracy": accuracy, "train_loss": 0.5}],
        "best_epoch": 1,
    }


def test_table_pairs_runs_by_seed_and_fold():
    from scipy.stats import ttest_rel

    ours = {(0, None): 0.70, (1, None): 0.74, (2, None): 0.76}
    variant = {(2, None): 0.70, (0, None): 0.69, (1, None): 0.70}  # another order: pairs by key
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
    assert math.isnan(ablation.paired_p([1.0, 1.0, 1.0]))  # differences that do not vary: no p
