"""Two-dimensional loss surfaces for watching optimizers move.

A real network's loss lives in millions of dimensions, but the behaviours that matter for
choosing a learning rate (slow crawling, zig-zagging, divergence, getting stuck) all show up on
a surface of two weights that we can draw as a contour map. Each :class:`Surface` bundles
everything a plot or a test needs: the loss value, its gradient, its Hessian, plot bounds, a
fixed start point and the minima.

All functions are vectorised over leading axes: ``surface.value(w)`` accepts ``w`` of shape
``(2,)`` or ``(..., 2)`` (a whole contour grid at once) and returns shape ``()`` or ``(...)``.

The four surfaces, by name (``get_surface(name)``):

* ``"bowl"``: a round quadratic bowl, ``w1**2 + w2**2``. Every direction has the same curvature.
* ``"ravine"``: an elongated quadratic (curvatures 1 and 20, rotated by 30 degrees): a narrow
  valley where plain gradient descent zig-zags across and crawls along.
* ``"local_minimum"``: a tilted double well with a shallow local minimum on the right and the
  global minimum on the left; descent started on the right gets stuck.
* ``"rosenbrock"``: Rosenbrock's banana-shaped valley (Rosenbrock 1960), a classic test of
  optimizers: easy to find the valley, hard to follow it to the minimum at (1, 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Surface", "SURFACES", "get_surface", "quadratic"]


@dataclass(frozen=True)
class Surface:
    """A 2-d loss surface with its derivatives, plotting window, start point and minima.

    `stability_limit` is ``2 / lambda_max`` of the (constant) Hessian for quadratic surfaces,
    the largest learning rate for which gradient descent converges, and ``None`` otherwise.
    `minima[0]` is the global minimum; later entries are local minima.
    """

    name: str
    title: str
    value: Callable[[np.ndarray], np.ndarray]
    gradient: Callable[[np.ndarray], np.ndarray]
    hessian: Callable[[np.ndarray], np.ndarray]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    start: np.ndarray
    minima: tuple[np.ndarray, ...]
    default_lr: float
    is_quadratic: bool = False
    notes: str = field(default="", compare=False)

    @property
    def min_value(self) -> float:
        """The loss at the global minimum (what "loss - minimum" curves are measured against)."""
        return float(self.value(self.minima[0]))

    @property
    def stability_limit(self) -> float | None:
        """``2 / lambda_max`` of the Hessian if it is constant (a quadratic), else ``None``."""
        if not self.is_quadratic:
            return None
        return 2.0 / float(np.linalg.eigvalsh(self.hessian(self.start)).max())

    def local_stability_limit(self, w=None) -> float:
        """``2 / lambda_max`` of the Hessian at `w` (default: the global minimum).

        Near a minimum every smooth surface looks like a quadratic with that Hessian, so this
        is the learning rate above which descent cannot settle into the minimum.
        """
        point = self.minima[0] if w is None else np.asarray(w, dtype=float)
        return 2.0 / float(np.linalg.eigvalsh(self.hessian(point)).max())

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(W1, W2, loss)`` on an ``n x n`` grid over the plot bounds, for contour plots."""
        (x0, x1), (y0, y1) = self.bounds
        w1, w2 = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        return w1, w2, self.value(np.stack([w1, w2], axis=-1))


def _as_points(w) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    if w.shape[-1:] != (2,):
        raise ValueError(f"a surface takes points of shape (2,) or (..., 2), got shape {w.shape}")
    return w


def quadratic(name: str, title: str, hessian, *, center=(0.0, 0.0), bounds, start,
              default_lr: float) -> Surface:
    """The quadratic ``0.5 (w - c)^T A (w - c)`` with symmetric positive definite ``A``.

    Its gradient is ``A (w - c)`` and its Hessian is ``A`` everywhere, so gradient descent on it
    is a linear map whose behaviour is decided by ``A``'s eigenvalues alone.
    """
    a = np.asarray(hessian, dtype=float)
    c = np.asarray(center, dtype=float)
    if a.shape != (2, 2) or not np.allclose(a, a.T):
        raise ValueError(f"the Hessian must be a symmetric 2x2 matrix, got {a.tolist()}")

    def value(w):
        d = _as_points(w) - c
        return 0.5 * np.einsum("...i,ij,...j->...", d, a, d)

    def gradient(w):
        return (_as_points(w) - c) @ a.T

    def hess(w):
        return np.broadcast_to(a, _as_points(w).shape[:-1] + (2, 2)).copy()

    return Surface(name, title, value, gradient, hess, bounds, np.asarray(start, dtype=float),
                   (c,), default_lr, is_quadratic=True)


