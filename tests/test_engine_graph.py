"""The engine's graph machinery and API contract: deep graphs, grad mode, dtypes, error texts."""

from __future__ import annotations

import re

import numpy as np
import pytest

from course_lib.engine import Tensor, is_grad_enabled, no_grad, ones, tensor, zeros


def test_a_chain_of_100000_ops_backpropagates_without_recursion_error():
    x = Tensor(2.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0  # 200,000 nodes
    y.backward()
    assert x.grad == 1.0


def test_no_grad_builds_no_graph_and_restores_the_mode():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        with no_grad():
            pass
        assert not is_grad_enabled()  # leaving the inner block keeps the outer one in force
        y = (w * 3).exp().sum()
    assert is_grad_enabled()
    assert not y.requires_grad and y._parents == () and y._backward is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


@pytest.mark.parametrize("decorate", [no_grad, no_grad()], ids=["bare", "called"])
def test_no_grad_works_as_a_decorator(decorate):
    @decorate
    def step(w):
        """Docstring kept."""
        return w * 2, is_grad_enabled()

    out, enabled = step(Tensor(1.0, requires_grad=True))
    assert not enabled and not out.requires_grad and is_grad_enabled()
    assert step.__doc__ == "Docstring kept."


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(KeyError), no_grad():
        raise KeyError("inside no_grad")
    assert is_grad_enabled()


def test_float32_on_request_stays_float32_through_ops_and_grads():
    x = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True, dtype="float32")
    w = Tensor(np.ones((3, 2)), requires_grad=True, dtype=np.float32)
    h = ((x @ w).relu() * 0.5 + 1).sigmoid().tanh() / 3.0 - x.exp().mean()
    loss = (h ** 2).log().sum() + x[0].max() + x.abs().sqrt().sum()
    assert loss.dtype == np.float32 and h.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_float64_is_the_default():
    assert Tensor(1).dtype == np.float64
    assert Tensor([[1, 2]]).dtype == np.float64
    assert Tensor(np.arange(3)).dtype == np.float64
    assert zeros(2, 3).dtype == np.float64 and ones((2,)).shape == (2,)


def test_gradients_accumulate_on_leaves_only():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    (y * y).sum().backward()
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * 18 * x.data)
    assert y.grad is None  # like torch: intermediate tensors keep no .grad ...
    z = x * 3
    z.retain_grad()  # ... unless asked to
    z.sum().backward()
    np.testing.assert_array_equal(z.grad, [1.0, 1.0])


def test_leaf_gradients_are_independent_arrays():
    """`a + b` passes the same gradient array to both inputs; their .grad must not share it."""
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad *= 10  # an optimizer may update a gradient in place
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_non_scalar_backward_needs_a_gradient():
    y = Tensor(np.ones((3, 2)), requires_grad=True) * 2
    with pytest.raises(RuntimeError) as error:
        y.backward()
    assert str(error.value) == ("grad can be implicitly created only for scalar outputs; "
                                "got shape (3, 2)")
    with pytest.raises(ValueError, match=re.escape("grad of shape (2,) does not match the "
                                                   "tensor's shape (3, 2)")):
        y.backward(np.ones(2))


