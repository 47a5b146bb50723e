"""The loss surfaces: gradients and Hessians agree with finite differences, minima are minima."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.descent import classify, gradient_descent, run_descent
from course_lib.surfaces import SURFACES, get_surface, quadratic

NAMES = sorted(SURFACES)
coords = st.floats(-1.5, 1.5, allow_nan=False)


def numerical_gradient(f, w, h=1e-6):
    return np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(len(w))])


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(x=coords, y=coords)
def test_gradient_and_hessian_match_finite_differences(name, x, y):
    surface = SURFACES[name]
    w = np.array([x, y])
    np.testing.assert_allclose(surface.gradient(w), numerical_gradient(surface.value, w),
                               rtol=1e-5, atol=1e-4)
    hessian = np.stack([numerical_gradient(lambda v, i=i: surface.gradient(v)[i], w)
                        for i in range(2)])
    np.testing.assert_allclose(surface.hessian(w), hessian, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_stationary_with_positive_curvature(name):
    surface = SURFACES[name]
    for m in surface.minima:
        np.testing.assert_allclose(surface.gradient(m), 0.0, atol=1e-9)
        assert np.linalg.eigvalsh(surface.hessian(m)).min() > 0
    values = [float(surface.value(m)) for m in surface.minima]
    assert values == sorted(values), "the global minimum must come first"
    (x0, x1), (y0, y1) = surface.bounds
    for point in (surface.start, *surface.minima):
        assert x0 <= point[0] <= x1 and y0 <= point[1] <= y1


@pytest.mark.parametrize("name", NAMES)
def test_functions_are_vectorised_over_a_grid(name):
    surface = SURFACES[name]
    w1, w2, loss = surface.grid(7)
    assert loss.shape == (7, 7)
    points = np.stack([w1, w2], axis=-1)
    assert surface.gradient(points).shape == (7, 7, 2)
    assert surface.hessian(points).shape == (7, 7, 2, 2)
    assert loss[3, 4] == pytest.approx(float(surface.value(points[3, 4])))


def test_stability_limits_of_the_quadratics():
    assert SURFACES["bowl"].stability_limit == pytest.approx(1.0)
    assert SURFACES["ravine"].stability_limit == pytest.approx(0.1)
    assert SURFACES["rosenbrock"].stability_limit is None
    # Rosenbrock's Hessian at (1, 1) is [[802, -400], [-400, 200]].
    lam = np.linalg.eigvalsh(np.array([[802.0, -400.0], [-400.0, 200.0]])).max()
    assert SURFACES["rosenbrock"].local_stability_limit() == pytest.approx(2 / lam)


@pytest.mark.parametrize("name", ["bowl", "ravine"])
def test_descent_converges_below_and_diverges_above_the_limit(name):
    limit = SURFACES[name].stability_limit
    assert run_descent(name, 0.9 * limit, 400).status == "converged"
    above = run_descent(name, 1.1 * limit, 400)
    assert above.status == "diverged"
    assert len(above.trajectory) < 401, "a diverging run stops before it overflows"
    assert np.all(np.isfinite(above.losses))


def test_small_steps_get_stuck_in_the_local_minimum():
    surface = SURFACES["local_minimum"]
    run = run_descent(surface, 0.05, 400)
    assert run.status == "converged"
    np.testing.assert_allclose(run.trajectory[-1], surface.minima[1], atol=1e-3)


def test_gradient_descent_records_every_point_and_validates_arguments():
    trajectory = gradient_descent(lambda w: 2 * w, [1.0, -2.0], 0.25, 3)
    np.testing.assert_allclose(trajectory, [[1, -2], [0.5, -1], [0.25, -0.5], [0.125, -0.25]])
    with pytest.raises(ValueError, match="learning rate"):
        gradient_descent(lambda w: w, [1.0], -0.1, 3)
    with pytest.raises(ValueError, match="unknown surface 'nope'"):
        get_surface("nope")
    with pytest.raises(ValueError, match="symmetric"):
        quadratic("q", "q", [[1, 2], [0, 1]], bounds=((0, 1), (0, 1)), start=(0, 0),
                  default_lr=0.1)


def test_classify_names_an_oscillation():
    zigzag = np.array([[(-1.0) ** k * 0.999**k, 0.0] for k in range(30)])
    assert classify(zigzag, np.linspace(1.0, 0.9, 30), 29) == "oscillating"
    steady = np.array([[1.0 - 0.01 * k, 0.0] for k in range(30)])
    assert classify(steady, np.linspace(1.0, 0.5, 30), 29) == "descending"
