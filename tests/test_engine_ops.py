"""One generic gradient check applied to every engine op (minitorch style).

Hypothesis draws shapes (broadcasting ones for binary ops) and float64 values inside each op's
domain, away from points where the op has no derivative; `gradcheck` then compares backprop
with central differences on every element.

The ops live in the table `OPS` below (the torch parity tests use it too): adding an op is one
line. Each entry says how to call the op (`fn`, written so that it works on both `course_lib`
and torch tensors), where its inputs may lie (`domains`: one (low, high) per argument, away from
the log/sqrt/division domain edges), how to move drawn values off the points where no gradient
exists (`prepare`: away from the kinks of abs/relu/clip, no ties for max), and which shapes
to try (`shapes`: a hypothesis strategy of one shape per argument).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib.engine import Tensor
from course_lib.gradcheck import gradcheck

ANY = (-2.0, 2.0)
POSITIVE = (0.2, 3.0)
KINK_MARGIN = 1e-2  # far beyond gradcheck's eps = 1e-6


def one_shape(min_dims=0, max_dims=3, min_side=1):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=4).map(lambda shape: (shape,))


broadcastable_pair = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                       max_side=4).map(lambda s: s.input_shapes)


@st.composite
def matmul_shapes(draw):
    """Matrix-matrix, with and without broadcast batch axes, plus the vector cases."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(st.sampled_from([(), (2,), (3, 1)]))
    other_batch = draw(st.sampled_from([(), batch[-1:], (1,) * len(batch)]))
    return draw(st.sampled_from([
        ((n, k), (k, m)), (batch + (n, k), other_batch + (k, m)),
        ((k,), (k, m)), ((n, k), (k,)), ((k,), (k,)),
    ]))


def away_from(*points):
    """`prepare` for an op with kinks at `points`: values within KINK_MARGIN are pushed out."""
    def prepare(x):
        for p in points:
            near = np.abs(x - p) < KINK_MARGIN
            x = np.where(near, p + np.where(x >= p, KINK_MARGIN, -KINK_MARGIN), x)
        return x
    return prepare


def distinct(x):
    """`prepare` for max: the same ordering of the values, spread over a grid (no ties)."""
    ranks = np.argsort(np.argsort(x, axis=None, kind="stable")).reshape(x.shape)
    return np.linspace(-2.0, 2.0, max(x.size, 2))[ranks]


def tmax(x, **kwargs):
    """`max` over axes: `Tensor.max` here, `amax` in torch (whose `max(dim)` returns indices)."""
    return x.amax(**kwargs) if hasattr(x, "amax") else x.max(**kwargs)


def last_axis(x):
    return -1 if x.ndim else None


def even_axes(x):
    return tuple(range(0, x.ndim, 2))


@dataclass(frozen=True)
class Op:
    fn: object
    domains: tuple = (ANY,)
    prepare: object = None  # applied to the first argument
    shapes: object = field(default_factory=one_shape)


