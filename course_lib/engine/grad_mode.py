"""Whether operations record the computational graph: `no_grad()` and `is_grad_enabled()`."""

from __future__ import annotations

import functools

# Read by `Tensor._from_op` on every operation. Global to the process (not per thread), like a
# single-threaded notebook expects; use `no_grad()` to change it, `is_grad_enabled()` to read it.
enabled = True


def is_grad_enabled() -> bool:
    """Whether new operations record the graph (False inside `no_grad()`)."""
    return enabled


class no_grad:
    """Switch off graph recording: a context manager (`with no_grad():`) and a decorator.

    Inside it, operations compute values only: nothing is recorded, so nothing can be
    backpropagated and no memory is spent on the graph. Use it for parameter updates and
    evaluation. Nests freely: leaving the block restores whatever was in force before it.
    """

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self if func is None else self(func)  # bare `@no_grad` works like `@no_grad()`

    def __enter__(self):
        global enabled
        self._previous, enabled = enabled, False
        return self

    def __exit__(self, *exc_info):
        global enabled
        enabled = self._previous

    def __call__(self, func):
        @functools.wraps(func)
        def without_grad(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)

        return without_grad
