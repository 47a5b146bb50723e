"""Check backpropagated gradients against central finite differences.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> gradcheck(lambda x: (x * x).sum(), x)
    gradcheck passed: ...

For each input that requires grad and each of its elements, the numeric derivative is

    (f(x + eps) - f(x - eps)) / (2 * eps)        error O(eps**2)

and it must agree with the gradient `backward()` computes, elementwise, within
`atol + rtol * |numeric|` (numpy's `isclose` rule). Use float64 inputs: in float32 the rounding
error of f, divided by 2 * eps, swamps the comparison.

A non-scalar output is reduced to a scalar by a fixed random projection, `(out * w).sum()` with
`w` drawn from a seeded normal distribution: unlike a plain `sum`, it gives every output element
a different weight, so a gradient that lands on the wrong element (a transposed or shifted
gradient) still shows up. The seed is fixed, so a check is reproducible.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import numpy as np

from course_lib.engine import Tensor, no_grad

__all__ = ["gradcheck", "numerical_gradient", "GradcheckError", "GradcheckReport", "InputCheck"]


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; the message says where and by how much."""

    def __init__(self, message: str, report: GradcheckReport):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class InputCheck:
    """The comparison for one input: its worst element and whether it passed."""

    position: int  # which argument of fn
    shape: tuple
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple  # the element farthest outside the tolerance (or with the largest error)
    numeric: float  # numeric and analytic derivative at worst_index
    analytic: float
    passed: bool

    def __str__(self) -> str:
        verdict = "ok" if self.passed else "MISMATCH"
        return (f"input {self.position} {self.shape}: max abs error {self.max_abs_error:.2e}, "
                f"max rel error {self.max_rel_error:.2e}  {verdict}")


@dataclass(frozen=True)
class GradcheckReport:
    """What `gradcheck` found, per input; truthy when every input passed."""

    inputs: tuple
    eps: float
    atol: float
    rtol: float

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.inputs)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = (f"gradcheck {'passed' if self.passed else 'FAILED'} "
                f"(eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})")
        return "\n".join([head + ":", *(f"  {check}" for check in self.inputs)])

    __repr__ = __str__


def _as_scalar(out, seed: int) -> Tensor:
    """A scalar from fn's output: itself if it has one element, else a fixed random projection."""
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor; it returned {type(out).__name__}")
    if out.size == 1:
        return out.sum()
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    return (out * weights).sum()


def numerical_gradient(fn, *inputs: Tensor, eps: float = 1e-6, seed: int = 0) -> list:
    """Central-difference gradient of (the scalar made from) `fn(*inputs)` for each input that
    requires grad (None for the others). Inputs are restored exactly afterwards."""
    def value() -> float:
        with no_grad():
            return _as_scalar(fn(*inputs), seed).item()

    grads = []
    for x in inputs:
        if not x.requires_grad:
            grads.append(None)
            continue
        grad = np.zeros(x.shape, dtype=np.float64)
        for index in np.ndindex(*x.shape):
            original = x.data[index]
            x.data[index] = original + eps
            above = value()
            x.data[index] = original - eps
            below = value()
            x.data[index] = original
            grad[index] = (above - below) / (2 * eps)
        grads.append(grad)
    return grads


def _analytic_gradient(fn, inputs: tuple, seed: int) -> list:
    """The gradients backward() gives, leaving every input's `.grad` as it was."""
    saved = [x.grad for x in inputs]
    try:
        for x in inputs:
            x.grad = None
        loss = _as_scalar(fn(*inputs), seed)
        if loss.requires_grad:
            loss.backward()
        return [None if not x.requires_grad else
                np.zeros(x.shape) if x.grad is None else np.array(x.grad, dtype=np.float64)
                for x in inputs]
    finally:
        for x, grad in zip(inputs, saved, strict=True):
            x.grad = grad


def _compare(position: int, numeric, analytic, atol: float, rtol: float) -> InputCheck:
    abs_error = np.abs(numeric - analytic)
    rel_error = abs_error / np.maximum(np.abs(numeric), 1e-12)
    excess = abs_error - (atol + rtol * np.abs(numeric))  # > 0 where the check fails
    worst = np.unravel_index(np.argmax(excess), numeric.shape) if numeric.size else ()
    return InputCheck(
        position=position, shape=numeric.shape,
        max_abs_error=float(abs_error.max(initial=0.0)),
        max_rel_error=float(rel_error.max(initial=0.0)),
        worst_index=tuple(int(i) for i in worst),
        numeric=float(numeric[worst]) if numeric.size else 0.0,
        analytic=float(analytic[worst]) if numeric.size else 0.0,
        passed=bool(np.all(excess <= 0)),
    )


def gradcheck(fn, *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-4,
              raise_exception: bool = True, seed: int = 0) -> GradcheckReport:
    """Compare backprop with central differences for every input of `fn` that requires grad.

    Returns a `GradcheckReport` (print it for a per-input summary). On a mismatch raises
    `GradcheckError` naming the input, the element, and the numeric and analytic values; with
    `raise_exception=False` it returns the failing report instead (as torch's gradcheck does).
    """
    for position, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"gradcheck: input {position} must be a Tensor; got "
                            f"{type(x).__name__}")
    if not any(x.requires_grad for x in inputs):
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check "
                         "(create them with requires_grad=True)")
    analytic = _analytic_gradient(fn, inputs, seed)
    numeric = numerical_gradient(fn, *inputs, eps=eps, seed=seed)
    checks = tuple(_compare(position, num, ana, atol, rtol)
                   for position, (num, ana) in enumerate(zip(numeric, analytic, strict=True))
                   if num is not None)
    report = GradcheckReport(inputs=checks, eps=eps, atol=atol, rtol=rtol)
    failed = [check for check in checks if not check.passed]
    if failed and raise_exception:
        first = failed[0]
        raise GradcheckError(
            f"gradcheck: gradient of input {first.position} (shape {first.shape}) is wrong at "
            f"index {first.worst_index}: numeric {first.numeric:.6g}, analytic (backward) "
            f"{first.analytic:.6g}, abs error {abs(first.numeric - first.analytic):.3g} > "
            f"atol + rtol * |numeric| = {atol + rtol * abs(first.numeric):.3g}\n{report}",
            report,
        )
    return report


class _CallableModule(types.ModuleType):
    """`course_lib.gradcheck` names both this module and its function, and Python binds the
    package attribute to the module once the module is imported. Making the module callable
    keeps `course_lib.gradcheck(fn, x)` working however it was first reached."""

    def __call__(self, *args, **kwargs) -> GradcheckReport:
        return gradcheck(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
