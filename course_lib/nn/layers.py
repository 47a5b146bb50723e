"""The layers of an MLP: `Linear`, the activations, `Dropout`, and the `Sequential` container.

Each layer is a thin Module around a function in `functional`, so the maths lives in one
place; the Module adds the parameters, the train/eval switch and a torch-like repr.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from course_lib.nn import functional as F
from course_lib.nn import init
from course_lib.nn.module import Module, Parameter

__all__ = ["Linear", "Identity", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Dropout", "Sequential"]


class Linear(Module):
    """``y = x @ weight.T + bias`` with weight (out_features, in_features), torch's layout.

    Initialized like torch: ``kaiming_uniform_(weight, a=sqrt(5))``, which is
    U(-1/sqrt(in_features), 1/sqrt(in_features)), and the bias from the same interval.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        dtype = np.dtype(dtype or np.float64)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input: a placeholder where a layer is switched off (e.g. no batch norm)."""

    def forward(self, input):
        return input


class ReLU(Module):
    def forward(self, input):
        return F.relu(input)


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    def forward(self, input):
        return F.sigmoid(input)


class Dropout(Module):
    """Zero each activation with probability `p` while training (inverted scaling by 1/(1-p));
    the identity in eval mode."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Apply modules in order. ``Sequential(a, b)`` names them "0", "1"; an OrderedDict keeps
    its names. Indexable (``model[0]``, ``model[-1]``, slices), ``len()`` and iterable."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        if not -len(items) <= index < len(items):
            raise IndexError(
                f"index {index} is out of range for a Sequential of length {len(items)}"
            )
        return items[index][1]

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def forward(self, input):
        for module in self:
            input = module(input)
        return input
