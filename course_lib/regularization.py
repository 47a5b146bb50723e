"""The experiments of lesson 05: a network that overfits a small training set, and its cures.

Overfitting is easiest to see when a network has far more weights than examples: here a
3 x 128 ReLU MLP (about 42 000 weights) fits 100 training digits (10 per class) perfectly
while its validation accuracy stays well below. `regularization_run` trains that network
with any mix of dropout, weight decay (L2), L1 and early stopping, on the same data and the
same seeds, so the runs compare fairly; `cached_run` memoizes it for the widget.

`EarlyStopping` is the reference helper the widget and the lesson's experiments use, and
`fit_sparse_linear` shows the one thing L1 does that L2 never does: weights that are exactly 0.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from course_lib import manual_seed, optim
from course_lib.data.digits import Split, load_digits_splits
from course_lib.diagnostics import build_mlp, fit_classifier
from course_lib.nn import functional as F

__all__ = ["small_digits", "regularized_mlp", "RegularizationRun", "regularization_run",
           "cached_run", "EarlyStopping", "fit_sparse_linear"]

# The experiment's fixed recipe (the lesson states these numbers).
HIDDEN_LAYERS, WIDTH, EPOCHS, LR, MOMENTUM = 3, 128, 70, 0.05, 0.9


def small_digits(per_class: int = 10, seed: int = 0) -> tuple[Split, Split]:
    """`per_class` training examples of each digit (drawn from the fixed training split with
    `seed`) and the whole validation split."""
    splits = load_digits_splits()
    rng = np.random.default_rng(seed)
    labels = splits.train.y
    chosen = np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
                             for c in np.unique(labels)])
    chosen = np.sort(chosen)
    return Split(splits.train.X[chosen], labels[chosen]), splits.val


def regularized_mlp(dropout: float = 0.0, seed: int = 0):
    """The experiment's network (He-initialized ReLU MLP), with `nn.Dropout(dropout)` after every
    hidden activation; the weights are drawn after ``manual_seed(seed)``."""
    manual_seed(seed)
    return build_mlp(HIDDEN_LAYERS + 1, WIDTH, "relu", "kaiming", dropout=dropout)


@dataclass
class RegularizationRun:
    """One training run's per-epoch curves (accuracies and losses on both splits)."""

    dropout: float
    weight_decay: float
    l1: float
    seed: int
    history: dict[str, list[float]]
    stopped_epoch: int | None = None
    best_epoch: int | None = None

    @property
    def final(self) -> dict[str, float]:
        """The last logged epoch's numbers (the restored best epoch with early stopping)."""
        at = -1 if self.best_epoch is None else self.best_epoch
        return {key: values[at] for key, values in self.history.items()}

    @property
    def gap(self) -> float:
        """Generalization gap: training accuracy minus validation accuracy at the end."""
        return self.final["accuracy"] - self.final["val_accuracy"]


def regularization_run(dropout: float = 0.0, weight_decay: float = 0.0, l1: float = 0.0,
                       seed: int = 0, *, epochs: int = EPOCHS, patience: int | None = None,
                       data: tuple[Split, Split] | None = None) -> RegularizationRun:
    """Train `regularized_mlp(dropout, seed)` on `small_digits()` with full-batch SGD.

    `weight_decay` goes to `optim.SGD` (it adds ``weight_decay * w`` to every gradient, i.e.
    an L2 penalty ``weight_decay / 2 * sum w**2``), `l1` adds ``l1 * sum |w|`` over the weight
    matrices to the loss, and `patience` switches on early stopping on the validation loss.
    """
    train, val = small_digits() if data is None else data
    model = regularized_mlp(dropout, seed)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM,
                          weight_decay=weight_decay)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    penalty = (lambda _model: l1 * F.l1_penalty(weights)) if l1 > 0 else None
    stopper = EarlyStopping(patience) if patience is not None else None
    history = fit_classifier(model, optimizer, (train.X, train.y), (val.X, val.y),
                             epochs=epochs, penalty=penalty, seed=seed, early_stopping=stopper)
    run = RegularizationRun(dropout, weight_decay, l1, seed, history)
    if stopper is not None:
        run.best_epoch = stopper.best_epoch
        run.stopped_epoch = stopper.epoch if stopper.should_stop else None
    return run


@lru_cache(maxsize=256)
def cached_run(dropout: float, weight_decay: float, seed: int = 0) -> RegularizationRun:
    """`regularization_run(dropout, weight_decay, seed=seed)`, computed once per setting."""
    return regularization_run(dropout, weight_decay, seed=seed)


class EarlyStopping:
    """Stop when the validation loss has not improved for `patience` epochs; keep the best weights.

    Call ``step(val_loss, model)`` once per epoch: it returns True when training should stop.
    An epoch *improves* when its loss is below the best so far by more than `min_delta`; the
    model's state is then deep-copied (a plain reference would keep changing with training).
    ``restore(model)`` loads the best state back. Epochs are counted from 0.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0):
        if patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {patience}")
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch, self.best_state = math.inf, None, None
        self.epoch, self.bad_epochs, self.should_stop = -1, 0, False

    def step(self, val_loss: float, model) -> bool:
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.bad_epochs = float(val_loss), self.epoch, 0
            self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        self.should_stop = self.bad_epochs >= self.patience
        return self.should_stop

    def restore(self, model) -> None:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)


def fit_sparse_linear(X, y, *, l1: float = 0.0, l2: float = 0.0, steps: int = 500):
    """Least squares with an L1 and/or L2 penalty, by proximal gradient descent (ISTA).

    Minimizes ``mean((X w - y)**2) / 2 + l2 * sum(w**2) + l1 * sum(|w|)``. Each step is a
    gradient step on the smooth part followed by soft-thresholding, the exact minimizer of the
    L1 part: it sets every weight whose magnitude is below ``lr * l1`` to exactly 0, which is
    why L1 solutions are sparse while L2 only shrinks weights towards 0.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    n = len(X)
    lr = 1.0 / (np.linalg.norm(X, 2) ** 2 / n + 2 * l2)  # 1 / Lipschitz constant of the gradient
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        w = w - lr * (X.T @ (X @ w - y) / n + 2 * l2 * w)
        w = np.sign(w) * np.maximum(np.abs(w) - lr * l1, 0.0)
    return w
