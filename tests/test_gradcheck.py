"""`gradcheck` passes correct gradients, catches wrong ones, says where, and changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib
from course_lib.engine import Tensor
from course_lib.gradcheck import GradcheckError, gradcheck, numerical_gradient


def square_with_rule(rule):
    """x**2 as a fused op whose backward is `rule(g, x)`: lets a test plant a wrong gradient."""
    def square(x):
        return Tensor._from_op(x.data ** 2, (x,), lambda g: (rule(g, x.data),), "square")
    return square


def test_a_correct_gradient_passes_with_a_readable_report():
    x = Tensor(np.array([[0.5, -1.0], [2.0, 0.1]]), requires_grad=True)
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    report = gradcheck(lambda x, w: (x @ w).tanh(), x, w)
    assert report.passed and bool(report)
    assert [check.position for check in report.inputs] == [0, 1]
    assert all(check.max_abs_error < 1e-8 for check in report.inputs)
    text = str(report)
    assert text.startswith("gradcheck passed") and "input 1 (2,)" in text and "ok" in text
    assert repr(report) == text


def test_course_lib_gradcheck_is_callable_however_it_was_imported():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert course_lib.gradcheck(lambda x: (x * x).sum(), x).passed


def test_a_wrong_gradient_raises_naming_input_index_and_values():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(GradcheckError) as error:
        gradcheck(lambda x: square_with_rule(lambda g, x: g * x)(x).sum(), x)  # no factor 2
    message = str(error.value)
    assert "input 0 (shape (3,))" in message and "index (2,)" in message
    assert "numeric 6" in message and "analytic (backward) 3" in message
    assert "MISMATCH" in message
    assert isinstance(error.value, AssertionError) and not error.value.report.passed


def test_a_gradient_wrong_at_one_element_only_is_found_there():
    def rule(g, x):
        grad = 2 * x * g
        grad[1, 0] += 1e-3
        return grad

    x = Tensor(np.ones((2, 3)), requires_grad=True)
    report = gradcheck(square_with_rule(rule), x, raise_exception=False)
    assert not report.passed and report.inputs[0].worst_index == (1, 0)
    assert report.inputs[0].max_abs_error == pytest.approx(1e-3, rel=1e-3)


def test_non_scalar_outputs_use_a_projection_that_catches_misplaced_gradients():
    """A gradient that lands on the wrong element passes under a plain sum, not here."""
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    shifted = Tensor._from_op  # backward rolls the gradient: sum(grad) stays right

    def bad_double(x):
        return shifted(2 * x.data, (x,), lambda g: (2 * np.roll(g, 1),), "double")

    with pytest.raises(GradcheckError):
        gradcheck(bad_double, x)
    gradcheck(lambda x: bad_double(x).sum(), x)  # the plain sum cannot see the bug


def test_inputs_are_left_exactly_as_they_were():
    x = Tensor(np.array([0.3, -0.7]), requires_grad=True)
    y = Tensor(np.array([1.5, 2.5]))  # does not require grad: not checked, not touched
    x.grad = np.array([10.0, 20.0])
    before = x.data.copy()
    report = gradcheck(lambda x, y: (x * y).exp().sum(), x, y)
    np.testing.assert_array_equal(x.data, before)
    np.testing.assert_array_equal(x.grad, [10.0, 20.0])
    assert y.grad is None and len(report.inputs) == 1


def test_numerical_gradient_is_a_central_difference():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (grad,) = numerical_gradient(lambda x: (x ** 3).sum(), x)
    np.testing.assert_allclose(grad, 3 * x.data ** 2, rtol=1e-8)


def test_bad_calls_are_explained():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda x: x.sum(), Tensor([1.0]))
    with pytest.raises(TypeError, match="input 0 must be a Tensor; got ndarray"):
        gradcheck(lambda x: x, np.ones(2))
    with pytest.raises(TypeError, match="fn must return a Tensor; it returned float"):
        gradcheck(lambda x: 1.0, Tensor([1.0], requires_grad=True))
