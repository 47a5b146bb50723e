"""The training loop of lesson 03 on `course_lib`'s numpy engine, in small named pieces.

Initialize, then per epoch: shuffle, and for every mini-batch forward, loss, `zero_grad`,
`backward`, `step`; after each epoch measure loss and accuracy on the training and validation
splits. Lesson 03 asks students to write `train_epoch` and `accuracy` themselves; these are the
library's versions, which its worked examples and experiments use (and later lessons reuse).
The torch training helpers of lessons 06-10 live in `course_lib.training`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from course_lib import nn
from course_lib.engine import Tensor, no_grad
from course_lib.nn import functional as F

__all__ = ["minibatch_indices", "train_epoch", "evaluate", "make_mlp", "fit"]


def minibatch_indices(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Yield the indices of one shuffled epoch in batches (the last one may be smaller)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def train_epoch(model: nn.Module, optimizer, X: np.ndarray, y: np.ndarray, batch_size: int,
                rng: np.random.Generator, loss_fn: Callable = F.cross_entropy) -> float:
    """One epoch of mini-batch training; returns the mean loss per example over the epoch."""
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    model.train()
    total = 0.0
    for idx in minibatch_indices(len(X), batch_size, rng):
        loss = loss_fn(model(Tensor(X[idx])), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    return total / len(X)


@no_grad()
def evaluate(model: nn.Module, X: np.ndarray, y: np.ndarray,
             loss_fn: Callable = F.cross_entropy) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of a classifier on `X, y`, in eval mode without a graph."""
    was_training = model.training
    model.eval()
    try:
        logits = model(Tensor(X))
        loss = loss_fn(logits, y).item()
        accuracy = float(np.mean(np.argmax(logits.data, axis=1) == y))
    finally:
        model.train(was_training)
    return loss, accuracy


def make_mlp(sizes, activation: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    """``Linear(sizes[0], sizes[1]), activation, ..., Linear(sizes[-2], sizes[-1])``."""
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least input and output sizes, got {sizes}")
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def fit(model: nn.Module, optimizer, train, val, *, epochs: int, batch_size: int,
        rng: np.random.Generator, on_epoch: Callable[..., None] | None = None) -> dict:
    """Train for `epochs`, measuring both splits after each; returns the history of lists.

    `train` and `val` are anything with `.X` and `.y` (e.g. `course_lib.data` splits).
    `on_epoch(**metrics)` is called after each epoch, e.g. `LiveCurves.update`.
    """
    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "train_acc": [],
                                       "val_acc": []}
    for _ in range(epochs):
        train_epoch(model, optimizer, train.X, train.y, batch_size, rng)
        train_loss, train_acc = evaluate(model, train.X, train.y)
        val_loss, val_acc = evaluate(model, val.X, val.y)
        metrics = {"train_loss": train_loss, "val_loss": val_loss, "train_acc": train_acc,
                   "val_acc": val_acc}
        for key, value in metrics.items():
            history[key].append(value)
        if on_epoch is not None:
            on_epoch(**metrics)
    return history
