"""Loss modules (``criterion = nn.CrossEntropyLoss(); loss = criterion(logits, y)``)."""

from __future__ import annotations

from course_lib.nn import functional as F
from course_lib.nn.module import Module

__all__ = ["CrossEntropyLoss", "MSELoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """`functional.cross_entropy` as a module: logits (N, C), integer targets (N,)."""

    def forward(self, input, target):
        return F.cross_entropy(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """`functional.mse_loss` as a module."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)
