"""Stochastic gradient descent with torch's momentum, dampening, Nesterov and weight decay.

The update, exactly `torch.optim.SGD`'s (g is the gradient, b the momentum buffer)::

    g <- g + weight_decay * p                      (L2 penalty of weight_decay/2 * |p|^2)
    b <- g                                         on the first step, else
    b <- momentum * b + (1 - dampening) * g
    g <- g + momentum * b   if nesterov   else   g <- b
    p <- p - lr * g
"""

from __future__ import annotations

import numpy as np

from course_lib.optim.optimizer import Optimizer, options

__all__ = ["SGD"]


class SGD(Optimizer):
    """Plain, momentum or Nesterov SGD (the velocity lives in ``state[p]["momentum_buffer"]``)."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={momentum}, dampening={dampening})"
            )
        super().__init__(params, options(locals()))

    def _update(self, group, param, grad, state):
        grad = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param.data -= group["lr"] * grad