def _rotation(degrees: float) -> np.ndarray:
    t = np.deg2rad(degrees)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


_R = _rotation(30.0)
BOWL = quadratic("bowl", "Round bowl: w1² + w2²", 2.0 * np.eye(2), bounds=((-4, 4), (-4, 4)),
                 start=(-3.5, 2.5), default_lr=0.1)
RAVINE = quadratic("ravine", "Elongated ravine (curvatures 1 and 20)",
                   _R @ np.diag([1.0, 20.0]) @ _R.T, bounds=((-5, 5), (-4, 4)),
                   start=(-4.5, 1.0), default_lr=0.05)

# Tilted double well: f = (w1² - 1)² + TILT * w1 + w2² / 2.
_TILT = 0.5


def _double_well_value(w):
    w = _as_points(w)
    x, y = w[..., 0], w[..., 1]
    return (x**2 - 1.0) ** 2 + _TILT * x + 0.5 * y**2


def _double_well_gradient(w):
    w = _as_points(w)
    x, y = w[..., 0], w[..., 1]
    return np.stack([4.0 * x * (x**2 - 1.0) + _TILT, y], axis=-1)


def _double_well_hessian(w):
    w = _as_points(w)
    x = w[..., 0]
    h = np.zeros(w.shape[:-1] + (2, 2))
    h[..., 0, 0] = 12.0 * x**2 - 4.0
    h[..., 1, 1] = 1.0
    return h


def _double_well_minima() -> tuple[np.ndarray, ...]:
    """Roots of 4x^3 - 4x + TILT with positive curvature, the deepest first."""
    roots = np.roots([4.0, 0.0, -4.0, _TILT])
    xs = [r.real for r in roots if abs(r.imag) < 1e-12 and 12.0 * r.real**2 - 4.0 > 0]
    points = [np.array([x, 0.0]) for x in xs]
    return tuple(sorted(points, key=lambda p: float(_double_well_value(p))))


LOCAL_MINIMUM = Surface(
    "local_minimum", "Double well: local minimum (right), global (left)",
    _double_well_value, _double_well_gradient, _double_well_hessian,
    bounds=((-2.0, 2.0), (-2.0, 2.0)), start=np.array([1.9, 1.6]),
    minima=_double_well_minima(), default_lr=0.05,
    notes="Started on the right, small steps settle into the local minimum near w1 = 0.93.")


def _rosenbrock_value(w):
    w = _as_points(w)
    x, y = w[..., 0], w[..., 1]
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def _rosenbrock_gradient(w):
    w = _as_points(w)
    x, y = w[..., 0], w[..., 1]
    return np.stack([-2.0 * (1.0 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2)], axis=-1)


def _rosenbrock_hessian(w):
    w = _as_points(w)
    x, y = w[..., 0], w[..., 1]
    h = np.empty(w.shape[:-1] + (2, 2))
    h[..., 0, 0] = 2.0 - 400.0 * (y - x**2) + 800.0 * x**2
    h[..., 0, 1] = h[..., 1, 0] = -400.0 * x
    h[..., 1, 1] = 200.0
    return h


ROSENBROCK = Surface(
    "rosenbrock", "Rosenbrock's valley (minimum at (1, 1))",
    _rosenbrock_value, _rosenbrock_gradient, _rosenbrock_hessian,
    bounds=((-2.0, 2.0), (-1.0, 3.0)), start=np.array([-1.5, 2.0]),
    minima=(np.array([1.0, 1.0]),), default_lr=1e-3)

SURFACES: dict[str, Surface] = {s.name: s for s in (BOWL, RAVINE, LOCAL_MINIMUM, ROSENBROCK)}


def get_surface(surface: str | Surface) -> Surface:
    """Look a surface up by name (a `Surface` passes through unchanged)."""
    if isinstance(surface, Surface):
        return surface
    try:
        return SURFACES[surface]
    except KeyError:
        raise ValueError(f"unknown surface {surface!r}; choose one of {sorted(SURFACES)}") from None
