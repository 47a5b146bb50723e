"""Deep-network training-stability experiments for lesson 09 (batch norm, clipping, residuals).

The lesson's "shows" claims are measurements, not anecdotes: a deep plain network against the same
network with batch normalization at several learning rates, a network whose gradients explode
trained with and without clipping by global norm, and the gradient reaching each layer of a deep
plain network against a residual one. The loops live here (not in the notebook) so that the
notebook stays short, the hidden tests can repeat the measurement over seeds, and each run costs a
fraction of a second on a CPU.

Everything is plain torch on scikit-learn's digits (offline), seeded per run.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
from torch import nn

__all__ = ["single_thread", "digits_tensors", "deep_mlp", "Residual", "train_steps",
           "compare_batch_norm", "compare_clipping", "layer_gradient_norms", "steps_to_reach"]


@contextlib.contextmanager
def single_thread():
    """Run torch on one thread: for networks this small, threads cost more than they save
    (ten times more on a loaded two-core machine)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def digits_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1 797 of scikit-learn's 8x8 digits: X float32 (1797, 64), standardized; y int64.

    These experiments measure how fast training goes, not how well a model generalizes, so they
    use every example as training data.
    """
    from course_lib.data.digits import load_digits_splits

    splits = load_digits_splits(standardize=False)
    parts = (splits.train, splits.val, splits.test)
    X = torch.tensor(np.concatenate([part.X for part in parts]), dtype=torch.float32)
    X = (X - X.mean(0)) / (X.std(0) + 1e-3)
    return X, torch.tensor(np.concatenate([part.y for part in parts]), dtype=torch.int64)


class Residual(nn.Module):
    """``x + f(x)``: the shortcut carries the input (and its gradient) past the block unchanged."""

    def __init__(self, block: nn.Module):
        super().__init__()
        self.block = block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


def deep_mlp(depth: int, width: int = 32, *, batch_norm: bool = False, residual: bool = False,
             init_scale: float = 1.0, in_features: int = 64, out_features: int = 10,
             seed: int = 0) -> nn.Sequential:
    """A `depth`-hidden-layer ReLU network with He-initialized weights times `init_scale`.

    Each hidden layer is ``Linear -> [BatchNorm1d] -> ReLU``; with ``residual=True`` every hidden
    layer after the first is wrapped in :class:`Residual`. ``init_scale > 1`` makes each layer
    amplify its input, so activations and gradients grow geometrically with depth (the exploding
    case that clipping is for).
    """
    if depth < 1:
        raise ValueError(f"deep_mlp: depth must be >= 1, got {depth}")
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for index in range(depth):
        linear = nn.Linear(in_features if index == 0 else width, width)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        with torch.no_grad():
            linear.weight.mul_(init_scale)
        parts = [linear] + ([nn.BatchNorm1d(width)] if batch_norm else []) + [nn.ReLU()]
        layer = nn.Sequential(*parts)
        layers.append(Residual(layer) if residual and index > 0 else layer)
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def train_steps(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, lr: float, steps: int,
                batch_size: int = 64, max_norm: float | None = None, seed: int = 0) -> np.ndarray:
    """Train with plain SGD for `steps` random mini-batches; return the loss of every step.

    A run that diverges (non-finite loss) stops there; the remaining entries are NaN, so
    ``np.isnan(losses[-1])`` says "diverged". ``max_norm`` clips the gradients by global norm
    with ``torch.nn.utils.clip_grad_norm_`` before each step.
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = np.full(steps, np.nan)
    model.train()
    with single_thread():
        for step in range(steps):
            index = torch.randint(0, len(X), (batch_size,), generator=generator)
            loss = nn.functional.cross_entropy(model(X[index]), y[index])
            if not math.isfinite(loss.item()):
                break
            losses[step] = loss.item()
            optimizer.zero_grad()
            loss.backward()
            if max_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            optimizer.step()
    return losses


def compare_batch_norm(lrs, seeds=(0,), *, depth: int = 10, steps: int = 100,
                       data=None) -> dict[tuple[bool, float], np.ndarray]:
    """Loss curves of the same deep network without and with batch norm at each learning rate.

    Returns ``{(batch_norm, lr): losses}`` with ``losses`` of shape ``(len(seeds), steps)``; the
    network and mini-batch order of a seed are the same in both variants.
    """
    X, y = data if data is not None else digits_tensors()
    results = {}
    for batch_norm in (False, True):
        for lr in lrs:
            results[(batch_norm, lr)] = np.stack([
                train_steps(deep_mlp(depth, batch_norm=batch_norm, seed=seed), X, y, lr=lr,
                            steps=steps, seed=seed) for seed in seeds])
    return results


def compare_clipping(max_norm: float, seeds=(0,), *, lr: float = 0.1, init_scale: float = 1.5,
                     depth: int = 10, steps: int = 100,
                     data=None) -> dict[float | None, np.ndarray]:
    """Loss curves of an exploding-gradient network trained without and with clipping.

    Returns ``{None: losses, max_norm: losses}``, each of shape ``(len(seeds), steps)``.
    """
    X, y = data if data is not None else digits_tensors()
    return {clip: np.stack([
        train_steps(deep_mlp(depth, init_scale=init_scale, seed=seed), X, y, lr=lr, steps=steps,
                    max_norm=clip, seed=seed) for seed in seeds])
        for clip in (None, max_norm)}


def layer_gradient_norms(model: nn.Sequential, X: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Norm of dL/dh for the output h of each hidden layer of `model`, input side first.

    This is the signal backpropagation carries down the network (lesson 02): if it fades
    between the last hidden layer and the first, the early layers barely learn.
    """
    outputs = []
    hooks = [layer.register_forward_hook(lambda module, args, out: outputs.append(out))
             for layer in list(model)[:-1]]
    try:
        with single_thread():
            loss = nn.functional.cross_entropy(model(X), y)
            grads = torch.autograd.grad(loss, outputs)
    finally:
        for hook in hooks:
            hook.remove()
    return np.array([grad.norm().item() for grad in grads])


def steps_to_reach(losses: np.ndarray, threshold: float) -> np.ndarray:
    """First step whose loss is below `threshold` (``inf`` if never), for each row of `losses`."""
    below = np.asarray(losses) < threshold
    first = np.where(below.any(axis=-1), below.argmax(axis=-1), np.inf)
    return first.astype(float)
