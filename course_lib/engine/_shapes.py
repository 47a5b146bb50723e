"""Shape bookkeeping shared by the operations: undoing broadcasting, readable shape errors."""

from __future__ import annotations

import numpy as np


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` back down to `shape`: the one place where broadcasting is undone.

    If an input of shape (3, 1) was broadcast to (2, 3, 4) in the forward pass, each of its
    entries was used 2 * 4 times, so its gradient is the sum over those copies.
    """
    if grad.shape == shape:
        return grad
    leading = grad.ndim - len(shape)
    stretched = tuple(i + leading for i, n in enumerate(shape) if n == 1)
    return grad.sum(axis=tuple(range(leading)) + stretched, keepdims=True).reshape(shape)


def broadcasting(name: str, ufunc, a, b) -> np.ndarray:
    """`ufunc(a.data, b.data)`, with numpy's broadcasting error turned into one naming `name`."""
    try:
        return ufunc(a.data, b.data)
    except ValueError:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast") from None


def reducing(name: str, reduce, a, axis, keepdims: bool) -> np.ndarray:
    """A numpy reduction of `a.data`, with an error naming the axis and shape if `axis` is wrong."""
    try:
        return np.asarray(reduce(a.data, axis=axis, keepdims=keepdims))
    except (ValueError, IndexError, TypeError):
        raise ValueError(f"{name}: axis {axis} is out of range for shape {a.shape}") from None


def expand_reduced(grad: np.ndarray, axis, keepdims: bool, ndim: int) -> np.ndarray:
    """Re-insert the axes a reduction removed, so `grad` broadcasts against the input."""
    if keepdims:
        return grad
    if axis is None:
        return grad.reshape((1,) * ndim)
    return np.expand_dims(grad, axis)


def shape_args(args: tuple) -> tuple:
    """Accept both spellings torch accepts: `f(2, 3)` and `f((2, 3))`."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
