"""Optimizers' update rules on numpy vectors, with `torch.optim`'s exact conventions.

Lesson 08 needs the same optimizers in two places: the comparison widget moves a 2-d point
across a surface (numpy, thousands of steps per redraw), and the exercises' tests replay one
gradient sequence through a student's rule and through `torch.optim` and compare the
trajectories. This module holds both sides:

* `UpdateRule` objects (`make_rule("adam", lr=0.1)`), each a small stateful ``step(w, g)``
  following the pseudo-code in PyTorch's documentation, so their numbers match `torch.optim` to
  rounding error (`tests/test_update_rules.py` checks that);
* `replay(step_fn, gradients, w0, **hparams)`, which drives a student's
  ``step_fn(w, grad, state, **hparams)`` through a gradient sequence (a fixed list, or a function
  of the current point such as a surface's gradient);
* `torch_replay(name, gradients, w0, **hparams)`, the same with a real `torch.optim` optimizer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from course_lib.descent import DescentRun, classify, gradient_descent
from course_lib.surfaces import Surface, get_surface

__all__ = ["UpdateRule", "RULES", "make_rule", "run_optimizer", "replay", "torch_replay",
           "seeded_gradients", "assert_matches_torch"]


@dataclass
class UpdateRule:
    """A stateful optimizer for one numpy vector; ``step(w, g)`` returns the new `w`."""

    lr: float
    state: dict = field(default_factory=dict, repr=False)

    def step(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        raise NotImplementedError("an UpdateRule subclass defines step()")


@dataclass
class SGD(UpdateRule):
    """``torch.optim.SGD``: velocity ``b <- momentum b + g`` (``b = g`` at the first step)."""

    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0

    def step(self, w, g):
        g = g + self.weight_decay * w
        if self.momentum:
            b = self.state.get("b")
            b = g.copy() if b is None else self.momentum * b + g
            self.state["b"] = b
            g = g + self.momentum * b if self.nesterov else b
        return w - self.lr * g


@dataclass
class RMSprop(UpdateRule):
    """``torch.optim.RMSprop``: divide by the root of a running mean of squared gradients."""

    alpha: float = 0.99
    eps: float = 1e-8

    def step(self, w, g):
        v = self.alpha * self.state.get("v", 0.0) + (1 - self.alpha) * g * g
        self.state["v"] = v
        return w - self.lr * g / (np.sqrt(v) + self.eps)


@dataclass
class Adam(UpdateRule):
    """``torch.optim.Adam`` / ``AdamW`` (Kingma & Ba 2015; Loshchilov & Hutter 2019).

    ``decoupled=False`` adds ``weight_decay * w`` to the gradient (L2, Adam's way);
    ``decoupled=True`` shrinks the weights directly, ``w <- w (1 - lr weight_decay)`` (AdamW).
    """

    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    decoupled: bool = False

    def step(self, w, g):
        if self.decoupled:
            w = w * (1 - self.lr * self.weight_decay)
        else:
            g = g + self.weight_decay * w
        t = self.state.get("t", 0) + 1
        m = self.beta1 * self.state.get("m", 0.0) + (1 - self.beta1) * g
        v = self.beta2 * self.state.get("v", 0.0) + (1 - self.beta2) * g * g
        self.state.update(t=t, m=m, v=v)
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        return w - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _adamw(**hparams) -> Adam:
    return Adam(decoupled=True, **{"weight_decay": 1e-2, **hparams})


RULES = {
    "sgd": SGD,
    "momentum": lambda **h: SGD(**{"momentum": 0.9, **h}),
    "nesterov": lambda **h: SGD(nesterov=True, **{"momentum": 0.9, **h}),
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": _adamw,
}


def make_rule(name: str, **hparams) -> UpdateRule:
    """A fresh rule by name ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")."""
    if name not in RULES:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(RULES)}")
    return RULES[name](**hparams)


def run_optimizer(name: str, surface: str | Surface, steps: int, *, start=None,
                  **hparams) -> DescentRun:
    """Run optimizer `name` on a 2-d surface: a `DescentRun` like lesson 01's `run_descent`."""
    surf = get_surface(surface)
    rule = make_rule(name, **hparams)
    w0 = surf.start if start is None else np.asarray(start, dtype=float)
    trajectory = gradient_descent(surf.gradient, w0, rule.lr, steps,
                                  update=lambda w, g, lr: rule.step(w, g))
    with np.errstate(over="ignore", invalid="ignore"):
        losses = surf.value(trajectory)
        grad_norms = np.linalg.norm(surf.gradient(trajectory), axis=-1)
    status = classify(trajectory, losses, steps, grad_norms=grad_norms)
    return DescentRun(surf, float(rule.lr), int(steps), trajectory, losses, status)


