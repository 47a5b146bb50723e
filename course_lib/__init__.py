"""course_lib: the small library behind the lessons.

The numpy autograd engine (`Tensor`, `no_grad`, `gradcheck`) is imported eagerly because every
lesson uses it; heavier parts (`nn`, `optim`, `viz`, `widgets`, `training`, ...) are submodules
imported on first use, so `import course_lib` stays fast and does not import torch.
"""

from __future__ import annotations

import importlib

from course_lib.random import get_generator, manual_seed

__all__ = ["Tensor", "no_grad", "is_grad_enabled", "gradcheck", "manual_seed", "get_generator"]

_LAZY_ATTRS = {
    "Tensor": ("course_lib.engine", "Tensor"),
    "no_grad": ("course_lib.engine", "no_grad"),
    "is_grad_enabled": ("course_lib.engine", "is_grad_enabled"),
    "gradcheck": ("course_lib.gradcheck", "gradcheck"),
}


def __getattr__(name: str):
    """Resolve `course_lib.Tensor` etc. and submodules such as `course_lib.nn` on first use."""
    if name in _LAZY_ATTRS:
        module, attr = _LAZY_ATTRS[name]
        return getattr(importlib.import_module(module), attr)
    try:
        return importlib.import_module(f"course_lib.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"course_lib.{name}":
            raise
        raise AttributeError(f"module 'course_lib' has no attribute {name!r}") from None