OPS = {
    # binary, with broadcasting
    "add": Op(lambda a, b: a + b, (ANY, ANY), shapes=broadcastable_pair),
    "sub": Op(lambda a, b: a - b, (ANY, ANY), shapes=broadcastable_pair),
    "mul": Op(lambda a, b: a * b, (ANY, ANY), shapes=broadcastable_pair),
    "div": Op(lambda a, b: a / b, (ANY, POSITIVE), shapes=broadcastable_pair),
    "pow": Op(lambda a, b: a ** b, (POSITIVE, ANY), shapes=broadcastable_pair),
    "matmul": Op(lambda a, b: a @ b, (ANY, ANY), shapes=matmul_shapes()),
    # with constants
    "add_scalar": Op(lambda a: 2.5 + a),
    "rsub_scalar": Op(lambda a: 1.0 - a),
    "mul_scalar": Op(lambda a: a * -3.0),
    "rdiv_scalar": Op(lambda a: 2.0 / a, (POSITIVE,)),
    "pow_scalar": Op(lambda a: a ** 3),
    "rpow_scalar": Op(lambda a: 2.0 ** a),
    # unary
    "neg": Op(lambda a: -a),
    "exp": Op(lambda a: a.exp()),
    "log": Op(lambda a: a.log(), (POSITIVE,)),
    "sqrt": Op(lambda a: a.sqrt(), (POSITIVE,)),
    "abs": Op(lambda a: a.abs(), prepare=away_from(0.0)),
    "tanh": Op(lambda a: a.tanh()),
    "sigmoid": Op(lambda a: a.sigmoid()),
    "relu": Op(lambda a: a.relu(), prepare=away_from(0.0)),
    "clip": Op(lambda a: a.clip(-0.5, 0.5), prepare=away_from(-0.5, 0.5)),
    # reductions
    "sum": Op(lambda a: a.sum()),
    "sum_last_axis": Op(lambda a: a.sum(axis=last_axis(a))),
    "sum_keepdims": Op(lambda a: a.sum(axis=even_axes(a), keepdims=True)),
    "mean": Op(lambda a: a.mean()),
    "mean_last_axis": Op(lambda a: a.mean(axis=last_axis(a), keepdims=True)),
    "max": Op(lambda a: tmax(a), prepare=distinct),
    "max_last_axis": Op(lambda a: tmax(a, axis=last_axis(a)), prepare=distinct),
    "max_keepdims": Op(lambda a: tmax(a, axis=even_axes(a), keepdims=True), prepare=distinct),
    # shape changes and indexing
    "reshape": Op(lambda a: a.reshape(-1, 1)),
    "transpose_T": Op(lambda a: a.T, shapes=one_shape(2, 2)),
    "transpose_swap": Op(lambda a: a.transpose(0, -1), shapes=one_shape(min_dims=1)),
    "flatten": Op(lambda a: a.flatten()),
    "getitem_slice": Op(lambda a: a[1:, ::2], shapes=one_shape(min_dims=2, min_side=2)),
    "getitem_int": Op(lambda a: a[-1], shapes=one_shape(min_dims=1)),
    "getitem_repeated": Op(lambda a: a[np.array([0, 0, -1, 0])], shapes=one_shape(min_dims=1)),
    "getitem_pairs": Op(lambda a: a[np.array([0, -1, 0]), np.array([1, 0, 1])],
                        shapes=one_shape(min_dims=2, min_side=2)),
}


@st.composite
def op_inputs(draw, op):
    shapes = draw(op.shapes)
    arrays = [draw(hnp.arrays(np.float64, shape, elements=st.floats(low, high)))
              for shape, (low, high) in zip(shapes, op.domains, strict=True)]
    if op.prepare is not None:
        arrays[0] = op.prepare(arrays[0])
    return arrays


@pytest.mark.parametrize("name", sorted(OPS))
def test_backprop_matches_finite_differences(name):
    op = OPS[name]

    @settings(max_examples=25, deadline=None)
    @given(arrays=op_inputs(op))
    def check(arrays):
        inputs = [Tensor(a, requires_grad=True) for a in arrays]
        report = gradcheck(op.fn, *inputs)  # raises GradcheckError with the details
        assert report.passed and len(report.inputs) == len(inputs)

        # Only inputs that require grad receive one, and it has the input's shape.
        inputs = [Tensor(a, requires_grad=(i == 0)) for i, a in enumerate(arrays)]
        op.fn(*inputs).sum().backward()
        assert inputs[0].grad.shape == inputs[0].shape
        assert all(x.grad is None for x in inputs[1:])

    check()


def test_max_splits_the_gradient_evenly_between_ties():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [0, 0, 0]])
    x.grad = None
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [0.5, 0, 0.5]])


def test_kinks_follow_torch_conventions():
    """At the kinks there is no derivative; the engine picks torch's subgradients."""
    x = Tensor([0.0, -0.5, 0.5], requires_grad=True)
    (x.relu() + x.abs() + x.clip(-0.5, 0.5)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0 + 0 + 1, 0 - 1 + 1, 1 + 1 + 1])
