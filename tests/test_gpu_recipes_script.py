"""`scripts/gpu_recipes.py`: the probe's seconds per epoch come from the epochs during which every
run was training, and the plan fits the slowest run into the budget."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_recipes.py"
spec = importlib.util.spec_from_file_location("gpu_recipes", SCRIPT)
gpu_recipes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_recipes)


def staggered_probe() -> dict[str, dict]:
    """Two runs launched together: `late` starts 6 s later. While only one trains an epoch takes 2 s,
    while both train 3.5 s; `early` finishes first and `late`'s last epochs run alone again."""
    early = [40.0, 42.0, 44.0, 47.5, 51.0, 54.5]  # 2 s alone, then 3.5 s with `late` (which starts at 46)
    late = [46.0, 49.5, 53.0, 56.5, 58.5, 60.5]  # 3.5 s while `early` trains, 2 s after 54.5
    return {"early": {"launched": 0.0, "epoch_times": early}, "late": {"launched": 0.0, "epoch_times": late}}


def test_seconds_per_epoch_counts_only_the_epochs_when_all_runs_train():
    measured = gpu_recipes.seconds_per_epoch(staggered_probe())
    # window: from 46.0 (late's first epoch) to 54.5 (early's last)
    assert measured["early"] == pytest.approx((54.5 - 47.5) / 2)  # 47.5, 51.0, 54.5
    assert measured["late"] == pytest.approx((53.0 - 46.0) / 2)  # 46.0, 49.5, 53.0
    # the last epoch alone, the probe's former measure, is the fast one
    probe = staggered_probe()
    assert probe["late"]["epoch_times"][-1] - probe["late"]["epoch_times"][-2] == pytest.approx(2.0)


def test_seconds_per_epoch_is_the_mean_inside_the_window_not_the_longest_or_last_epoch():
    probe = {
        # a stalls 4.5 s alone before b starts; b's last epoch runs alone after a finished
        "a": {"launched": 0.0, "epoch_times": [10.0, 14.5, 18.0, 21.6, 25.0]},
        "b": {"launched": 0.0, "epoch_times": [17.0, 20.4, 24.0, 27.5, 30.0]},
    }
    # window 17.0-25.0: a's epochs 18.0, 21.6, 25.0 (3.6, 3.4 s), b's 17.0, 20.4, 24.0 (3.4, 3.6 s)
    assert gpu_recipes.seconds_per_epoch(probe) == pytest.approx({"a": 3.5, "b": 3.5})


def test_a_run_with_too_few_epochs_in_the_window_gets_its_longest_epoch(capsys):
    probe = {
        "a": {"launched": 0.0, "epoch_times": [10.0, 12.0, 15.0]},
        "b": {"launched": 0.0, "epoch_times": [14.0, 19.0, 21.0]},
    }
    # window 14.0-15.0: a has one epoch in it, b one
    assert gpu_recipes.seconds_per_epoch(probe) == {"a": 3.0, "b": 5.0}
    assert "raise --probe_epochs" in capsys.readouterr().out


def test_plan_fits_the_slowest_run_with_slack_and_rounds_to_tens():
    probe = staggered_probe()
    for name, seconds in gpu_recipes.seconds_per_epoch(probe).items():
        probe[name]["per_epoch"] = seconds
    epochs, train_seconds, measured = gpu_recipes.plan_epochs(probe, seconds_left=600.0, max_epochs=200)
    assert measured["seconds_per_epoch"] == pytest.approx(3.5)
    # start-up: late's first epoch ends at 46 s, of which 3.5 s is the epoch itself
    assert measured["startup_seconds"] == pytest.approx(42.5)
    assert train_seconds == pytest.approx(600.0 - gpu_recipes.FINAL_SECONDS - 42.5)
    assert epochs % 10 == 0 and epochs * 1.15 * 3.5 <= train_seconds < (epochs + 10) * 1.15 * 3.5
    assert gpu_recipes.plan_epochs(probe, seconds_left=600.0, max_epochs=50)[0] == 50
