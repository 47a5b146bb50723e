"""Look inside a deep network: what every layer's activations and gradients look like.

Lesson 04 asks why a deep network does not train, and the answer is in two numbers per layer:
how spread out the values leaving the layer are (the std of its output), and how spread out the
gradient arriving back at that output is. Both are recorded without touching the model's code:

* a *forward hook* on every `nn.Linear` sees the layer's output ``z`` on its way forward, and
  registers a *tensor hook* on ``z``, which sees ``dL/dz`` when `backward()` reaches it;
* a forward hook on every activation module (ReLU, Tanh, ...) keeps its output, for histograms
  and for counting dead ReLUs.

`build_mlp` makes the deep, narrow networks the experiments need (depth, activation,
initialization scheme, weight scale), and `diagnose` turns the statistics into a verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from course_lib import nn
from course_lib.engine import Tensor, no_grad
from course_lib.nn import functional as F

__all__ = ["ACTIVATIONS", "INIT_SCHEMES", "build_mlp", "init_linear_", "LayerStatistics",
           "record_statistics", "diagnose", "evaluate", "fit_classifier"]

# name -> (module factory, the nonlinearity name torch's `calculate_gain` knows it by)
ACTIVATIONS = {
    "relu": (nn.ReLU, "relu"),
    "leaky_relu": (lambda: nn.LeakyReLU(0.01), "leaky_relu"),
    "tanh": (nn.Tanh, "tanh"),
    "sigmoid": (nn.Sigmoid, "sigmoid"),
    "linear": (nn.Identity, "linear"),
}
INIT_SCHEMES = ("zeros", "normal", "xavier", "kaiming")
_ACTIVATION_TYPES = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Identity)  # Identity: "linear"


def _check_choice(kind: str, value: str, choices) -> None:
    if value not in choices:
        raise ValueError(f"unknown {kind} {value!r}; choose one of {', '.join(choices)}")


def init_linear_(layer: nn.Linear, init: str, activation: str = "relu", scale: float = 1.0):
    """Initialize one Linear layer in place (bias to zero) and return it.

    * ``"zeros"``: every weight 0 (the symmetric start that never breaks symmetry);
    * ``"normal"``: N(0, scale**2), the naive fixed-std start (0.01 is the classic "small");
    * ``"xavier"``: Glorot & Bengio (2010), ``xavier_normal_`` with gain 1, times `scale`;
    * ``"kaiming"``: He et al. (2015), ``kaiming_normal_`` (fan_in) for `activation`, times
      `scale`.
    """
    _check_choice("init scheme", init, INIT_SCHEMES)
    _check_choice("activation", activation, ACTIVATIONS)
    gain_name = ACTIVATIONS[activation][1]
    if init == "zeros":
        nn.init.zeros_(layer.weight)
    elif init == "normal":
        nn.init.normal_(layer.weight, 0.0, scale)
    elif init == "xavier":
        nn.init.xavier_normal_(layer.weight, gain=scale)
    else:
        slope = 0.01 if gain_name == "leaky_relu" else 0.0
        nn.init.kaiming_normal_(layer.weight, a=slope, nonlinearity=gain_name)
        layer.weight.data *= scale
    nn.init.zeros_(layer.bias)
    return layer


def build_mlp(depth: int, width: int = 64, activation: str = "relu", init: str = "kaiming",
              scale: float = 1.0, in_features: int = 64, out_features: int = 10,
              dropout: float = 0.0) -> nn.Sequential:
    """A plain MLP with `depth` Linear layers (depth - 1 hidden layers of `width` units).

    Each hidden Linear is followed by `activation` (and `nn.Dropout(dropout)` if dropout > 0);
    the last Linear produces `out_features` logits. Every layer is initialized by
    `init_linear_(layer, init, activation, scale)`.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1 Linear layer, got {depth}")
    _check_choice("activation", activation, ACTIVATIONS)
    make_activation = ACTIVATIONS[activation][0]
    sizes = [in_features] + [width] * (depth - 1) + [out_features]
    layers = []
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(init_linear_(nn.Linear(n_in, n_out), init, activation, scale))
        if index < depth - 1:
            layers.append(make_activation())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def _std(values: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        return float(np.std(values))


@dataclass
class LayerStatistics:
    """What one forward and backward pass looked like, layer by layer.

    Index ``l`` is the ``l``-th Linear layer (0 = closest to the input). ``outputs[l]`` is that
    layer's output z (before its activation), ``gradients[l]`` is dL/dz, ``weight_gradients[l]``
    is dL/dW; ``activations[l]`` is the output of the activation after hidden layer ``l``.
    """

    outputs: list[np.ndarray] = field(default_factory=list)
    gradients: list[np.ndarray] = field(default_factory=list)
    weight_gradients: list[np.ndarray] = field(default_factory=list)
    activations: list[np.ndarray] = field(default_factory=list)
    loss: float = math.nan

    @property
    def depth(self) -> int:
        return len(self.outputs)

    @property
    def activation_std(self) -> np.ndarray:
        """Std of each Linear layer's output, shape (depth,)."""
        return np.array([_std(z) for z in self.outputs])

    @property
    def gradient_std(self) -> np.ndarray:
        """Std of the gradient of the loss with respect to each Linear layer's output."""
        return np.array([_std(g) for g in self.gradients])

    @property
    def weight_gradient_std(self) -> np.ndarray:
        return np.array([_std(g) for g in self.weight_gradients])

    @property
    def dead_fraction(self) -> np.ndarray:
        """Per hidden layer: the fraction of units that output 0 for every example in the batch
        (dead ReLUs: no gradient reaches their weights)."""
        return np.array([float(np.mean(np.all(h == 0, axis=0))) for h in self.activations])


def record_statistics(model: nn.Module, x, target) -> LayerStatistics:
    """Run one forward and backward pass of cross-entropy on (x, target) and record every layer.

    The model's parameters get `.grad` filled as by any backward pass (they are zeroed first);
    the hooks are removed afterwards, so the model is left as it was found.
    """
    stats = LayerStatistics()
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"record_statistics: {type(model).__name__} has no nn.Linear layer")
    grads: dict[int, np.ndarray] = {}

    def on_linear(index):
        def hook(module, inputs, output):
            stats.outputs.append(output.data.copy())
            if output.requires_grad:
                output.register_hook(lambda g: grads.__setitem__(index, np.array(g)))
        return hook

    def on_activation(module, inputs, output):
        stats.activations.append(np.array(output.data))

    handles = [layer.register_forward_hook(on_linear(i)) for i, layer in enumerate(linears)]
    handles += [m.register_forward_hook(on_activation) for m in model.modules()
                if isinstance(m, _ACTIVATION_TYPES)]
    try:
        model.zero_grad()
        loss = F.cross_entropy(model(x if isinstance(x, Tensor) else Tensor(x)),
                               np.asarray(target))
        loss.backward()
    finally:
        for handle in handles:
            handle.remove()
    stats.loss = float(loss.item())
    stats.gradients = [grads.get(i, np.zeros_like(z)) for i, z in enumerate(stats.outputs)]
    stats.weight_gradients = [np.array(layer.weight.grad) if layer.weight.grad is not None
                              else np.zeros_like(layer.weight.data) for layer in linears]
    return stats


