"""Gradient clipping by global norm, `torch.nn.utils.clip_grad_norm_`'s formula.

All gradients are treated as one long vector: its norm is computed, and if it exceeds
`max_norm` every gradient is scaled by ``max_norm / (total_norm + 1e-6)`` so the direction of
the step is kept and only its length is capped (the cure for exploding gradients in lesson 09).
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.optim.optimizer import params_list

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> np.float64:
    """Scale the gradients so that their global norm is at most `max_norm`.

    Returns the total norm *before* clipping (a numpy scalar: ``float(n)`` and ``n.item()``
    both work). Parameters without a gradient are ignored; ``norm_type`` may be ``inf``.
    """
    params = [p for p in params_list(parameters) if p.grad is not None]  # a generator, once
    grads = [np.asarray(p.grad) for p in params]
    if not grads:
        return np.float64(0.0)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total_norm = np.float64(max(np.max(np.abs(g)) if g.size else 0.0 for g in grads))
    else:
        norms = np.array([np.linalg.norm(g.ravel(), ord=norm_type) for g in grads])
        total_norm = np.float64(np.linalg.norm(norms, ord=norm_type))
    if error_if_nonfinite and not np.isfinite(total_norm):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    clip_coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
    for p, g in zip(params, grads, strict=True):
        p.grad = g * clip_coef
    return total_norm
