"""RMSprop (Hinton's lecture 6e), with torch's options: momentum, centered, weight decay.

The update, exactly `torch.optim.RMSprop`'s (v: running mean of g^2, m: of g, b: buffer)::

    g <- g + weight_decay * p
    v <- alpha * v + (1 - alpha) * g^2
    centered:  m <- m + (1 - alpha) * (g - m);  avg = sqrt(v - m^2) + eps
    else:      avg = sqrt(v) + eps
    momentum > 0:  b <- momentum * b + g / avg;  p <- p - lr * b
    else:          p <- p - lr * g / avg
"""

from __future__ import annotations

import numpy as np

from course_lib.optim.optimizer import Optimizer, options

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide each parameter's step by a running root-mean-square of its gradients."""

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(params, options(locals()))

    def _update(self, group, param, grad, state):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(param.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param.data)
        state["step"] += 1
        grad = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - alpha) * (grad - grad_avg)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += grad / avg
            param.data -= group["lr"] * buf
        else:
            param.data -= group["lr"] * grad / avg
