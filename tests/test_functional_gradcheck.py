"""Central-difference gradient checks of every fused operation in `nn.functional`.

The torch comparisons (tests/test_functional.py) show agreement with torch; these show the
hand-written backward rules are the true derivatives, for shapes hypothesis picks.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import course_lib
from course_lib import Tensor, gradcheck
from course_lib.nn import functional as F

SETTINGS = settings(max_examples=15, deadline=None)
rows, cols = st.integers(2, 5), st.integers(1, 5)


def _tensor(seed, *shape, requires_grad=True):
    return Tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=requires_grad)


@SETTINGS
@given(rows, cols, st.integers(0, 1), st.integers(0, 10_000))
def test_softmax_family(n, c, dim, seed):
    x = _tensor(seed, n, c)
    gradcheck(lambda t: F.softmax(t, dim=dim), x)
    gradcheck(lambda t: F.log_softmax(t, dim=dim), x)


@SETTINGS
@given(rows, st.integers(2, 5), st.sampled_from(["mean", "sum", "none"]), st.integers(0, 10_000))
def test_cross_entropy_and_nll(n, c, reduction, seed):
    x = _tensor(seed, n, c)
    target = np.random.default_rng(seed).integers(0, c, size=n)
    gradcheck(lambda t: F.cross_entropy(t, target, reduction=reduction), x)
    gradcheck(lambda t: F.nll_loss(t, target, reduction=reduction), x)


@SETTINGS
@given(rows, cols, st.integers(1, 4), st.booleans(), st.integers(0, 10_000))
def test_linear(n, fan_in, fan_out, with_bias, seed):
    x, w = _tensor(seed, n, fan_in), _tensor(seed + 1, fan_out, fan_in)
    if with_bias:
        gradcheck(F.linear, x, w, _tensor(seed + 2, fan_out))
    else:
        gradcheck(F.linear, x, w)


@SETTINGS
@given(rows, cols, st.sampled_from([0.01, 0.3]), st.integers(0, 10_000))
def test_leaky_relu_away_from_zero(n, c, slope, seed):
    x = _tensor(seed, n, c)
    x.data[np.abs(x.data) < 1e-3] = 0.5  # the kink at 0 has no derivative
    gradcheck(lambda t: F.leaky_relu(t, slope), x)


@SETTINGS
@given(rows, cols, st.sampled_from([0.2, 0.5]), st.integers(0, 10_000))
def test_dropout_with_a_fixed_mask(n, c, p, seed):
    def fn(t):
        course_lib.manual_seed(seed)  # the same mask at every evaluation
        return F.dropout(t, p)

    gradcheck(fn, _tensor(seed, n, c))


@SETTINGS
@given(st.integers(3, 6), cols, st.booleans(), st.booleans(), st.integers(0, 10_000))
def test_batch_norm_train_and_eval(n, c, three_d, affine, seed):
    x = _tensor(seed, *((n, c, 2) if three_d else (n, c)))
    params = (_tensor(seed + 1, c), _tensor(seed + 2, c)) if affine else ()

    def train(t, *wb):
        return F.batch_norm(t, None, None, *wb, training=True)

    def evaluate(t, *wb):
        mean, var = Tensor(np.linspace(-1, 1, c)), Tensor(np.linspace(0.5, 2, c))
        return F.batch_norm(t, mean, var, *wb, training=False)

    gradcheck(train, x, *params)
    gradcheck(evaluate, x, *params)
