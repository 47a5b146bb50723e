"""Neural-network building blocks on the numpy engine, shaped like `torch.nn`.

``from course_lib import nn`` then ``nn.Sequential(nn.Linear(64, 32), nn.ReLU(), ...)``;
``nn.functional`` (as ``F``) holds the stateless functions and ``nn.init`` the initializers.
"""

from course_lib.nn import functional, init, utils
from course_lib.nn.layers import (
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from course_lib.nn.loss import CrossEntropyLoss, MSELoss
from course_lib.nn.module import Module, Parameter
from course_lib.nn.normalization import BatchNorm1d

__all__ = [
    "Parameter",
    "Module",
    "Linear",
    "Identity",
    "ReLU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "Dropout",
    "Sequential",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "MSELoss",
    "functional",
    "init",
    "utils",
]
