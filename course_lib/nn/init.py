"""Weight initialization, with `torch.nn.init`'s names, arguments and formulas.

Each function fills a tensor's `.data` in place and returns the tensor, exactly like its torch
counterpart, so a lesson can write ``init.kaiming_normal_(layer.weight, nonlinearity="relu")``
and later run the same line on a torch model. Random numbers come from the one course-wide
generator (`course_lib.manual_seed`), which makes every initialization reproducible.

The formulas (Glorot & Bengio 2010; He et al. 2015), for a weight of shape (out, in, *kernel):

* ``fan_in = in * prod(kernel)``, ``fan_out = out * prod(kernel)``
* Xavier:  ``std = gain * sqrt(2 / (fan_in + fan_out))``
* Kaiming: ``std = gain / sqrt(fan)``, with ``fan`` chosen by ``mode``
* uniform variants draw from ``U(-sqrt(3) * std, sqrt(3) * std)``, which has that std.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from course_lib.random import get_generator

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "ones_",
    "zeros_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)
_MODES = ("fan_in", "fan_out")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through `nonlinearity` (torch's table).

    ``param`` is the negative slope of ``leaky_relu`` (default 0.01).
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            negative_slope = float(param)
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    supported = ", ".join((*_LINEAR_FNS, "sigmoid", "tanh", "relu", "leaky_relu", "selu"))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}; supported: {supported}")


def _array(tensor) -> np.ndarray:
    """The array to fill: a Tensor's `.data`, or a numpy array itself."""
    data = tensor if isinstance(tensor, np.ndarray) else getattr(tensor, "data", None)
    if not isinstance(data, np.ndarray):
        raise TypeError(
            f"init functions fill a course_lib Tensor or a numpy array, got {type(tensor).__name__}"
        )
    return data


def _fill(tensor, values):
    """Write `values` into the tensor's storage in place (no graph is recorded) and return it."""
    from course_lib.engine import no_grad

    data = _array(tensor)
    with no_grad():
        data[...] = values
    return tensor


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out_features, in_features, *receptive_field)."""
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {shape})"
        )
    receptive_field_size = math.prod(shape[2:])
    return shape[1] * receptive_field_size, shape[0] * receptive_field_size


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in _MODES:
        raise ValueError(f"Mode {mode!r} not supported, please use one of {', '.join(_MODES)}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a: float = 0.0, b: float = 1.0):
    """Fill with draws from U(a, b)."""
    return _fill(tensor, get_generator().uniform(a, b, size=_array(tensor).shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0):
    """Fill with draws from N(mean, std**2)."""
    return _fill(tensor, get_generator().normal(mean, std, size=_array(tensor).shape))


def constant_(tensor, val: float):
    """Fill with the value `val`."""
    return _fill(tensor, val)


def ones_(tensor):
    """Fill with 1."""
    return _fill(tensor, 1.0)


def zeros_(tensor):
    """Fill with 0 (fine for biases; for weights it leaves every unit identical: symmetry)."""
    return _fill(tensor, 0.0)


def _xavier_std(tensor, gain: float) -> float:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_uniform_(tensor, gain: float = 1.0):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    bound = math.sqrt(3.0) * _xavier_std(tensor, gain)
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain: float = 1.0):
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    return normal_(tensor, 0.0, _xavier_std(tensor, gain))


def _kaiming_std(tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    """He's std, or None (after torch's warning) for a tensor with a zero-sized dimension."""
    if 0 in _array(tensor).shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
):
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan); `a` is leaky_relu's negative slope."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """He normal: N(0, std**2) with std = gain / sqrt(fan); `a` is leaky_relu's negative slope."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std)
