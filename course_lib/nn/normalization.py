"""`BatchNorm1d` (Ioffe & Szegedy 2015) with torch's parameters, buffers and semantics.

The arithmetic is `functional.batch_norm`; this Module owns gamma/beta (``weight``/``bias``)
and the running statistics (buffers: saved in ``state_dict``, never trained), and picks batch
or running statistics from ``self.training``.
"""

from __future__ import annotations

import numpy as np

from course_lib.engine import Tensor
from course_lib.nn import functional as F
from course_lib.nn.module import Module, Parameter

__all__ = ["BatchNorm1d"]


class BatchNorm1d(Module):
    """Normalize each of `num_features` features over the batch, then scale and shift.

    Input (N, C) or (N, C, L). ``momentum=None`` makes the running statistics a cumulative
    average over all batches seen (``num_batches_tracked`` counts them), as in torch.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype=None,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = np.dtype(dtype or np.float64)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", Tensor(0, dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0.0
            self.running_var.data[...] = 1.0
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            self.weight.data[...] = 1.0
            self.bias.data[...] = 0.0

    def forward(self, input):
        shape = getattr(input, "shape", np.shape(input))
        if len(shape) not in (2, 3) or shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}): expected input of shape "
                f"(N, {self.num_features}) or (N, {self.num_features}, L), got shape {shape}"
            )
        tracking = self.training and self.track_running_stats
        factor = 0.0 if self.momentum is None else self.momentum
        if tracking and self.momentum is None:  # cumulative average over batches seen
            factor = 1.0 / (float(self.num_batches_tracked.data) + 1.0)
        keep_running = not self.training or self.track_running_stats
        out = F.batch_norm(
            input,
            self.running_mean if keep_running else None,
            self.running_var if keep_running else None,
            self.weight,
            self.bias,
            self.training or self.running_mean is None,
            factor,
            self.eps,
        )
        if tracking:  # counted only once the batch went through (a bad batch changes nothing)
            self.num_batches_tracked.data += 1
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )
