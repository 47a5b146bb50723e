"""The optimizer-comparison widget, driven through its controls as a student would drag them."""

import numpy as np
import pytest

from course_lib.update_rules import run_optimizer
from course_lib.widgets.optimizers import OPTIMIZERS, optimizer_comparison


@pytest.fixture
def comparison():
    return optimizer_comparison("ravine", optimizers=OPTIMIZERS, steps=60)


def test_one_run_per_selected_optimizer_matching_the_reference_rules(comparison):
    assert set(comparison.final_losses) == set(OPTIMIZERS)
    for name in OPTIMIZERS:
        run = comparison.runs[comparison.label(name)]
        expected = run_optimizer(name, "ravine", 60, **comparison.hyperparameters(name))
        np.testing.assert_allclose(run.trajectory, expected.trajectory)


def test_momentum_slider_changes_only_the_momentum_family(comparison):
    before = {label: run.trajectory.copy() for label, run in comparison.runs.items()}
    comparison.controls["momentum"].value = 0.5
    for name in OPTIMIZERS:
        label = comparison.label(name)
        same = np.array_equal(before[label], comparison.runs[label].trajectory)
        assert same == (name not in ("momentum", "nesterov")), name
    assert comparison.hyperparameters("momentum")["momentum"] == 0.5


def test_momentum_beats_plain_sgd_in_the_ravine_at_the_default_rate(comparison):
    losses = comparison.final_losses
    assert losses["momentum"] < 0.1 * losses["sgd"], losses
    assert "Momentum (η = 0.02)" in comparison.readout_text


def test_adaptive_and_decay_sliders_reach_their_optimizers(comparison):
    comparison.controls["adaptive_lr"].value = 0.01
    assert comparison.hyperparameters("adam")["lr"] == pytest.approx(0.01)
    assert comparison.hyperparameters("rmsprop")["lr"] == pytest.approx(0.01)
    adam_before = comparison.runs[comparison.label("adam")].trajectory.copy()
    comparison.controls["weight_decay"].value = 0.9
    assert np.array_equal(adam_before, comparison.runs[comparison.label("adam")].trajectory)
    assert comparison.hyperparameters("adamw")["weight_decay"] == 0.9


def test_a_huge_sgd_rate_diverges_and_the_readout_says_so(comparison):
    comparison.controls["lr"].value = 0.5  # five times the ravine's stability limit 0.1
    assert comparison.final_losses["sgd"] == float("inf")
    assert "diverged" in comparison.readout_text


def test_selecting_optimizers_and_switching_surface(comparison):
    comparison.controls["optimizers"].value = ("adam",)
    assert list(comparison.final_losses) == ["adam"]
    comparison.controls["surface"].value = "rosenbrock"
    assert comparison.controls["lr"].value == pytest.approx(1e-3)
    assert comparison.controls["adaptive_lr"].value == pytest.approx(0.05)
    assert comparison.surface.name == "rosenbrock"
    comparison.controls["optimizers"].value = ()
    assert comparison.runs == {}
    assert "Select at least one optimizer" in comparison.readout_text


def test_the_image_is_rendered_once_shown_and_redrawn_on_change(comparison):
    png = comparison.image.value
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    redraws = comparison.redraws
    comparison.controls["steps"].value = 30
    assert comparison.redraws == redraws + 1
    assert comparison.image.value != png
    assert all(len(run.trajectory) == 31 for run in comparison.runs.values())


def test_unknown_optimizer_is_reported():
    with pytest.raises(ValueError, match="unknown optimizers \\['adagrad'\\]"):
        optimizer_comparison(optimizers=("sgd", "adagrad"))
