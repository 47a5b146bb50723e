"""The initialization explorer, driven through its controls as a student would drag them."""

import numpy as np
import pytest

from course_lib.widgets import initialization_explorer
from course_lib.widgets.initialization import InitializationExplorer, cached_statistics


@pytest.fixture
def explorer():
    return initialization_explorer(depth=10, activation="tanh", init="normal", scale=0.05)


def test_starts_with_the_stated_setting_and_draws_lazily(explorer):
    assert isinstance(explorer, InitializationExplorer)
    assert explorer.redraws == 0  # nothing rendered until the widget is shown
    assert explorer.verdict == "vanishing"
    box = explorer.widget
    assert explorer.redraws == 1 and bytes(explorer._image.value).startswith(b"\x89PNG")
    assert box.children[0].children == tuple(explorer.controls.values())


def test_plotted_std_follows_the_controls(explorer):
    explorer.widget  # noqa: B018 - go live, so every change re-renders
    assert len(explorer.plot.plotted["activation_std"]) == 10
    explorer.controls["depth"].value = 24
    assert len(explorer.plot.plotted["activation_std"]) == 24
    assert len(explorer.plot.plotted["gradient_std"]) == 24
    assert explorer.plot.plotted["histogram_layers"] == [0, 11, 22]
    small = explorer.plot.plotted["gradient_std"].copy()
    explorer.controls["init"].value = "xavier"
    explorer.controls["scale"].value = 1.0
    healthy = explorer.plot.plotted["gradient_std"]
    assert small[0] / small[-1] < 1e-6 < 1e-2 < healthy[0] / healthy[-1]
    assert explorer.verdict == "stable"
    assert explorer.redraws == 4


def test_scale_drives_the_verdict_for_relu(explorer):
    explorer.controls["activation"].value = "relu"
    explorer.controls["init"].value = "kaiming"
    explorer.controls["scale"].value = 1.0
    assert explorer.verdict == "stable"
    explorer.controls["scale"].value = 3.0
    assert explorer.verdict == "exploding"
    assert explorer.activation_std[-1] / explorer.activation_std[0] > 1e3
    explorer.controls["scale"].value = 0.3
    assert explorer.verdict == "vanishing"
    assert "vanishing" in explorer.readout_text and "dead units" in explorer.readout_text


def test_numbers_match_the_library_and_are_cached(explorer):
    explorer.controls["activation"].value = "sigmoid"
    explorer.controls["init"].value = "xavier"
    explorer.controls["scale"].value = 1.0
    stats = cached_statistics(10, "sigmoid", "xavier", 1.0)
    assert explorer.stats is stats  # the cached object, not a recomputation
    np.testing.assert_array_equal(explorer.plot.plotted["gradient_std"], stats.gradient_std)
    assert explorer.verdict == "vanishing"  # sigmoid's slope 1/4 shrinks the gradient


def test_zeros_init_is_reported_without_ratios(explorer):
    explorer.controls["init"].value = "zeros"
    assert explorer.verdict == "vanishing"
    assert "every output is 0" in explorer.readout_text
    assert "all weights 0" in explorer.label
