"""Gradient descent on a 2-d surface, recorded step by step, and a verdict on how it went.

The widgets and the lessons need the same three things: the trajectory (every point visited),
the loss along it, and a plain-words status (converged, oscillating, diverged, still
descending). A diverging run is stopped as soon as its weights leave a huge box or stop being
finite, so nothing overflows and numpy prints no warnings; the trajectory simply ends there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.surfaces import Surface, get_surface

__all__ = ["DescentRun", "SGDResult", "classify", "gradient_descent", "minibatch_sgd_linear",
           "run_descent"]

# Weights beyond this are "gone": stop before the loss overflows float64.
ESCAPE_NORM = 1e12


def gradient_descent(gradient, w0, lr: float, steps: int, *, escape_norm: float = ESCAPE_NORM,
                     update=None) -> np.ndarray:
    """Run ``w <- w - lr * gradient(w)`` for `steps` steps; return the ``(k + 1, d)`` trajectory.

    Row 0 is `w0`. The run stops early (fewer rows) once the weights are non-finite or their
    norm exceeds `escape_norm`. `update(w, g, lr)`, if given, replaces the plain step, so other
    optimizers (momentum, Adam, ...) can reuse the bookkeeping.
    """
    if lr <= 0 or not np.isfinite(lr):
        raise ValueError(f"the learning rate must be a positive number, got {lr}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    w = np.array(w0, dtype=float)
    points = [w.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(steps)):
            g = gradient(w)
            w = w - lr * g if update is None else update(w, g, lr)
            if not np.all(np.isfinite(w)) or np.linalg.norm(w) > escape_norm:
                break
            points.append(np.array(w, dtype=float))
    return np.array(points)


def classify(trajectory: np.ndarray, losses: np.ndarray, steps: int, *,
             grad_norms: np.ndarray | None = None, gtol: float = 1e-3) -> str:
    """Name what a descent run did: "diverged", "converged", "oscillating" or "descending".

    * diverged: the run escaped (stopped early) or ended with a higher loss than it started.
    * converged: the last gradient is tiny (norm below `gtol`), so the steps have stopped.
    * oscillating: not converged, and most of the last steps reverse the previous step's
      direction (the zig-zag of a learning rate close to the stability limit).
    * descending: none of these: the loss is going down, just not there yet.
    """
    escaped = len(trajectory) < steps + 1
    if escaped or (len(losses) > 1 and losses[-1] > losses[0]):
        return "diverged"
    if grad_norms is not None and len(grad_norms) and grad_norms[-1] < gtol:
        return "converged"
    moves = np.diff(trajectory[-21:], axis=0)
    if len(moves) >= 4:
        turns = np.einsum("ij,ij->i", moves[1:], moves[:-1]) < 0
        if turns.mean() > 0.5:
            return "oscillating"
    return "descending"


@dataclass(frozen=True)
class DescentRun:
    """One recorded run: where it went, the loss on the way, and a one-word verdict."""

    surface: Surface
    lr: float
    steps: int
    trajectory: np.ndarray
    losses: np.ndarray
    status: str

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


def run_descent(surface: str | Surface, lr: float, steps: int, *, start=None,
                update=None) -> DescentRun:
    """Gradient descent on a named surface from its fixed start point (or `start`)."""
    surf = get_surface(surface)
    w0 = surf.start if start is None else np.asarray(start, dtype=float)
    trajectory = gradient_descent(surf.gradient, w0, lr, steps, update=update)
    with np.errstate(over="ignore", invalid="ignore"):
        losses = surf.value(trajectory)
        grad_norms = np.linalg.norm(surf.gradient(trajectory), axis=-1)
    status = classify(trajectory, losses, steps, grad_norms=grad_norms)
    return DescentRun(surf, float(lr), int(steps), trajectory, losses, status)


@dataclass(frozen=True)
class SGDResult:
    """Weights after training, and the full-data loss after every epoch and every update."""

    w: np.ndarray
    b: float
    epoch_losses: np.ndarray
    step_losses: np.ndarray


def _mse(X, y, w, b) -> float:
    return float(np.mean((X @ w + b - y) ** 2))


def minibatch_sgd_linear(X, y, lr: float, epochs: int, batch_size: int,
                         rng: np.random.Generator) -> SGDResult:
    """Mini-batch SGD for linear regression ``y ~ X w + b`` with the mean squared error.

    Starts from zeros; every epoch visits the examples in the order ``rng.permutation(n)``,
    in batches of `batch_size` (the last one may be smaller). ``batch_size = n`` is batch
    gradient descent, ``batch_size = 1`` is stochastic gradient descent. Used by lesson 01 to
    compare the three; the full-data loss is recorded after every update.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    n, d = X.shape
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},) to match X of shape {X.shape}, got {y.shape}")
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be between 1 and n = {n}, got {batch_size}")
    w, b = np.zeros(d), 0.0
    epoch_losses, step_losses = [], [_mse(X, y, w, b)]
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            residual = X[idx] @ w + b - y[idx]
            w = w - lr * 2.0 * X[idx].T @ residual / len(idx)
            b = b - lr * 2.0 * float(residual.mean())
            step_losses.append(_mse(X, y, w, b))
        epoch_losses.append(step_losses[-1])
    return SGDResult(w, b, np.array(epoch_losses), np.array(step_losses))
