"""The engine agrees with torch on the CPU: forward values and gradients of every op in the table,
and torch's semantics where a graph reuses a node, backward runs twice, or indices repeat."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from test_engine_ops import OPS, op_inputs

from course_lib.engine import Tensor


def both(*arrays):
    """The same float64 values as course_lib tensors and as torch tensors, all requiring grad."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return ours, theirs


def assert_close(ours, theirs, what):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, torch {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("name", sorted(OPS))
def test_forward_and_gradients_match_torch(name):
    op = OPS[name]

    @settings(max_examples=8, deadline=None)
    @given(arrays=op_inputs(op))
    def check(arrays):
        ours, theirs = both(*arrays)
        out, expected = op.fn(*ours), op.fn(*theirs)
        assert_close(out.data, expected, f"{name} forward")
        weights = np.random.default_rng(0).standard_normal(out.shape)
        (out * weights).sum().backward()
        (expected * torch.tensor(weights)).sum().backward()
        for i, (x, t) in enumerate(zip(ours, theirs, strict=True)):
            assert_close(x.grad, t.grad, f"{name} gradient of input {i}")

    check()


def test_reused_node_gets_the_sum_of_both_paths():
    ours, theirs = both(np.array([[1.0, -2.0], [0.5, 3.0]]))
    for a in (ours[0], theirs[0]):
        b = a * a
        c = b + b
        (c * b).sum().backward()  # b feeds c twice and the product once
    assert_close(ours[0].grad, theirs[0].grad, "reused node")
    np.testing.assert_allclose(ours[0].grad, 8 * ours[0].data ** 3)


def test_backward_twice_accumulates_like_torch():
    ours, theirs = both(np.array([1.0, 2.0, 3.0]))
    ours_out = (ours[0].exp() * ours[0]).sum()
    theirs_out = (theirs[0].exp() * theirs[0]).sum()
    ours_out.backward()
    ours_out.backward()
    theirs_out.backward(retain_graph=True)
    theirs_out.backward()
    assert_close(ours[0].grad, theirs[0].grad, "two backward calls")
    once = (np.exp(ours[0].data) * (1 + ours[0].data))
    np.testing.assert_allclose(ours[0].grad, 2 * once)


def test_repeated_integer_indices_accumulate():
    ours, theirs = both(np.arange(12.0).reshape(3, 4))
    rows, cols = np.array([0, 2, 0, 0]), np.array([1, 3, 1, 1])
    for x in (ours[0], theirs[0]):
        picked = x[rows, cols] if isinstance(x, Tensor) else x[torch.tensor(rows),
                                                                torch.tensor(cols)]
        (picked * picked).sum().backward()
    assert_close(ours[0].grad, theirs[0].grad, "repeated indices")
    assert ours[0].grad[0, 1] == 3 * 2 * 1.0  # picked three times, d(v^2)/dv = 2v with v = 1


def test_non_scalar_backward_with_an_explicit_gradient_matches_torch():
    ours, theirs = both(np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]))
    g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    ours[0].tanh().backward(g)
    theirs[0].tanh().backward(torch.tensor(g))
    assert_close(ours[0].grad, theirs[0].grad, "backward(grad)")


def test_hooks_see_and_may_replace_the_gradient_like_torch():
    ours, theirs = both(np.array([1.0, -2.0, 3.0]))
    seen = {}

    def record(lib):
        def hook(grad):  # returns None: observes without replacing
            seen[lib] = grad.numpy().copy() if isinstance(grad, torch.Tensor) else grad.copy()
        return hook

    for lib, x in (("ours", ours[0]), ("torch", theirs[0])):
        y = x * 2
        y.register_hook(record(lib))
        handle = x.register_hook(lambda g: g * 10)
        (y * y).sum().backward()
        handle.remove()
        (x * 1).sum().backward()  # the removed hook no longer scales
    np.testing.assert_allclose(seen["ours"], seen["torch"])
    assert_close(ours[0].grad, theirs[0].grad, "hooks")
