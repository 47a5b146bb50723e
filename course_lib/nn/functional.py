"""Stateless layer functions, named like `torch.nn.functional` (import it as ``F``).

Operations that the engine composes well (``relu``, ``tanh``, ``mse_loss``, penalties) are
written with Tensor methods. The ones where composition would be slow or numerically fragile
are *fused*: one forward in numpy and a hand-written gradient, recorded with
`Tensor._from_op`. Softmax, log-softmax and cross-entropy subtract the row maximum before
exponentiating, so logits of 1e3 give finite values and gradients; cross-entropy's gradient is
the famous ``softmax(z) - onehot(y)`` (divided by the batch size for the mean).
"""

from __future__ import annotations

import numpy as np

from course_lib.engine import Tensor
from course_lib.random import get_generator

__all__ = [
    "linear",
    "relu",
    "leaky_relu",
    "tanh",
    "sigmoid",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "dropout",
    "batch_norm",
    "l1_penalty",
    "l2_penalty",
]

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x) -> Tensor:
    """Inputs may be Tensors or plain arrays (wrapped as constants, keeping a float32 dtype)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _axis(name: str, x: Tensor, dim: int) -> int:
    if not -x.ndim <= dim < max(x.ndim, 1):
        raise ValueError(f"{name}: dim {dim} is out of range for a tensor of shape {x.shape}")
    return dim % max(x.ndim, 1)


# ------------------------------------------------------------------------------- layers
def linear(input, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` with weight shaped (out_features, in_features), as torch.

    The 2-D case (a batch of vectors) is one fused operation: it is every MLP's hot path.
    """
    x = _tensor(input)
    if x.shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not match weight of shape {weight.shape} "
            f"(the input's last dimension must be in_features={weight.shape[-1]})"
        )
    if x.ndim != 2:
        out = x @ weight.T
        return out if bias is None else out + bias
    w, b = weight.data, None if bias is None else bias.data
    out = x.data @ w.T
    if b is not None:
        out += b

    def backward(g):
        grad_x = g @ w if x.requires_grad else None
        grad_w = g.T @ x.data if weight.requires_grad else None
        if bias is None:
            return grad_x, grad_w
        return grad_x, grad_w, g.sum(axis=0) if bias.requires_grad else None

    parents = (x, weight) if bias is None else (x, weight, bias)
    return Tensor._from_op(out, parents, backward, "linear")


def relu(input) -> Tensor:
    return _tensor(input).relu()