def seeded_gradients(seed: int, steps: int, size: int, *, scale: float = 1.0) -> np.ndarray:
    """A reproducible gradient sequence of shape ``(steps, size)`` with varied magnitudes.

    Each step's gradient is normal noise times a per-step factor between 0.1 and 10, so that
    rules which rescale by gradient size (RMSprop, Adam) differ visibly from those which do not.
    """
    rng = np.random.default_rng(seed)
    magnitude = 10.0 ** rng.uniform(-1, 1, size=(steps, 1))
    return scale * magnitude * rng.normal(size=(steps, size))


def _gradient_source(gradients):
    if callable(gradients):
        return gradients, None
    gradients = np.asarray(gradients, dtype=float)
    return None, gradients


def replay(step_fn, gradients, w0, *, steps: int | None = None, **hparams) -> np.ndarray:
    """Drive ``step_fn(w, grad, state, **hparams) -> new w`` through a gradient sequence.

    `gradients` is an array of shape ``(steps, d)`` (used in order) or a function of the current
    point (then `steps` says how many). `state` is one dict, empty at first, passed to every
    call. Returns the trajectory, shape ``(steps + 1, d)``, starting with `w0`.
    """
    fn, fixed = _gradient_source(gradients)
    n = len(fixed) if fixed is not None else int(steps)
    w = np.array(w0, dtype=float)
    state: dict = {}
    points = [w.copy()]
    for t in range(n):
        g = fixed[t] if fixed is not None else np.asarray(fn(w), dtype=float)
        w = step_fn(w.copy(), g.copy(), state, **hparams)
        points.append(np.array(w, dtype=float))
    return np.array(points)


_TORCH_NAMES = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}


def torch_replay(name: str, gradients, w0, *, steps: int | None = None,
                 **torch_kwargs) -> np.ndarray:
    """The trajectory `torch.optim.<name>(**torch_kwargs)` takes through the same gradients.

    `name` is "sgd", "rmsprop", "adam" or "adamw"; keyword arguments are torch's own (e.g.
    ``momentum=0.9, nesterov=True`` for SGD, ``betas=(0.9, 0.999)`` for Adam). Runs in float64.
    """
    import torch

    if name not in _TORCH_NAMES:
        raise ValueError(f"torch_replay: unknown optimizer {name!r}; choose one of "
                         f"{sorted(_TORCH_NAMES)}")
    fn, fixed = _gradient_source(gradients)
    n = len(fixed) if fixed is not None else int(steps)
    param = torch.nn.Parameter(torch.tensor(np.asarray(w0, dtype=float), dtype=torch.float64))
    optimizer = getattr(torch.optim, _TORCH_NAMES[name])([param], **torch_kwargs)
    points = [param.detach().numpy().copy()]
    for t in range(n):
        g = fixed[t] if fixed is not None else np.asarray(fn(points[-1]), dtype=float)
        param.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        points.append(param.detach().numpy().copy())
    return np.array(points)


def assert_matches_torch(step_fn, label: str, *, gradients, w0, hparams: dict, torch_name: str,
                         torch_kwargs: dict, steps: int | None = None,
                         hint: str | None = None) -> None:
    """Lesson 08's test: `step_fn` and `torch.optim` walk the same path through `gradients`.

    Fails with a message naming the first step where the two trajectories part, and what the
    student's rule and torch did there (a `course_lib.checks.CheckFailure`).
    """
    from course_lib.checks import assert_close, check, run_case

    ours = run_case(label, replay, step_fn, gradients, w0, steps=steps, **hparams)
    theirs = torch_replay(torch_name, gradients, w0, steps=steps, **torch_kwargs)
    check(ours.shape == theirs.shape, f"{label}: your rule returned points of shape "
                                      f"{ours.shape[1:]}, expected {theirs.shape[1:]}")
    close = np.isclose(ours, theirs, rtol=1e-6, atol=1e-9).all(axis=1)
    first = int(np.argmin(close)) if not close.all() else len(close)
    if first < len(close):
        assert_close(ours[first], theirs[first], rtol=1e-6, atol=1e-9, hint=hint,
                     name=f"{label}: w after step {first} (steps before it matched torch)")
