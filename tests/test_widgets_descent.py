"""The learning-rate explorer, driven the way a student drives it: through its controls."""

import numpy as np
import pytest

from course_lib.plotting.descent import DescentPlot
from course_lib.surfaces import SURFACES
from course_lib.widgets import learning_rate_explorer


@pytest.fixture
def explorer():
    return learning_rate_explorer(surface="ravine", lr=0.05, steps=60)


def test_moving_the_slider_changes_the_plotted_trajectory_in_place(explorer):
    before_traj = explorer.trajectory.copy()
    before_png, figure = explorer.image.value, explorer.plot.figure
    redraws = explorer.redraws
    explorer.controls["lr"].value = 0.02
    assert explorer.redraws == redraws + 1
    assert explorer.trajectory.shape == (61, 2)
    assert not np.allclose(explorer.trajectory, before_traj)
    assert explorer.plot.figure is figure, "the same figure is redrawn, not a new one"
    assert explorer.image.value != before_png and explorer.image.value[:4] == b"\x89PNG"
    # The plotted line is the trajectory (nothing stacked: one line on the contour panel).
    lines = [ln for ln in explorer.plot.ax_surface.get_lines() if ln.get_label().startswith("η")]
    assert len(lines) == 1
    np.testing.assert_allclose(np.column_stack(lines[0].get_data()), explorer.trajectory)


@pytest.mark.parametrize("name", ["bowl", "ravine"])
def test_diverges_above_and_converges_below_the_stability_limit(explorer, name):
    explorer.controls["surface"].value = name
    explorer.controls["steps"].value = 300
    limit = SURFACES[name].stability_limit
    assert explorer.stability_limit == pytest.approx(limit)
    explorer.controls["lr"].value = 0.8 * limit
    assert explorer.status == "converged"
    np.testing.assert_allclose(explorer.trajectory[-1], SURFACES[name].minima[0], atol=1e-3)
    explorer.controls["lr"].value = 1.2 * limit
    assert explorer.status == "diverged"
    assert "diverged" in explorer.readout_text
    assert np.linalg.norm(explorer.trajectory[-1]) > 1e3
    assert np.all(np.isfinite(explorer.losses))


def test_readout_shows_eta_and_limit(explorer):
    text = explorer.readout_text
    assert "η = 0.05" in text and "2/λmax = 0.1" in text and "0.50× the limit" in text


def test_changing_surface_resets_the_learning_rate_and_redraws_once(explorer):
    assert explorer.widget is not None  # shown: from now on every change re-renders the image
    redraws = explorer.redraws
    explorer.controls["surface"].value = "rosenbrock"
    assert explorer.redraws == redraws + 1
    assert explorer.controls["lr"].value == pytest.approx(SURFACES["rosenbrock"].default_lr)
    np.testing.assert_allclose(explorer.trajectory[0], SURFACES["rosenbrock"].start)
    assert "Hessian at the minimum" in explorer.readout_text


def test_steps_slider_sets_the_trajectory_length(explorer):
    explorer.controls["steps"].value = 7
    assert explorer.trajectory.shape == (8, 2)


def test_a_diverging_run_is_clipped_and_warns_nothing(explorer, recwarn):
    explorer.controls["lr"].value = 3.0
    assert explorer.status == "diverged"
    (line,) = [ln for ln in explorer.plot.ax_surface.get_lines() if ln.get_label().startswith("η")]
    assert np.abs(np.column_stack(line.get_data())).max() <= 30
    assert not [w for w in recwarn if "overflow" in str(w.message)]


def test_display_bundle_is_a_widget_view_with_a_small_text_fallback(explorer):
    assert explorer.redraws == 0, "nothing is rendered before the widget is shown"
    bundle = explorer._repr_mimebundle_()
    assert explorer.redraws == 1 and explorer._image.value[:4] == b"\x89PNG"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert len(bundle["text/plain"]) < 500


def test_descent_plot_draws_several_named_runs_and_removes_old_ones():
    plot = DescentPlot("bowl")
    a = np.array([[-3.5, 2.5], [-1.0, 1.0], [0.0, 0.0]])
    plot.show({"SGD": a, "momentum": a * 0.5})
    assert sorted(plot._lines) == ["SGD", "momentum"]
    plot.show({"SGD": a})
    assert sorted(plot._lines) == ["SGD"]
    assert len(plot.ax_loss.get_lines()) == 1
