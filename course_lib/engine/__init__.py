"""A reference autograd engine on numpy, shaped like PyTorch.

Names and semantics follow PyTorch (`Tensor`, `requires_grad`, `.grad`, `.backward()`,
`no_grad()`, gradients that *accumulate* across backward calls), so a lesson can swap
`course_lib` for `torch` without relearning anything. Where to read what:

* `tensor.py`: the `Tensor` class; each operation's forward and gradient rule side by side.
* `autograd.py`: the backward pass (iterative topological sort, gradient accumulation).
* `_shapes.py`: undoing broadcasting in gradients, and shape errors that name the shapes.
* `grad_mode.py`: `no_grad()` and `is_grad_enabled()`.

Differences from torch worth knowing:

* float64 by default (gradient checks need the precision); pass `dtype="float32"` for float32.
* `backward()` keeps the graph, as if `retain_graph=True` were always given.
* `max` sends the gradient to the maximal entries, split evenly between ties (like `torch.amax`).
* `transpose()` with no axes reverses them (numpy, `.T`); with two axes it swaps them (torch).
* Comparisons (`<`, `==`, ...) return plain numpy boolean arrays.
* `no_grad()` sets one process-wide flag (torch's is per thread).

As in torch, only leaves keep `.grad` (call `retain_grad()` on an intermediate to keep its
gradient too), and `Tensor._from_op(data, parents, backward, op)` is how fused operations
(cross-entropy, linear layers) join the graph with a hand-written gradient.
"""

from __future__ import annotations

import numpy as np

from course_lib.engine._shapes import shape_args
from course_lib.engine.grad_mode import is_grad_enabled, no_grad
from course_lib.engine.tensor import Tensor

__all__ = ["Tensor", "tensor", "zeros", "ones", "no_grad", "is_grad_enabled"]


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Same as `Tensor(...)`: the torch spelling."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _filled(value: float, shape: tuple, requires_grad: bool, dtype) -> Tensor:
    return Tensor(np.full(shape_args(shape), value, dtype=dtype or np.float64), requires_grad)


def zeros(*shape, requires_grad: bool = False, dtype=None) -> Tensor:
    """A tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _filled(0.0, shape, requires_grad, dtype)


def ones(*shape, requires_grad: bool = False, dtype=None) -> Tensor:
    """A tensor of ones: `ones(2, 3)` or `ones((2, 3))`."""
    return _filled(1.0, shape, requires_grad, dtype)