@pytest.mark.parametrize("compute, message", [
    (lambda: Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2))),
     "matmul: shapes (3, 4) and (5, 2) are not aligned"),
    (lambda: Tensor(np.ones((3, 4))) + Tensor(np.ones(5)),
     "add: shapes (3, 4) and (5,) cannot be broadcast"),
    (lambda: Tensor(np.ones((3, 4))) * np.ones((2, 4)),
     "mul: shapes (3, 4) and (2, 4) cannot be broadcast"),
    (lambda: np.ones(3) - Tensor(np.ones(2)), "sub: shapes (3,) and (2,) cannot be broadcast"),
    (lambda: Tensor(np.ones(2)) / Tensor(np.ones(3)),
     "div: shapes (2,) and (3,) cannot be broadcast"),
    (lambda: Tensor(np.ones((3, 4))).reshape(5, 2),
     "reshape: cannot reshape (3, 4) (12 elements) into (5, 2)"),
    (lambda: Tensor(np.ones((3, 4))).sum(axis=2), "sum: axis 2 is out of range for shape (3, 4)"),
    (lambda: Tensor(np.ones((3, 4))).max(axis=-3),
     "max: axis -3 is out of range for shape (3, 4)"),
    (lambda: Tensor(np.ones((2, 3, 4))).permute(0, 1),
     "permute: (0, 1) is not an ordering of the axes of a tensor of shape (2, 3, 4)"),
    (lambda: Tensor(np.ones((3, 4))).transpose(0, 2),
     "transpose: axes (0, 2) do not fit a tensor of shape (3, 4)"),
    (lambda: Tensor(np.ones(3)).item(),
     "item: only one-element tensors can be converted to Python scalars; got shape (3,)"),
])
def test_shape_errors_name_the_problem(compute, message):
    with pytest.raises((ValueError, IndexError)) as error:
        compute()
    assert str(error.value) == message


def test_indexing_out_of_bounds_names_the_shape():
    with pytest.raises(IndexError, match=re.escape("(tensor of shape (3, 2))")):
        Tensor(np.ones((3, 2)))[3]


def test_numpy_defers_to_tensor_in_mixed_arithmetic():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for result in (np.ones(2) + x, np.ones(2) * x, np.ones(2) - x, np.ones(2) / x,
                   np.ones((3, 2)) @ x, np.float64(2.0) ** x, 1 + x):
        assert isinstance(result, Tensor) and result.requires_grad


def test_comparisons_give_plain_boolean_arrays():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask, expected in ((x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]), (x > 2, [0, 0, 1]),
                           (x >= 2, [0, 1, 1]), (x == 2, [0, 1, 0]), (x != 2, [1, 0, 1])):
        assert type(mask) is np.ndarray and mask.dtype == bool
        np.testing.assert_array_equal(mask, np.array(expected, dtype=bool))
    assert {x: 1}[x] == 1  # still hashable


def test_constructor_copies_and_attributes_behave_like_torch():
    source = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = tensor(source, requires_grad=True)
    source[0, 0] = 100.0
    assert t.data[0, 0] == 1.0  # a copy, as torch.tensor makes
    assert (t.shape, t.ndim, t.size, len(t), t.numel()) == ((2, 2), 2, 4, 2, 4)
    assert Tensor(Tensor([5.0])).item() == 5.0 and isinstance(Tensor(5.0).item(), float)
    assert t.numpy() is t.data and t.T.shape == (2, 2) and t.is_leaf
    d = t.detach()
    assert not d.requires_grad and d.data is t.data
    assert f"{Tensor(0.123456):.2f}" == "0.12" and float(Tensor([2.5])) == 2.5


def test_repr_reads_like_torch():
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor(3.0, dtype="float32")) == "tensor(3., dtype=float32)"
    assert repr(Tensor([1.0], requires_grad=True) * 2) == "tensor([2.], grad_fn=<MulBackward>)"
    assert repr(Tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"


def test_from_op_is_the_extension_point_for_fused_ops():
    def square(x):
        return Tensor._from_op(x.data ** 2, (x,), lambda g: (2 * x.data * g,), "square")

    x = Tensor([1.0, -3.0], requires_grad=True)
    y = square(x)
    assert y.requires_grad and y._op == "square" and type(y.data) is np.ndarray
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -6.0])
    assert not square(Tensor([1.0])).requires_grad  # no input needs grad: no graph
    with no_grad():
        assert square(x)._backward is None


def test_a_backward_rule_returning_the_wrong_number_of_gradients_is_caught():
    x = Tensor([1.0], requires_grad=True)
    broken = Tensor._from_op(x.data * 2, (x,), lambda g: (g, g), "broken")
    with pytest.raises(ValueError, match="zip"):
        broken.sum().backward()
