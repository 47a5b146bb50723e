"""Metrics computed batch by batch and averaged over an epoch, weighted by batch size.

A metric is a function ``fn(outputs, targets) -> tensor`` returning the *batch mean* (a 0-d
tensor, left on the device so that no per-batch synchronisation is needed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["accuracy", "resolve_metrics"]


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Fraction of rows whose largest output is the target class (top-1 accuracy)."""
    if outputs.ndim != 2 or targets.shape != outputs.shape[:1]:
        raise ValueError(f"accuracy expects outputs of shape (N, classes) and targets of shape "
                         f"(N,), got {tuple(outputs.shape)} and {tuple(targets.shape)}")
    return (outputs.argmax(dim=1) == targets).float().mean()


NAMED_METRICS: dict[str, Callable] = {"accuracy": accuracy}
_CLASSIFICATION_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)


def _is_classification(loss_fn) -> bool:
    return isinstance(loss_fn, _CLASSIFICATION_LOSSES) or loss_fn in (F.cross_entropy,
                                                                     F.nll_loss)


def resolve_metrics(metrics, loss_fn) -> dict[str, Callable]:
    """Normalise ``metrics`` to ``{name: fn}``.

    "auto" means accuracy for a classification loss (cross-entropy, NLL) and nothing otherwise;
    a sequence may mix names from :data:`NAMED_METRICS` and functions (named by ``__name__``);
    a mapping is used as is; None or ``()`` means no metrics.
    """
    if metrics == "auto":
        return {"accuracy": accuracy} if _is_classification(loss_fn) else {}
    if metrics is None:
        return {}
    if isinstance(metrics, Mapping):
        return dict(metrics)
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    resolved = {}
    for metric in metrics:
        if isinstance(metric, str):
            if metric not in NAMED_METRICS:
                raise ValueError(f"unknown metric {metric!r}; known: {sorted(NAMED_METRICS)}, "
                                 f"or pass a function fn(outputs, targets)")
            resolved[metric] = NAMED_METRICS[metric]
        elif callable(metric):
            resolved[metric.__name__] = metric
        else:
            raise TypeError(f"a metric must be a name or a function, got {type(metric)!r}")
    return resolved
