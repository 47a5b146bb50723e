"""`course_lib.nn.functional` against torch.nn.functional: values, gradients, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import course_lib
from course_lib import Tensor
from course_lib.nn import functional as F

RNG = np.random.default_rng(0)


def _both(array):
    return Tensor(array.copy(), requires_grad=True), torch.tensor(array, requires_grad=True)


def _close(ours, theirs, what, rtol=1e-10, atol=1e-12):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    ours = ours.data if isinstance(ours, Tensor) else ours
    assert np.all(np.isfinite(ours)), f"{what}: non-finite values {ours}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)


def _check_against_torch(ours_fn, torch_fn, array, what):
    """Forward values and the gradient of a random weighted sum, ours vs torch."""
    x, tx = _both(array)
    out, tout = ours_fn(x), torch_fn(tx)
    _close(out, tout, f"{what}: forward")
    weights = RNG.normal(size=out.shape)
    (out * Tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    _close(x.grad, tx.grad, f"{what}: gradient")


LOGITS = {
    "ordinary": RNG.normal(size=(5, 7)),
    "extreme 1e3": np.array([[1e3, 0.0, -1e3], [1e3, 1e3, -1e3], [-1e3, -1e3, -1e3]]),
    "large offset": RNG.normal(size=(4, 6)) + 800.0,
}


@pytest.mark.parametrize("case", list(LOGITS))
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_and_log_softmax_match_torch(case, dim):
    array = LOGITS[case]
    _check_against_torch(
        lambda x: F.softmax(x, dim),
        lambda x: torch.softmax(x, dim),
        array,
        f"softmax {case} dim={dim}",
    )
    _check_against_torch(
        lambda x: F.log_softmax(x, dim),
        lambda x: torch.log_softmax(x, dim),
        array,
        f"log_softmax {case} dim={dim}",
    )


def test_softmax_on_3d_input_and_rows_sum_to_one():
    array = RNG.normal(size=(2, 3, 4))
    _check_against_torch(
        lambda x: F.softmax(x, 1), lambda x: torch.softmax(x, 1), array, "softmax 3-D dim=1"
    )
    np.testing.assert_allclose(F.softmax(Tensor(array), dim=-1).data.sum(-1), 1.0, rtol=1e-14)


@pytest.mark.parametrize("case", list(LOGITS))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(case, reduction):
    array = LOGITS[case]
    target = RNG.integers(0, array.shape[1], size=array.shape[0])
    _check_against_torch(
        lambda x: F.cross_entropy(x, target, reduction=reduction),
        lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target), reduction=reduction),
        array,
        f"cross_entropy {case} {reduction}",
    )


def test_cross_entropy_extreme_logits_give_the_exact_large_loss():
    loss = F.cross_entropy(Tensor([[1e3, 0.0, -1e3]], requires_grad=True), [2])
    assert loss.item() == pytest.approx(2e3)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    x = Tensor(RNG.normal(size=(4, 3)), requires_grad=True)
    target = np.array([0, 2, 1, 2])
    F.cross_entropy(x, target).backward()
    expected = (F.softmax(Tensor(x.data)).data - np.eye(3)[target]) / 4
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)


def test_nll_loss_of_log_softmax_equals_cross_entropy():
    array, target = LOGITS["ordinary"], np.array([0, 1, 2, 3, 6])
    _check_against_torch(
        lambda x: F.nll_loss(F.log_softmax(x, dim=1), target),
        lambda x: torch.nn.functional.nll_loss(torch.log_softmax(x, 1), torch.tensor(target)),
        array,
        "nll_loss(log_softmax)",
    )
    assert F.nll_loss(F.log_softmax(Tensor(array), 1), target).item() == pytest.approx(
        F.cross_entropy(Tensor(array), target).item(), rel=1e-14
    )


def test_cross_entropy_accepts_lists_tensors_and_integral_floats():
    x = Tensor(LOGITS["ordinary"])
    expected = F.cross_entropy(x, np.array([1, 0, 2, 3, 4])).item()
    for target in ([1, 0, 2, 3, 4], Tensor([1, 0, 2, 3, 4]), torch.tensor([1, 0, 2, 3, 4])):
        assert F.cross_entropy(x, target).item() == expected


def test_cross_entropy_errors_name_shapes_and_values():
    x = Tensor(np.zeros((4, 10)))
    with pytest.raises(
        ValueError,
        match=r"logits of shape \(4, 10\) need 4 targets, got shape "
        r"\(5,\)$",
    ):
        F.cross_entropy(x, np.zeros(5, dtype=int))
    with pytest.raises(
        ValueError,
        match=r"got shape \(4, 10\) \(class indices are expected, "
        r"not one-hot rows\)",
    ):
        F.cross_entropy(x, np.eye(10, dtype=int)[:4])
    with pytest.raises(
        ValueError,
        match=r"target 10 at index 2 is out of range for 10 classes "
        r"\(expected 0 <= target < 10\)",
    ):
        F.cross_entropy(x, [0, 9, 10, 3])
    with pytest.raises(ValueError, match="target -1 at index 0"):
        F.cross_entropy(x, [-1, 0, 0, 0])
    with pytest.raises(TypeError, match="integer class indices, got dtype float64"):
        F.cross_entropy(x, [0.5, 1, 2, 3])
    with pytest.raises(ValueError, match=r"expected scores of shape \(N, C\), got shape \(10,\)"):
        F.cross_entropy(Tensor(np.zeros(10)), [1])
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(x, [0, 0, 0, 0], reduction="avg")
    with pytest.raises(ValueError, match=r"dim 2 is out of range for a tensor of shape \(4, 10\)"):
        F.softmax(x, dim=2)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_torch_with_gradients_for_both_inputs(reduction):
    a, b = RNG.normal(size=(6, 2)), RNG.normal(size=(6, 2))
    x, tx = _both(a)
    y, ty = _both(b)
    out = F.mse_loss(x, y, reduction=reduction)
    tout = torch.nn.functional.mse_loss(tx, ty, reduction=reduction)
    _close(out, tout, "mse forward")
    out.sum().backward()
    tout.sum().backward()
    _close(x.grad, tx.grad, "mse grad wrt input")
    _close(y.grad, ty.grad, "mse grad wrt target")


def test_mse_loss_refuses_silent_broadcasting():
    with pytest.raises(ValueError, match=r"input of shape \(4, 1\) and target of shape \(4,\)"):
        F.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))


@pytest.mark.parametrize("slope", [0.01, 0.2])
def test_activations_match_torch(slope):
    array = RNG.normal(size=(3, 5))
    tf = torch.nn.functional
    _check_against_torch(
        lambda x: F.leaky_relu(x, slope),
        lambda x: tf.leaky_relu(x, slope),
        array,
        f"leaky_relu({slope})",
    )
    _check_against_torch(F.relu, torch.relu, array, "relu")
    _check_against_torch(F.tanh, torch.tanh, array, "tanh")
    _check_against_torch(F.sigmoid, torch.sigmoid, array, "sigmoid")


@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_torch(x_shape, with_bias):
    x, tx = _both(RNG.normal(size=x_shape))
    w, tw = _both(RNG.normal(size=(3, 4)))
    b, tb = _both(RNG.normal(size=3)) if with_bias else (None, None)
    out, tout = F.linear(x, w, b), torch.nn.functional.linear(tx, tw, tb)
    _close(out, tout, "linear forward")
    weights = RNG.normal(size=out.shape)
    (out * Tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    for ours, theirs, name in ((x, tx, "input"), (w, tw, "weight"), (b, tb, "bias")):
        if ours is not None:
            _close(ours.grad, theirs.grad, f"linear grad wrt {name}")


def test_linear_shape_error_names_the_shapes():
    with pytest.raises(
        ValueError,
        match=r"input of shape \(5, 7\) does not match weight of shape"
        r" \(3, 4\) \(.*in_features=4\)",
    ):
        F.linear(Tensor(np.zeros((5, 7))), Tensor(np.zeros((3, 4))))


def test_penalties_and_their_gradients():
    w1, w2 = Tensor([[1.0, -2.0]], requires_grad=True), Tensor([3.0, 0.5], requires_grad=True)
    l1, l2 = F.l1_penalty([w1, w2]), F.l2_penalty([w1, w2])
    assert l1.item() == pytest.approx(6.5) and l2.item() == pytest.approx(14.25)
    (l1 + l2).backward()
    np.testing.assert_allclose(w1.grad, [[1 + 2.0, -1 - 4.0]])
    np.testing.assert_allclose(w2.grad, [1 + 6.0, 1 + 1.0])
    assert F.l2_penalty([]).item() == 0.0


def test_half_l2_penalty_equals_sgd_weight_decay():
    """SGD(weight_decay=lam) makes the same step as adding (lam/2) * l2_penalty to the loss."""
    from course_lib import optim

    lam, start = 0.1, RNG.normal(size=(3, 2))
    a, b = Tensor(start.copy(), requires_grad=True), Tensor(start.copy(), requires_grad=True)
    (a * a).sum().backward()
    optim.SGD([a], lr=0.5, weight_decay=lam).step()
    ((b * b).sum() + (lam / 2) * F.l2_penalty([b])).backward()
    optim.SGD([b], lr=0.5).step()
    np.testing.assert_allclose(a.data, b.data, rtol=1e-14)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    course_lib.manual_seed(0)
    x = Tensor(np.full((400, 500), 2.0), requires_grad=True)
    out = F.dropout(x, p=p, training=True)
    dropped = float(np.mean(out.data == 0))
    assert abs(dropped - p) < 0.01, f"fraction dropped {dropped:.4f}, expected p={p}"
    survivors = out.data[out.data != 0]
    np.testing.assert_allclose(survivors, 2.0 / (1 - p), rtol=1e-12)
    assert abs(float(out.data.mean()) - 2.0) < 0.03, "dropout must preserve the expectation"
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, (out.data != 0) / (1 - p))


def test_dropout_eval_identity_and_edge_cases():
    x = Tensor(RNG.normal(size=(5, 6)), requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    zeros = F.dropout(x, 1.0)
    assert np.all(zeros.data == 0)
    zeros.sum().backward()
    assert np.all(x.grad == 0)
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"between 0 and 1, but got {bad}"):
            F.dropout(x, bad)


def test_dropout_mask_comes_from_the_course_generator():
    x = Tensor(np.ones((20, 20)))
    course_lib.manual_seed(7)
    first = F.dropout(x, 0.5).data
    course_lib.manual_seed(7)
    assert np.array_equal(first, F.dropout(x, 0.5).data)
    assert not np.array_equal(first, F.dropout(x, 0.5).data)