def diagnose(activation_std, gradient_std, factor: float = 100.0) -> str:
    """"exploding", "vanishing" or "stable", from per-layer stds (index 0 = first layer).

    Forward, the signal is compared at the last layer with the first (``act[-1] / act[0]``);
    backward, the gradient is compared at the first layer with the last (``grad[0] /
    grad[-1]``), because that is the direction it travels. Growth by more than `factor` in
    either direction, or any non-finite number, is "exploding"; shrinking by more than `factor`
    is "vanishing"; anything else is "stable".
    """
    act = np.asarray(activation_std, dtype=float)
    grad = np.asarray(gradient_std, dtype=float)
    if not (np.all(np.isfinite(act)) and np.all(np.isfinite(grad))):
        return "exploding"
    with np.errstate(divide="ignore", invalid="ignore"):
        forward = act[-1] / act[0]
        backward = grad[0] / grad[-1]
    if forward > factor or backward > factor:
        return "exploding"
    if not (forward >= 1.0 / factor and backward >= 1.0 / factor):  # also 0 / 0: nothing left
        return "vanishing"
    return "stable"


def evaluate(model: nn.Module, x, y) -> tuple[float, float]:
    """(cross-entropy loss, accuracy) of `model` on (x, y), computed in eval mode (no dropout,
    no graph); the model's train/eval mode is left as it was."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            logits = model(Tensor(x))
            loss = F.cross_entropy(logits, np.asarray(y)).item()
    finally:
        model.train(was_training)
    return float(loss), float(np.mean(logits.data.argmax(axis=1) == np.asarray(y)))


def fit_classifier(model: nn.Module, optimizer, train, val, *, epochs: int,
                   batch_size: int | None = None, penalty=None, seed: int = 0,
                   early_stopping=None) -> dict[str, list[float]]:
    """Train `model` with cross-entropy on ``train = (X, y)``; log both splits every epoch.

    Mini-batches of `batch_size` (None: the whole training set) are shuffled each epoch by a
    generator seeded with `seed`. ``penalty(model)``, if given, returns a Tensor added to the
    loss (an L1 or L2 term). ``early_stopping`` is anything with ``step(val_loss, model) ->
    bool`` and ``restore(model)``: training stops when it says so and ends with the weights it
    restores. Returns ``{"loss", "accuracy", "val_loss", "val_accuracy"}``, one value per epoch
    (losses without the penalty, so runs with and without it compare fairly).
    """
    x_train, y_train = np.asarray(train[0]), np.asarray(train[1])
    n = len(x_train)
    size = n if batch_size is None else batch_size
    rng = np.random.default_rng(seed)
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    model.train()
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, size):
            batch = order[start:start + size]
            loss = F.cross_entropy(model(Tensor(x_train[batch])), y_train[batch])
            if penalty is not None:
                loss = loss + penalty(model)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        for prefix, (x, y) in (("", (x_train, y_train)), ("val_", val)):
            loss_value, accuracy = evaluate(model, x, y)
            history[prefix + "loss"].append(loss_value)
            history[prefix + "accuracy"].append(accuracy)
        if early_stopping is not None and early_stopping.step(history["val_loss"][-1], model):
            break
    if early_stopping is not None:
        early_stopping.restore(model)
    model.train()
    return history
