"""Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), with torch's formulas.

The update, exactly `torch.optim.Adam`'s at step t (m, v: first and second moments)::

    Adam:   g <- g + weight_decay * p          (L2 penalty, goes through the moments)
    AdamW:  p <- p * (1 - lr * weight_decay)   (decoupled decay, bypasses the moments)
    m <- beta1 * m + (1 - beta1) * g
    v <- beta2 * v + (1 - beta2) * g^2
    amsgrad: v_max <- max(v_max, v), and v_max replaces v below
    p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.optim.optimizer import Optimizer, options

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Momentum plus a per-parameter RMS step size, both bias-corrected for their zero start."""

    _decoupled_weight_decay = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(params, options(locals()))

    def _update(self, group, param, grad, state):
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param.data)
            state["exp_avg_sq"] = np.zeros_like(param.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param.data)
        state["step"] += 1
        step = state["step"]
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        grad = -grad if group["maximize"] else grad
        if weight_decay != 0:
            if self._decoupled_weight_decay:
                param.data *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param.data
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second_moment = state["max_exp_avg_sq"]
        else:
            second_moment = exp_avg_sq
        step_size = lr / (1 - beta1**step)
        denom = np.sqrt(second_moment) / math.sqrt(1 - beta2**step) + group["eps"]
        param.data -= step_size * exp_avg / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: the decay shrinks weights directly, not via the moments."""

    _decoupled_weight_decay = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