def leaky_relu(input, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x: a ReLU whose units cannot die completely."""
    x = _tensor(input)
    slope = np.where(x.data > 0, 1.0, negative_slope).astype(x.dtype)
    return Tensor._from_op(x.data * slope, (x,), lambda g: (g * slope,), "leaky_relu")


def tanh(input) -> Tensor:
    return _tensor(input).tanh()


def sigmoid(input) -> Tensor:
    return _tensor(input).sigmoid()


# ---------------------------------------------------------------------- softmax family
def _log_softmax_array(z: np.ndarray, axis: int) -> np.ndarray:
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(input, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`, computed after subtracting the maximum."""
    x = _tensor(input)
    axis = _axis("softmax", x, dim)
    s = np.exp(_log_softmax_array(x.data, axis))

    def backward(g):
        return (s * (g - (g * s).sum(axis=axis, keepdims=True)),)

    return Tensor._from_op(s, (x,), backward, "softmax")


def log_softmax(input, dim: int = -1) -> Tensor:
    """log(softmax(x)) without ever forming softmax's underflowing zeros."""
    x = _tensor(input)
    axis = _axis("log_softmax", x, dim)
    out = _log_softmax_array(x.data, axis)

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    return Tensor._from_op(out, (x,), backward, "log_softmax")


def _class_targets(name: str, target, scores: Tensor) -> np.ndarray:
    """Validate integer class targets for (N, C) scores and return them as an int array."""
    if scores.ndim != 2:
        raise ValueError(f"{name}: expected scores of shape (N, C), got shape {scores.shape}")
    n, num_classes = scores.shape
    if isinstance(target, Tensor):
        target = target.data
    elif hasattr(target, "detach") and hasattr(target, "cpu"):  # a torch tensor
        target = target.detach().cpu().numpy()
    t = np.asarray(target)
    if t.dtype.kind == "f" and np.all(np.isfinite(t)) and np.all(t == np.round(t)):
        t = t.astype(np.int64)  # e.g. Tensor(labels), which is float64
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: targets must be integer class indices, got dtype {t.dtype}")
    if t.shape != (n,):
        hint = " (class indices are expected, not one-hot rows)" if t.shape == scores.shape else ""
        raise ValueError(
            f"{name}: logits of shape {scores.shape} need {n} targets, got shape {t.shape}{hint}"
        )
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        i = np.flatnonzero((t < 0) | (t >= num_classes))[0]
        raise ValueError(
            f"{name}: target {t[i]} at index {i} is out of range for {num_classes} classes "
            f"(expected 0 <= target < {num_classes})"
        )
    return t


def _reduced_loss(name: str, x: Tensor, losses: np.ndarray, local_grad, reduction: str):
    """Reduce per-sample losses; `local_grad()` gives d loss_i / d x_i, one row per sample."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    n = len(losses)
    if reduction == "mean":
        if n == 0:
            raise ValueError(f"{name}: the mean of an empty batch (shape {x.shape}) is undefined")
        out, weight = losses.mean(), lambda g: g / n
    elif reduction == "sum":
        out, weight = losses.sum(), lambda g: g
    else:
        out, weight = losses, lambda g: g[:, None]
    return Tensor._from_op(out, (x,), lambda g: (local_grad() * weight(g),), name)


def cross_entropy(input, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of logits (N, C) against integer class targets (N,).

    Equal to ``nll_loss(log_softmax(input), target)``, but fused: the gradient with respect to
    the logits is ``softmax(input) - onehot(target)`` per sample.
    """
    x = _tensor(input)
    t = _class_targets("cross_entropy", target, x)
    rows = np.arange(len(t))
    log_p = _log_softmax_array(x.data, 1)

    def local_grad():
        grad = np.exp(log_p)
        grad[rows, t] -= 1.0
        return grad

    return _reduced_loss("cross_entropy", x, -log_p[rows, t], local_grad, reduction)


def nll_loss(input, target, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) at integer class targets (N,)."""
    x = _tensor(input)
    t = _class_targets("nll_loss", target, x)
    rows = np.arange(len(t))

    def local_grad():
        grad = np.zeros_like(x.data)
        grad[rows, t] = -1.0
        return grad

    return _reduced_loss("nll_loss", x, -x.data[rows, t], local_grad, reduction)


# -------------------------------------------------------------------------- regression
def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """Mean (or summed) squared error. Shapes must match: (N, 1) against (N,) is an error
    here, not a silent broadcast to (N, N) as numpy would do."""
    x, y = _tensor(input), _tensor(target)
    if x.shape != y.shape:
        raise ValueError(
            f"mse_loss: input of shape {x.shape} and target of shape {y.shape} differ "
            "(reshape one of them so they match)"
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"mse_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    diff = x - y
    squared = diff * diff
    return {"mean": squared.mean, "sum": squared.sum, "none": lambda: squared}[reduction]()


# ------------------------------------------------------------------------ regularizers
def dropout(input, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each entry with probability `p`, scale survivors by 1/(1-p).

    The scaling keeps every unit's expected value unchanged, so evaluation (training=False)
    is simply the identity. The mask is drawn from the course-wide generator.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    x = _tensor(input)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        scale = np.zeros_like(x.data)
    else:
        keep = get_generator().random(x.shape) >= p
        scale = keep.astype(x.dtype) / x.dtype.type(1.0 - p)
    return Tensor._from_op(x.data * scale, (x,), lambda g: (g * scale,), "dropout")


def _penalty(params, term) -> Tensor:
    total = None
    for p in params:
        value = term(p).sum()
        total = value if total is None else total + value
    return Tensor(0.0) if total is None else total


def l1_penalty(params) -> Tensor:
    """sum |w| over an iterable of parameters: added as ``lam * l1_penalty(...)`` it drives
    small weights to exactly zero (its gradient lam * sign(w) does not shrink with w)."""
    return _penalty(params, lambda p: p.abs())


def l2_penalty(params) -> Tensor:
    """sum w^2 over an iterable of parameters. ``(lam / 2) * l2_penalty(...)`` added to the
    loss has gradient ``lam * w``: exactly what ``SGD(..., weight_decay=lam)`` adds."""
    return _penalty(params, lambda p: p * p)


# -------------------------------------------------------------------------- batch norm
def batch_norm(
    input,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each feature (axis 1) of an (N, C) or (N, C, L) input, torch's semantics.

    Training: normalize with the batch mean and *biased* variance, and move the running
    statistics towards the batch's (the running variance uses the *unbiased* estimate).
    Otherwise: normalize with the running statistics, which are constants for backward.
    """
    x = _tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"batch_norm: expected 2D or 3D input, got shape {x.shape}")
    axes = (0,) if x.ndim == 2 else (0, 2)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    count = x.size // x.shape[1]
    if training:
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input of shape "
                f"{x.shape}"
            )
        mean = x.data.mean(axis=axes, keepdims=True)
        var = x.data.var(axis=axes, keepdims=True)
        if running_mean is not None:
            running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * mean.ravel()
        if running_var is not None:
            unbiased = var.ravel() * count / (count - 1)
            running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "batch_norm: running_mean and running_var are needed when not training"
            )
        mean, var = running_mean.data.reshape(shape), running_var.data.reshape(shape)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x.data - mean) * inv_std
    gamma = 1.0 if weight is None else weight.data.reshape(shape)
    out = x_hat * gamma if bias is None else x_hat * gamma + bias.data.reshape(shape)

    def backward(g):
        g_hat = g * gamma
        if training:  # mean and variance depend on x too
            g_hat = (
                g_hat
                - g_hat.mean(axis=axes, keepdims=True)
                - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True)
            )
        grads = [g_hat * inv_std]
        if weight is not None:
            grads.append((g * x_hat).sum(axis=axes))
        if bias is not None:
            grads.append(g.sum(axis=axes))
        return tuple(grads)

    parents = (x,) + tuple(t for t in (weight, bias) if t is not None)
    return Tensor._from_op(out.astype(x.dtype, copy=False), parents, backward, "batch_norm")
